import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GENERATED_FILE, generatedValidator } from '../../scripts/schema.js';
import { checkBody } from '../../src/body.js';

const config = {
  flows: new Map([['support', '11111111-2222-4333-8444-555555555555']]),
  attributes: new Set(['orderId', 'language']),
};
const chat = { kind: 'chat', flow: 'support', displayName: 'Ada' };

describe('the generated validator', () => {
  it('is fresh: src/generated/ is what schemas/start-contact.json compiles to (run `pnpm --filter @flowguard/edge build`)', () => {
    expect(readFileSync(GENERATED_FILE, 'utf8')).toBe(generatedValidator());
  });
});

describe('checkBody', () => {
  it('accepts a chat, a web call and a task, mapping the flow name to its id', () => {
    expect(
      checkBody(
        {
          ...chat,
          attributes: { orderId: 'A-1' },
          initialMessage: { contentType: 'text/plain', content: 'Hi\nthere' },
        },
        config,
      ),
    ).toMatchObject({ ok: true, flowId: '11111111-2222-4333-8444-555555555555' });
    expect(checkBody({ kind: 'webrtc', flow: 'support', displayName: 'Ada' }, config).ok).toBe(true);
    expect(
      checkBody({ kind: 'task', flow: 'support', name: 'Call back', description: 'line 1\nline 2' }, config)
        .ok,
    ).toBe(true);
  });

  it.each([
    [{ ...chat, kind: 'voice' }, '/kind'],
    [{ kind: 'chat', displayName: 'Ada' }, '/flow'],
    [{ ...chat, flow: 'sales' }, '/flow'],
    [{ ...chat, flow: '11111111-2222-4333-8444-555555555555' }, '/flow'],
    [{ kind: 'chat', flow: 'support' }, '/displayName'],
    [{ ...chat, displayName: 'x'.repeat(257) }, '/displayName'],
    [{ ...chat, displayName: 'Ada\u0000' }, '/displayName'],
    [{ ...chat, displayName: 'Ada\u202Egnp.exe' }, '/displayName'],
    [{ ...chat, displayName: '   ' }, '/displayName'],
    [{ ...chat, attributes: { orderId: 'x'.repeat(1025) } }, '/attributes/orderId'],
    [{ ...chat, attributes: { notAllowed: 'x' } }, '/attributes'],
    [{ ...chat, attributes: { 'bad key!': 'x' } }, '/attributes'],
    [{ ...chat, attributes: { orderId: 7 } }, '/attributes/orderId'],
    [
      { ...chat, initialMessage: { contentType: 'text/html', content: '<b>' } },
      '/initialMessage/contentType',
    ],
    [{ ...chat, initialMessage: { contentType: 'text/plain', content: '' } }, '/initialMessage/content'],
    [{ ...chat, initialMessage: { contentType: 'text/plain' } }, '/initialMessage/content'],
    [
      {
        kind: 'webrtc',
        flow: 'support',
        displayName: 'Ada',
        initialMessage: { contentType: 'text/plain', content: 'x' },
      },
      '/initialMessage',
    ],
    [{ kind: 'task', flow: 'support' }, '/name'],
    [{ kind: 'task', flow: 'support', name: 'x', displayName: 'Ada' }, '/displayName'],
    [{ ...chat, name: 'x' }, '/name'],
    [{ ...chat, extra: 'x' }, ''],
    [[chat], ''],
    ['chat', ''],
    [null, ''],
  ])('refuses %j at %s', (body, field) => {
    expect(checkBody(body, config)).toEqual({ ok: false, field });
  });

  it('never names a property the client invented in the field path', () => {
    const result = checkBody({ ...chat, attributes: { zz_secret_name: 'x'.repeat(2000) } }, config);
    expect(result).toEqual({ ok: false, field: '/attributes' });
  });
});
