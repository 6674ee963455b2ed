import type { S3Client } from "@aws-sdk/client-s3";
import type { TailBuffer } from "./proc.mjs";

export interface StartS3rverOptions {
  /** Default: a free port on 127.0.0.1. */
  port?: number;
  /** Default: a new temp dir, removed by close(). A given dir is left in place. */
  dir?: string;
  /** Buckets created at start (kept across restarts, since the data dir is). */
  buckets?: string[];
  readyTimeoutMs?: number;
  /** The secret of access key S3RVER, the one s3rver accepts (default "S3RVER"). */
  secretAccessKey?: string;
}

export declare function startS3rver(options?: StartS3rverOptions): Promise<S3rverServer>;

export declare class S3rverServer {
  readonly port: number;
  readonly dir: string;
  /** e.g. "http://127.0.0.1:41234" */
  readonly endpoint: string;
  readonly region: "us-east-1";
  readonly accessKeyId: "S3RVER";
  readonly secretAccessKey: string;
  /** The child's stderr (s3rver itself runs silent). */
  readonly stderr: TailBuffer;
  get alive(): boolean;
  /** Starts the child again on the same port with the same data; resolves once it listens. */
  start(): Promise<void>;
  /** Graceful stop (SIGTERM, SIGKILL after `timeoutMs`); the data stays for start(). */
  stop(options?: { timeoutMs?: number }): Promise<void>;
  /** SIGKILL: open connections break mid-response. The data stays for start(). */
  kill(): Promise<void>;
  /** Stops the server and removes its data directory if startS3rver() created it. */
  close(): Promise<void>;
}

export interface S3ClientOverrides {
  accessKeyId?: string;
  secretAccessKey?: string;
  maxAttempts?: number;
}

/** An SDK client for `server`: path style, WHEN_REQUIRED checksums, S3RVER credentials. */
export declare function s3ClientFor(server: S3rverServer, overrides?: S3ClientOverrides): S3Client;
