import type { S3ProbeRequest, S3ProbeResult } from "../content/store/s3/probe.js";

/**
 * "Test connection" (probeS3), with the AWS SDK loaded on first use: a server or desktop host
 * with no S3 share never pays for loading it.
 */
export async function testS3Connection(request: S3ProbeRequest): Promise<S3ProbeResult> {
  const { probeS3 } = await import("../content/store/s3/probe.js");
  return probeS3(request);
}
