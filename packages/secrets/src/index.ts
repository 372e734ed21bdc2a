export {
  SecretAccessDeniedError,
  SecretError,
  SecretFormatError,
  SecretNotFoundError,
  SecretUnavailableError,
} from './errors.js';
export {
  DEFAULT_FETCH_TIMEOUT_MS,
  DEFAULT_JITTER,
  DEFAULT_MAX_BACKOFF_MS,
  DEFAULT_MAX_FORCED_REFRESHES,
  DEFAULT_MAX_STALE_MS,
  DEFAULT_MIN_REFRESH_INTERVAL_MS,
  DEFAULT_TTL_MS,
  type GetSecretOptions,
  type RefreshOptions,
  type Secret,
  SecretCache,
  type SecretCacheEvent,
  type SecretCacheLogger,
  type SecretCacheOptions,
  type SecretsClient,
} from './secret-cache.js';
