import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The realistic Connect events kept as JSON under `test/events/`. */
export const EVENT_FIXTURES = [
  'voice-inbound',
  'voice-transfer',
  'voice-callback',
  'voice-withheld',
  'chat',
  'task',
  'email',
] as const;
export type EventFixture = (typeof EVENT_FIXTURES)[number];

const folder = fileURLToPath(new URL('../../../test/events/', import.meta.url));

/** A fresh copy of a fixture event (parsed anew on each call, so tests cannot leak edits). */
export function loadEventFixture(name: EventFixture): Record<string, unknown> {
  return JSON.parse(readFileSync(`${folder}${name}.json`, 'utf8')) as Record<string, unknown>;
}
