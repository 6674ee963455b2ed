/**
 * SDK and network failures → RemoteError, in words a user can act on. The kind tells the cache
 * whether to retry (transient, unreachable) or to report (auth, no-bucket, invalid…). Messages
 * name the bucket, key and endpoint, never a credential.
 */
import { RemoteError, type RemoteErrorKind } from "./cache/backend.js";

export interface S3ErrorContext {
  bucket: string;
  /** Where the bucket lives, for messages: an endpoint URL or e.g. "AWS S3". */
  endpoint: string;
  /** The full object key the request was about, if any. */
  key?: string;
}

/** Error codes S3 (and S3-compatible stores) use for credentials they do not accept. */
const CREDENTIAL_CODES = new Set([
  "InvalidAccessKeyId",
  "SignatureDoesNotMatch",
  "ExpiredToken",
  "InvalidToken",
  "TokenRefreshRequired",
  "InvalidSecurity",
  "MissingSecurityHeader",
]);

/** Codes that mean "not permitted", as opposed to "who are you?". */
const PERMISSION_CODES = new Set(["AccessDenied", "AllAccessDisabled", "AccountProblem", "Forbidden"]);

/** Codes that mean the request went to the wrong region or endpoint for this bucket. */
const WRONG_REGION_CODES = new Set([
  "PermanentRedirect",
  "AuthorizationHeaderMalformed",
  "IllegalLocationConstraintException",
  "IncorrectEndpoint",
]);

/** Codes worth retrying whatever their HTTP status (RequestTimeout is a 400). */
const TRANSIENT_CODES = new Set([
  "SlowDown",
  "InternalError",
  "ServiceUnavailable",
  "RequestTimeout",
  "OperationAborted",
  "Throttling",
  "ThrottlingException",
  "TooManyRequests",
  "NoSuchUpload",
]);

/** What the failure looked like on the wire: network error codes, or S3's answer. */
interface Symptoms {
  name: string;
  /** S3's error code (NoSuchBucket…) or Node's (ECONNREFUSED…). */
  code: string;
  status: number | undefined;
  message: string;
}

function symptomsOf(err: unknown): Symptoms {
  if (!(err instanceof Error)) return { name: "Error", code: "", status: undefined, message: String(err) };
  const fields = err as Error & {
    Code?: unknown;
    cause?: unknown;
    errors?: unknown;
    $metadata?: { httpStatusCode?: unknown };
  };
  const status = typeof fields.$metadata?.httpStatusCode === "number" ? fields.$metadata.httpStatusCode : undefined;
  if (status !== undefined) {
    // S3 answered: its code is in the body (Code), which the SDK also uses as the name. Answers
    // without a body (HEAD) only have a status, and the SDK names them "Unknown" or "NotFound".
    const named = typeof fields.Code === "string" ? fields.Code : err.name;
    const code = named === "Unknown" || named === "UnknownError" || named === "Error" ? "" : named;
    return { name: err.name, code, status, message: err.message };
  }
  // Node puts the errno code on the error, on its cause, or (happy eyeballs) on each attempt.
  let code = "";
  for (const candidate of [fields, fields.cause, ...(Array.isArray(fields.errors) ? fields.errors : [])]) {
    const value = (candidate as { code?: unknown } | undefined)?.code;
    if (typeof value === "string") {
      code = value;
      break;
    }
  }
  return { name: err.name, code, status, message: err.message };
}

const UNREACHABLE_CODES: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ENOTFOUND: "host not found",
  EAI_AGAIN: "host name lookup failed",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  EADDRNOTAVAIL: "address not available",
  ERR_SOCKET_CONNECTION_TIMEOUT: "connection timed out",
};

const CONNECTION_DROP_CODES: Record<string, string> = {
  ECONNRESET: "connection reset",
  EPIPE: "connection closed while sending",
  ECONNABORTED: "connection aborted",
  ETIMEDOUT: "timed out",
  ERR_STREAM_PREMATURE_CLOSE: "response cut short",
};

/** A TLS failure: retrying will not fix a certificate, but the endpoint is what's wrong. */
function isTlsFailure(code: string): boolean {
  return code.startsWith("ERR_TLS_") || code.startsWith("ERR_SSL_") || /CERT|SELF_SIGNED|UNABLE_TO_VERIFY/.test(code);
}

function describeObject(context: S3ErrorContext): string {
  return context.key === undefined ? `bucket "${context.bucket}"` : `"${context.key}" in bucket "${context.bucket}"`;
}

