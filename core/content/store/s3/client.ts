/**
 * The SDK client for one S3 content store, built from typed options. Tuned for S3-compatible
 * servers as much as for AWS: checksums only where S3 requires them, explicit timeouts, and a
 * socket pool sized to the store's concurrency.
 */
import { S3Client } from "@aws-sdk/client-s3";
import type { Logger } from "../../../util/logger.js";

export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface S3ClientOptions {
  /** e.g. "http://127.0.0.1:9000"; absent → AWS S3's endpoint for `region`. */
  endpoint?: string;
  region: string;
  /** Path-style URLs (endpoint/bucket/key), which most S3-compatible servers need. */
  forcePathStyle: boolean;
  /** Absent → the SDK's default provider chain (environment, ~/.aws, SSO, instance metadata). */
  credentials?: S3Credentials;
  /**
   * How long a request may make no progress (no byte sent or received, no answer) before it fails.
   * An idle limit rather than a total one, so a large part on a slow uplink is not cut off.
   */
  requestTimeoutMs: number;
  /** How long opening a connection may take. */
  connectTimeoutMs: number;
  /** Connections kept per endpoint: the store's concurrency. */
  maxSockets: number;
  /** Attempts per request, the SDK retrying throttling, 5xx and dropped connections with backoff. */
  maxAttempts: number;
  /** Where the HTTP layer reports socket-pool warnings; without it they are dropped. */
  logger?: Logger;
}

/** Drops the HTTP layer's warnings, which otherwise go to the console. */
const quietLogger = { debug() {}, info() {}, warn() {}, error() {} };

export function createS3Client(options: S3ClientOptions): S3Client {
  const agent = { keepAlive: true, maxSockets: options.maxSockets };
  return new S3Client({
    endpoint: options.endpoint,
    region: options.region,
    forcePathStyle: options.forcePathStyle,
    credentials: options.credentials,
    maxAttempts: options.maxAttempts,
    // The SDK's default CRC checksums break s3rver (aws-chunked framing stored inside the
    // object), older MinIO, B2 and R2; S3 itself only requires them for a few operations.
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    requestHandler: {
      connectionTimeout: options.connectTimeoutMs,
      socketTimeout: options.requestTimeoutMs,
      httpAgent: agent,
      httpsAgent: agent,
      logger: options.logger?.child({ component: "s3-http" }) ?? quietLogger,
    },
  });
}
