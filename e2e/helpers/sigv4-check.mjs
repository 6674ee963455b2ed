/* global Buffer */
/**
 * AWS Signature Version 4 checking for s3rver, which leaves it unimplemented and so accepts any
 * secret key (its README: "signature version 4 calculation is unimplemented"). S3 refuses a
 * request whose signature does not match the secret of its access key with SignatureDoesNotMatch;
 * with this check in front, s3rver does too, so tests can see what a wrong secret does.
 * Header-signed requests only (what the AWS SDK sends); the payload hash is taken as declared.
 */
import { createHash, createHmac } from "node:crypto";

const AUTH = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/;

/** RFC 3986 encoding, as SigV4 wants query keys and values. */
function encode(text) {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function canonicalQuery(query) {
  if (!query) return "";
  return query
    .split("&")
    .filter((part) => part !== "")
    .map((part) => {
      const eq = part.indexOf("=");
      const key = decodeURIComponent(eq === -1 ? part : part.slice(0, eq));
      const value = eq === -1 ? "" : decodeURIComponent(part.slice(eq + 1).replace(/\+/g, "%20"));
      return [encode(key), encode(value)];
    })
    .sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0))
    .map(([key, value]) => `${key}=${value}`)
    .join("&");
}

const hmac = (key, text) => createHmac("sha256", key).update(text).digest();

/**
 * "ok" when `req` carries no SigV4 header or one whose signature matches `secretOf(accessKeyId)`
 * (null for an unknown key: s3rver itself answers InvalidAccessKeyId); else "mismatch".
 */
export function checkSigV4(req, secretOf) {
  const header = req.headers.authorization;
  if (!header || !header.startsWith("AWS4-HMAC-SHA256 ")) return "ok";
  const match = AUTH.exec(header);
  if (!match) return "mismatch";
  const [, accessKeyId, date, region, service, signedHeaders, signature] = match;
  const secret = secretOf(accessKeyId);
  if (secret === null) return "ok";
  const [path, query = ""] = (req.url ?? "/").split("?", 2);
  const headers = signedHeaders
    .split(";")
    .map((name) => {
      const value = req.headers[name];
      const text = Array.isArray(value) ? value.join(",") : (value ?? "");
      return `${name}:${String(text).trim().replace(/\s+/g, " ")}\n`;
    })
    .join("");
  const payloadHash = req.headers["x-amz-content-sha256"] ?? "UNSIGNED-PAYLOAD";
  const canonical = [req.method, path, canonicalQuery(query), headers, signedHeaders, payloadHash].join("\n");
  const scope = `${date}/${region}/${service}/aws4_request`;
  const toSign = ["AWS4-HMAC-SHA256", req.headers["x-amz-date"], scope, createHash("sha256").update(canonical).digest("hex")].join("\n");
  const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), service), "aws4_request");
  return hmac(key, toSign).toString("hex") === signature ? "ok" : "mismatch";
}

/** S3's answer to a request signed with the wrong secret. */
export function signatureMismatch(res, method) {
  const body =
    '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SignatureDoesNotMatch</Code>' +
    "<Message>The request signature we calculated does not match the signature you provided. Check your key and signing method.</Message></Error>";
  res.writeHead(403, { "Content-Type": "application/xml", "Content-Length": method === "HEAD" ? 0 : Buffer.byteLength(body) });
  res.end(method === "HEAD" ? undefined : body);
}
