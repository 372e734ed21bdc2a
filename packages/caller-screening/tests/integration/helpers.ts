import { parseContactEvent } from '@flowguard/contact';
import {
  type ConnectEvent,
  countRequests,
  type LocalDynamoDB,
  type RequestCounter,
  startLocalDynamoDB,
  voiceEvent,
} from '@flowguard/testing';
import { readScreeningConfig, type ScreeningConfig } from '../../src/config.js';
import { contactToken, slotOf } from '../../src/ledger.js';
import { Screener } from '../../src/screener.js';
import { DynamoScreeningStore } from '../../src/store.js';

/** A settable clock, in epoch milliseconds. */
export class TestClock {
  constructor(public ms: number) {}
  now = (): number => this.ms;
  advance(seconds: number): void {
    this.ms += seconds * 1000;
  }
}

/** 2026-03-02T10:00:00Z: a 10-minute and a day boundary. */
export const T0 = Date.UTC(2026, 2, 2, 10, 0, 0);

export interface Rig {
  local: LocalDynamoDB;
  store: DynamoScreeningStore;
  counter: RequestCounter;
  clock: TestClock;
  config: ScreeningConfig;
  screener: Screener;
  /** A fresh screener on the same store (another warm instance). */
  instance(): Screener;
}

export async function startRig(
  env: Record<string, string> = {},
  options: { conditionFailureItem?: boolean } = {},
): Promise<Rig> {
  const local = await startLocalDynamoDB(options);
  const store = new DynamoScreeningStore({ client: local.client, tableName: local.tableName });
  const counter = countRequests(local.client);
  const clock = new TestClock(T0);
  const config = readScreeningConfig({ FLOWGUARD_LIMITS: '3/10m,6/1d', ...env });
  const instance = () => new Screener({ store, config, clock: clock.now });
  return { local, store, counter, clock, config, screener: instance(), instance };
}

export const contactOf = parseContactEvent;

/**
 * Epoch ms at which the caller's next bucket of the window of `seconds` starts, at or after
 * `fromMs` (each caller's windows have their own phase).
 */
export function windowStart(screener: Screener, number: string, seconds: number, fromMs = T0): number {
  const window = screener
    .windowsFor(`tel:${number}`, screener.config.limits.phone)
    .find((w) => w.seconds === seconds);
  if (!window) throw new Error(`no ${seconds}s window`);
  const from = Math.ceil(fromMs / 1000);
  return (Math.ceil((from + window.phase) / seconds) * seconds - window.phase) * 1000;
}

/**
 * `n` voice contacts of one caller whose ids fall in distinct memory slots: a retry of any of them
 * is recognised exactly (contacts sharing a slot are tested on their own).
 */
export function distinctContacts(number: string, n: number): ConnectEvent[] {
  const events: ConnectEvent[] = [];
  const used = new Set<number>();
  while (events.length < n) {
    const event = voiceEvent(number);
    const slot = slotOf(contactToken(event.Details.ContactData.InitialContactId));
    if (used.has(slot)) continue;
    used.add(slot);
    events.push(event);
  }
  return events;
}
