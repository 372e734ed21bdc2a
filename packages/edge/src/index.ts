export { type BodyCheck, checkBody, type StartContactBody } from './body.js';
export {
  type ClientIpInput,
  clientIp,
  parseAddress,
  parseTrustedProxies,
  type TrustedProxies,
} from './client-ip.js';
export {
  type ContactKind,
  type EdgeConfig,
  type EdgeFailMode,
  readEdgeConfig,
  type TokenConfig,
} from './config.js';
export {
  ConnectAnswerError,
  type ConnectStarter,
  connectStarter,
  edgeConnectClient,
  isConnectThrottle,
  type StartedContact,
  type StartInput,
} from './connect.js';
export {
  CONTACT_KINDS,
  EDGE_VARIABLES,
  MAX_BODY_BYTES,
  START_CONTACT,
  START_CONTACT_BUDGET_MS,
} from './contract.js';
export { checkOrigin, preflightHeaders } from './cors.js';
export {
  type HttpLambdaHandler,
  type SigningKeySource,
  type StartContactDeps,
  startContact,
} from './handler.js';
export { type HttpRequest, type HttpResponse, parseHttpEvent } from './http.js';
export { type StartContactFromEnvOptions, startContactFromEnv } from './setup.js';
export { type TokenCheck, type TokenRefusal, TokenVerifier, type TokenVerifierOptions } from './token.js';
