export type {
  ContentStoreConfig,
  ControlConfig,
  DittoConfig,
  LogLevel,
  MetadataStoreConfig,
  NfsAdapterConfig,
  PortmapAdapterConfig,
  PostgresConfig,
  RemoteCacheConfig,
  S3Config,
  SecretRef,
  ShareConfig,
} from "./types.js";
export { isLogLevel, LOG_LEVELS } from "./types.js";
export { ConfigError, formatIssue, type ConfigIssue } from "./errors.js";
export { loadConfig, parseConfig, type ParseOptions } from "./load.js";
export { validateConfig, type ValidateOptions } from "./validate.js";
export { dataDir, defaultConfig } from "./defaults.js";
export { parseClientRule, unmapIpv4, type ClientRule } from "./clients.js";
export { formatSize, parseDuration, parseSize } from "./units.js";
