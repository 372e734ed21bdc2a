import { FORWARDING_DEMO, runDemo, SURGE_DEMO, WEB_CHAT_DEMO } from '@flowguard/scripts/demo';
import { describe, expect, it } from 'vitest';

describe('pnpm demo', () => {
  it('plays every scenario, ends cleanly, and prints no digits the caller typed', async () => {
    let output = '';

    const code = await runDemo({ write: (text) => (output += text) });

    expect(code).toBe(0);
    for (const expected of [
      /ordinary caller +ALLOW \(ok\) +queued for an agent/,
      /repeat caller, call 3 +THROTTLE \(rate_limited\)/,
      /repeat caller, call 4 +BLOCK \(auto_blocked\)/,
      /blocklisted caller +BLOCK \(blocklisted\)/,
      /premium-rate caller +BLOCK \(rule\)/,
      /withheld caller +ALLOW \(withheld\)/,
      /card payment +valid=true +queued for an agent +cardLast4=1111, cardBrand=visa/,
      /caller hears: "That card number is not valid\."/,
      /flagged caller calls again +BLOCK \(blocklisted\)/,
      /local servers stopped/,
    ]) {
      expect(output).toMatch(expected);
    }
    for (const typed of ['4111111111111111', '4111111111111112', '4111 1111', '411111'])
      expect(output).not.toContain(typed);

    // The forwarding scenario: only the cards business unit went out, minimised, and once.
    for (const expected of [
      /contact records: 5 in, 3 forwarded, 2 filtered out/,
      /recordings: 3 copied server-side, 2 left alone/,
      /cards-vendor-drop holds 4 objects/,
      /3 minimised records, \d+ bytes, SSE aws:kms arn:aws:kms:us-east-1:000000000000:alias\/cards-vendor/,
      /"customerId": "v1:[A-Za-z0-9_-]+"/,
      /checked every object in cards-vendor-drop: no phone number, date of birth, raw customer id or agent login/,
      /Mortgages contacts in cards-vendor-drop: 0 /,
      /dead letters: 0/,
      /contact records: 0 forwarded, 3 already forwarded; recordings: 0 copied, 3 already copied/,
      /4 objects before, 4 after, the same keys and ETags: nothing duplicated/,
    ]) {
      expect(output).toMatch(expected);
    }
    const wentOut = output.slice(
      output.indexOf('what went out'),
      output.indexOf('Lambda delivers the same batch again'),
    );
    for (const id of FORWARDING_DEMO.cardsContacts) {
      expect(wentOut).toMatch(new RegExp(`${id} +queue Cards`));
      expect(wentOut).toMatch(
        new RegExp(
          `SSE aws:kms arn:aws:kms:us-east-1:000000000000:alias/cards-vendor, tags contactId=${id}, policy=cards`,
        ),
      );
    }
    for (const id of FORWARDING_DEMO.mortgagesContacts) expect(wentOut).not.toContain(id);
    expect(wentOut).not.toMatch(/queue Mortgages/);
    for (const field of ['dateOfBirth', 'CustomerEndpoint', 'Username']) expect(output).not.toContain(field);

    // The web-chat scenario: a flood from one address; the first N chats start, the rest get 429
    // and never reach Connect; each started chat's flow trusts the edge and counts nothing again.
    const { requests, started, address } = WEB_CHAT_DEMO;
    const refused = requests - started;
    expect(started).toBeLessThan(requests);
    for (const expected of [
      new RegExp(
        `floods it with ${requests} chat requests at once, all from one address, ${address.replaceAll('.', '\\.')}`,
      ),
      /the address comes from the connection/,
      new RegExp(`200, chat started: +${started} `),
      new RegExp(`429 with Retry-After: +${refused} \\(Retry-After \\d+ s\\)`),
      new RegExp(
        `Connect saw ${started} StartChatContact requests and started ${started} chats: the ${refused} refused requests never reached it`,
      ),
      new RegExp(
        `${started} of ${started} chats: screen-caller ALLOW \\(edge_screened\\) → queued for an agent`,
      ),
      new RegExp(
        `counts \\(10 minutes, 1 day\\): ${requests}, ${requests} after the flood .*, ${requests}, ${requests} after the chats' flows: screen-caller counted none of them again`,
      ),
      /web chat started at the edge +ALLOW \(edge_screened\) +queued for an agent/,
      /web chat, forged signature +BLOCK \(no_identity\) +disconnected/,
      /web chat, replayed signature +BLOCK \(no_identity\) +disconnected/,
      /customer reads: "We are unable to take your chat\."/,
    ]) {
      expect(output).toMatch(expected);
    }
    expect(output).not.toMatch(/403, blocked|other answers|COUNTED AGAIN/);
    // Participant tokens appear only masked: their label, never their random part.
    expect(output).toMatch(/ParticipantToken LOCAL-participant-… \(\d+ chars, masked\)/);
    expect(output).not.toMatch(/LOCAL-participant-[A-Za-z0-9_-]/);
    for (const value of FORWARDING_DEMO.personalData) expect(output).not.toContain(value);

    // The surge scenario: the flood from new numbers is let through until the aggregate counts
    // cross the threshold, then challenged; a person passes and is let through next time; the
    // robocaller is disconnected, then blocked as a repeat offender; the surge ends after the flood.
    const surge = output.slice(output.indexOf('A flood of spoofed numbers: surge mode'));
    const { burst, threshold, person, robocaller } = SURGE_DEMO;
    const allowed = /calls 1–(\d+): ALLOW \(ok\) → queued for an agent \((\d+) calls\)/.exec(surge);
    const challenged = new RegExp(
      `calls (\\d+)–${burst}: CHALLENGE \\(surge\\) → asked to press two digits, pressed nothing: disconnected \\((\\d+) calls\\)`,
    ).exec(surge);
    const firstSeen =
      /switched on at \+[\d.]+ s \(metric SurgeStarted\): call (\d+) was the first to see it/.exec(surge);
    expect(allowed, 'the calls before the surge').not.toBeNull();
    expect(challenged, 'the calls in the surge').not.toBeNull();
    const before = Number(allowed?.[2]);
    const during = Number(challenged?.[2]);
    // Until the counts reach the threshold no surge can start; every call is one or the other.
    expect(before).toBeGreaterThanOrEqual(threshold);
    expect(during).toBeGreaterThan(0);
    expect(before + during).toBe(burst);
    expect(Number(challenged?.[1])).toBe(before + 1);
    expect(Number(firstSeen?.[1])).toBe(before + 1);
    for (const expected of [
      new RegExp(
        `a real person calls from \\${person}\\n    caller hears: "To continue, please press \\d( \\d)? on your keypad\\."`,
      ),
      /screen-caller CHALLENGE \(surge\); challenge: passed\n {4}ending: +queued for an agent/,
      new RegExp(`the robocaller, from \\${robocaller}`),
      /screen-caller CHALLENGE \(surge\); challenge: no key\n {4}ending: +disconnected/,
      /then BLOCK \(surge_repeat\) → disconnected/,
      /no challenge asked: verified within the last day/,
      /surge switched off at \+[\d.]+ s \(metric SurgeEnded\)/,
      /surge: person, challenged +CHALLENGE \(surge\), passed +queued for an agent/,
      /surge: robocaller +CHALLENGE \(surge\), no key +disconnected/,
      /surge: robocaller redials +BLOCK \(surge_repeat\) +disconnected/,
      /surge: person calls again +ALLOW \(ok\) +queued for an agent/,
      /after the surge +ALLOW \(ok\) +queued for an agent/,
    ]) {
      expect(surge).toMatch(expected);
    }
    expect(surge).not.toMatch(/still on at|no surge: the flood stayed under/);
  }, 60_000);
});
