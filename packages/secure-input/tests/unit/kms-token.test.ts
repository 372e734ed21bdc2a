import { KMSClient } from '@aws-sdk/client-kms';
import { LOCAL_CREDENTIALS, LOCAL_REGION, startLocalKms } from '@flowguard/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openToken } from '../../src/open-token.js';
import { kmsTokenKeyring, makeToken, tokenContext } from '../../src/token.js';

describe('tokens under a KMS key (local KMS)', () => {
  let kms: Awaited<ReturnType<typeof startLocalKms>>;
  let keyArn: string;

  beforeAll(async () => {
    kms = await startLocalKms();
    keyArn = kms.createKey('flowguard-tokens').arn;
  });

  afterAll(async () => {
    await kms.stop();
  });

  it('makes a token with a modular KMSClient and opens it only for its contact', async () => {
    const client = new KMSClient({
      region: LOCAL_REGION,
      endpoint: kms.endpoint,
      credentials: LOCAL_CREDENTIALS,
    });
    const keyring = kmsTokenKeyring(keyArn, client);
    const context = tokenContext('contact-1', 'card');

    const token = await makeToken(keyring, Buffer.from('4111111111111111'), context);
    const opened = await openToken(keyring, token, context);
    const other = await openToken(keyring, token, tokenContext('contact-2', 'card')).catch(
      (e: { code?: string }) => e.code,
    );

    expect(opened.toString()).toBe('4111111111111111');
    expect(other).toBe('token_context');
    client.destroy();
  });
});
