export { mainHelp, run } from './cli.js';
export type { Env, Io } from './context.js';
export { EXIT } from './errors.js';
export { callerKey, KeyError } from './keys.js';
export {
  LOCAL_CONNECT,
  LOCAL_PLACEHOLDERS,
  type LocalContactCenter,
  localModuleArn,
  startLocalContactCenter,
  usesLocalContactCenter,
} from './local-environment.js';
