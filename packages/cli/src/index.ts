export { mainHelp, run } from './cli.js';
export type { Env, Io } from './context.js';
export { EXIT } from './errors.js';
export { callerKey, KeyError } from './keys.js';
export { type LocalContactCenter, startLocalContactCenter } from './local-environment.js';
