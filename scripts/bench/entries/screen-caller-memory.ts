// The screen-caller handler over an in-memory store, bundled like the deployed function, so the
// benchmark measures the code that ships (minified, one module) without I/O.

import {
  MemoryScreeningStore,
  readScreeningConfig,
  Screener,
  screenCaller,
} from '@flowguard/caller-screening';
import { flowHandler, type HandlerOptions } from '@flowguard/contact';

const options: HandlerOptions = {
  env: {},
  config: { logLevel: 'info', metrics: true },
  logSink: () => {},
  metricSink: () => {},
};
const config = readScreeningConfig({ FLOWGUARD_LIMITS: '3/10m,20/1d', FLOWGUARD_AUTO_BLOCK_FACTOR: '0' });

export const screener = new Screener({ store: new MemoryScreeningStore(), config });
export const handler = flowHandler(screenCaller(screener), options);
/**
 * The same with surge thresholds set (every call's counters checked against them) and with the
 * aggregates off: what counting the aggregates costs a decision.
 */
const surgeConfig = readScreeningConfig({
  FLOWGUARD_LIMITS: '3/10m,20/1d',
  FLOWGUARD_AUTO_BLOCK_FACTOR: '0',
  FLOWGUARD_SURGE_THRESHOLDS: 'all:100000/10s,withheld:60/1m,dialled:600/1m,prefix:20000/1m',
});
export const surgeScreener = new Screener({ store: new MemoryScreeningStore(), config: surgeConfig });
export const surgeHandler = flowHandler(screenCaller(surgeScreener), options);
const offConfig = readScreeningConfig({
  FLOWGUARD_LIMITS: '3/10m,20/1d',
  FLOWGUARD_AUTO_BLOCK_FACTOR: '0',
  FLOWGUARD_AGGREGATES: 'off',
});
export const offScreener = new Screener({ store: new MemoryScreeningStore(), config: offConfig });
export const offHandler = flowHandler(screenCaller(offScreener), options);
/** The same wrapper around logic that answers a constant: what the wrapper alone costs. */
export const floor = flowHandler(
  {
    name: 'floor',
    outputKeys: ['decision'],
    failMode: () => ({ decision: 'ALLOW' }),
    handle: () => ({ decision: 'ALLOW' }),
  },
  options,
);