function codeAndStatus({ code, name, status }: Symptoms): string {
  if (status === undefined) return code !== "" ? code : name;
  return code !== "" ? `${code}, HTTP ${status}` : `HTTP ${status}`;
}

/**
 * The RemoteError for a failed S3 call. A RemoteError passes through unchanged. `context.key`
 * decides what a bare 404 means: the object (with a key) or the bucket (without).
 */
export function toRemoteError(err: unknown, context: S3ErrorContext): RemoteError {
  if (err instanceof RemoteError) return err;
  const symptoms = symptomsOf(err);
  const { kind, message } = classify(symptoms, context);
  return new RemoteError(kind, message, symptoms.status, { cause: err });
}

function classify(symptoms: Symptoms, context: S3ErrorContext): { kind: RemoteErrorKind; message: string } {
  const { name, code, status } = symptoms;
  const where = context.endpoint;
  const what = describeObject(context);

  if (status === undefined) {
    if (name === "CredentialsProviderError") {
      return {
        kind: "auth",
        message: `no S3 credentials for bucket "${context.bucket}": none are configured and none were found in the environment, ~/.aws or instance metadata`,
      };
    }
    if (name === "AbortError") return { kind: "transient", message: `S3 request for ${what} was aborted` };
    const unreachable = UNREACHABLE_CODES[code];
    if (unreachable !== undefined) return { kind: "unreachable", message: `cannot reach S3 endpoint ${where}: ${unreachable}` };
    if (isTlsFailure(code)) {
      return { kind: "unreachable", message: `cannot reach S3 endpoint ${where}: TLS handshake failed (${code})` };
    }
    // The SDK names both connect and read timeouts TimeoutError; only the connect one means "unreachable".
    if (name === "TimeoutError" && /establish a connection/.test(symptoms.message)) {
      return { kind: "unreachable", message: `cannot reach S3 endpoint ${where}: connection timed out` };
    }
    // Node refusing to send the request (a header it cannot carry, e.g. non-ASCII metadata): no retry helps.
    if (name === "TypeError" || name === "RangeError") {
      return { kind: "invalid", message: `S3 request for ${what} could not be sent: ${symptoms.message}` };
    }
    const dropped = CONNECTION_DROP_CODES[code] ?? (name === "TimeoutError" ? "timed out" : undefined);
    if (dropped !== undefined) {
      return { kind: "transient", message: `S3 request for ${what} at ${where} failed: ${dropped}` };
    }
  }

  if (code === "NoSuchBucket" || (status === 404 && context.key === undefined && code !== "NoSuchKey")) {
    return { kind: "no-bucket", message: `S3 bucket "${context.bucket}" does not exist at ${where}` };
  }
  if (code === "NoSuchKey" || (status === 404 && code !== "NoSuchUpload")) {
    return { kind: "not-found", message: `S3 object ${what} does not exist at ${where}` };
  }
  if (CREDENTIAL_CODES.has(code) || status === 401) {
    return {
      kind: "auth",
      message: `S3 rejected the credentials for bucket "${context.bucket}" (${code !== "" ? code : `HTTP ${status}`}): check the access key and secret`,
    };
  }
  if (code === "RequestTimeTooSkewed") {
    // The SDK already retried with S3's clock: this one does not go away by itself.
    return {
      kind: "invalid",
      message: `S3 refused the request for ${what} at ${where} because this computer's clock is too far off (RequestTimeTooSkewed): set the clock right`,
    };
  }
  if (WRONG_REGION_CODES.has(code) || status === 301) {
    return {
      kind: "invalid",
      message: `S3 bucket "${context.bucket}" is not served by ${where} in the configured region (${codeAndStatus(symptoms)}): check the region and endpoint`,
    };
  }
  if (TRANSIENT_CODES.has(code) || status === 429 || (status !== undefined && status >= 500 && code !== "NotImplemented")) {
    return { kind: "transient", message: `S3 request for ${what} at ${where} failed for now (${codeAndStatus(symptoms)})` };
  }
  if (PERMISSION_CODES.has(code) || status === 403) {
    return {
      kind: "auth",
      message: `S3 denied access to ${what} (${codeAndStatus(symptoms)}): the credentials lack permission for this bucket`,
    };
  }
  if (status !== undefined) {
    return {
      kind: "invalid",
      message: `S3 refused the request for ${what} at ${where} (${codeAndStatus(symptoms)}): ${symptoms.message}`,
    };
  }
  // No response and no known network code: most likely a connection-level hiccup; say what it was.
  return { kind: "transient", message: `S3 request for ${what} at ${where} failed: ${symptoms.message}` };
}
