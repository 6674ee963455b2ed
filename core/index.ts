/**
 * The public entry of the core: what the desktop app and other embedders may use. Everything
 * else under core/ is internal and may change; eslint.config.js keeps electron/, renderer/,
 * e2e/ and bench/ to this file (tests may also use core/testing/).
 */

// Build a server from a config object, start and stop it.
export { buildServer, type BuiltServer } from "./server/build.js";
export { DittoServer } from "./server/server.js";
export { StoreOpenError, type StoreOptions } from "./registry/stores.js";
export type { NfsAdapter } from "./adapter/nfs/adapter.js";
export type { PortmapAdapter } from "./adapter/portmap/adapter.js";

// Config: load a file, validate an object, the built-in default.
export {
  ConfigError,
  dataDir,
  defaultConfig,
  formatIssue,
  formatSize,
  isLogLevel,
  loadConfig,
  LOG_LEVELS,
  parseConfig,
  parseDuration,
  parseSize,
  validateConfig,
  type ConfigIssue,
  type ContentStoreConfig,
  type ControlConfig,
  type DittoConfig,
  type LogLevel,
  type MetadataStoreConfig,
  type NfsAdapterConfig,
  type ParseOptions,
  type PortmapAdapterConfig,
  type PostgresConfig,
  type RemoteCacheConfig,
  type S3Config,
  type SecretRef,
  type ShareConfig,
  type ValidateOptions,
} from "./config/index.js";

// Registry operations: shares, refreshing a bucket listing, the status of a remote store.
export { Registry } from "./registry/registry.js";
export type { Share } from "./registry/share.js";
export type { RemoteCacheEvents, RemoteCacheStatus, RemoteFailure, UploadInFlight } from "./content/remote-status.js";

// The control contract (status, events, share actions) and its HTTP binding and client.
export {
  ControlError,
  isControlError,
  type AppControlApi,
  type AppPreferences,
  type ControlApi,
  type ControlErrorCode,
  type ControlEvent,
  type DriveStatus,
  type FolderPreview,
  type ListenerInfo,
  type ManageApi,
  type ManagedShare,
  type SaveShareRequest,
  type ShareDefinition,
  type ShareDefinitionInput,
  type ShareKind,
  type ShareProtocol,
  type S3ShareTarget,
  type S3ProbeField,
  type S3ProbeRequest,
  type S3ProbeResult,
  type ServerStatus,
  type ShareStatus,
} from "./control/contract.js";
export { ServerControl } from "./control/server-control.js";
export { testS3Connection } from "./control/s3-test.js";
export { startControlHttp, type ControlHttp, type ControlHttpOptions } from "./control/http.js";
export { HttpControlClient } from "./control/http-client.js";
export { packageVersion } from "./util/package-version.js";

// Errors stores and services throw, and logging.
export { FsError, isFsError, type FsErrorCode } from "./errors.js";
export { closeLogFile, createLogger, openLogFile, silentLogger, type LogDestination, type LogFormat, type Logger } from "./util/logger.js";
