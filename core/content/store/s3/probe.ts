/**
 * "Test connection" for an S3 endpoint and credentials before a share uses them: are the
 * endpoint, region, keys and bucket right, and which buckets can these keys see? Failures name
 * the field a person should fix, in the words of errors.ts.
 */
import { HeadBucketCommand, ListBucketsCommand } from "@aws-sdk/client-s3";
import { createS3Client } from "./client.js";
import { toRemoteError } from "./errors.js";

export interface S3ProbeRequest {
  /** null: AWS S3 for the region. */
  endpoint: string | null;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** The bucket to check; null to only list the buckets. */
  bucket: string | null;
}

export type S3ProbeField = "endpoint" | "region" | "accessKeyId" | "secretAccessKey" | "bucket";

export type S3ProbeResult =
  /** `buckets` null: these keys may not list buckets (scoped keys often cannot); the bucket, if named, is reachable. */
  | { ok: true; buckets: string[] | null }
  | { ok: false; field: S3ProbeField; message: string };

/** What S3 answers for keys it does not accept (any other 403 means "not allowed"). */
const CREDENTIAL_NAMES = new Set(["InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "InvalidToken"]);

/** How long a probe may take in all: a person is waiting for it. */
const PROBE_TIMEOUT_MS = 10_000;

export async function probeS3(request: S3ProbeRequest): Promise<S3ProbeResult> {
  const endpoint = request.endpoint ?? undefined;
  const where = request.endpoint ?? `AWS S3 (${request.region})`;
  const client = createS3Client({
    endpoint,
    region: request.region,
    // AWS takes virtual-hosted URLs; other endpoints (MinIO, s3rver, most self-hosted) need path-style.
    forcePathStyle: endpoint !== undefined,
    credentials: { accessKeyId: request.accessKeyId, secretAccessKey: request.secretAccessKey },
    requestTimeoutMs: PROBE_TIMEOUT_MS,
    connectTimeoutMs: PROBE_TIMEOUT_MS / 2,
    maxSockets: 2,
    // One attempt: a person waits for the answer, and a retried 403 stays a 403.
    maxAttempts: 1,
  });
  const abort = AbortSignal.timeout(PROBE_TIMEOUT_MS);
  try {
    // ListBuckets first: a GET answer carries S3's error code (which key is wrong); a HEAD has none.
    let buckets: string[] | null;
    try {
      const listed = await client.send(new ListBucketsCommand({}), { abortSignal: abort });
      buckets = (listed.Buckets ?? []).map((bucket) => bucket.Name ?? "").filter((name) => name !== "").sort();
    } catch (err) {
      const refusal = failure(err, request.bucket ?? "", where, request);
      // Valid keys that may not list buckets (scoped keys often cannot): the bucket check decides.
      if (refusal.field !== "denied") return { ok: false, field: refusal.field, message: refusal.message };
      if (request.bucket === null) return { ok: false, field: "bucket", message: "these keys may not list buckets: type the bucket's name" };
      buckets = null;
    }
    if (request.bucket !== null) {
      try {
        await client.send(new HeadBucketCommand({ Bucket: request.bucket }), { abortSignal: abort });
      } catch (err) {
        const refusal = failure(err, request.bucket, where, request);
        const field = refusal.field === "denied" ? "bucket" : refusal.field;
        return { ok: false, field, message: refusal.field === "denied" ? `these keys may not use bucket "${request.bucket}"` : refusal.message };
      }
    }
    return { ok: true, buckets };
  } finally {
    client.destroy();
  }
}

/** The field a failure is about; "denied": the keys are valid but lack permission for this call. */
function failure(err: unknown, bucket: string, where: string, request: S3ProbeRequest): { ok: false; field: S3ProbeField | "denied"; message: string } {
  const remote = toRemoteError(err, { bucket, endpoint: where });
  const code = (err as { Code?: string; name?: string }).Code ?? (err as Error).name;
  switch (remote.kind) {
    case "unreachable":
      return { ok: false, field: "endpoint", message: remote.message };
    case "no-bucket":
      return { ok: false, field: "bucket", message: remote.message };
    case "auth":
      if (code === "InvalidAccessKeyId") return { ok: false, field: "accessKeyId", message: `S3 does not know the access key "${request.accessKeyId}"` };
      if (code === "SignatureDoesNotMatch") return { ok: false, field: "secretAccessKey", message: "the secret key is wrong for this access key" };
      if (code === "AccessDenied" || (remote.status === 403 && !CREDENTIAL_NAMES.has(code))) return { ok: false, field: "denied", message: remote.message };
      return { ok: false, field: "secretAccessKey", message: remote.message };
    case "invalid":
      return { ok: false, field: /region/.test(remote.message) ? "region" : "endpoint", message: remote.message };
    default:
      return { ok: false, field: "endpoint", message: remote.message };
  }
}
