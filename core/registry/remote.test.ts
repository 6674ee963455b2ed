import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { s3ClientFor, startS3rver, type S3rverServer } from "../../e2e/helpers/s3rver.mjs";
import { validateConfig } from "../config/validate.js";
import type { AuthContext } from "../metadata/types.js";
import { silentLogger } from "../util/logger.js";
import { Registry } from "./registry.js";

const BUCKET = "dittofs-registry";
const ROOT: AuthContext = { uid: 0, gid: 0, gids: [] };

let s3: S3rverServer;
let sdk: S3Client;
let registry: Registry;
const scratch = mkdtempSync(path.join(tmpdir(), "dittofs-registry-remote-"));

beforeAll(async () => {
  s3 = await startS3rver({ buckets: [BUCKET] });
  sdk = s3ClientFor(s3);
  const config = validateConfig(
    {
      metadata: { stores: { listing: { type: "sqlite", sqlite: { path: path.join(scratch, "listing.db") } }, meta: { type: "memory" } } },
      content: {
        stores: {
          bucket: {
            type: "s3",
            s3: {
              bucket: BUCKET,
              prefix: "drive/",
              endpoint: s3.endpoint,
              path_style: true,
              access_key_id: "secret:key",
              secret_access_key: "secret:secret",
            },
            cache: { path: path.join(scratch, "cache") },
          },
          local: { type: "memory" },
        },
      },
      shares: [
        { name: "/drive", metadata_store: "listing", content_store: "bucket" },
        { name: "/local", metadata_store: "meta", content_store: "local" },
      ],
    },
    "test",
  );
  // The desktop app's keychain stands behind "secret:" references.
  const keychain = new Map([
    ["key", s3.accessKeyId],
    ["secret", s3.secretAccessKey],
  ]);
  registry = await Registry.fromConfig(config, silentLogger, { secrets: { resolve: async (name) => keychain.get(name) ?? null } });
});

afterAll(async () => {
  await registry?.close();
  sdk?.destroy();
  await s3?.close();
  rmSync(scratch, { recursive: true, force: true });
});

describe("Registry over an S3 bucket share", () => {
  test("reports the upload queue of a share on S3, and none for a share without a remote side", () => {
    expect(registry.remoteStatus(registry.share("/drive")!)).toMatchObject({
      remote: expect.stringContaining(`s3://${BUCKET}/drive/`),
      pendingFiles: 0,
      lastError: null,
    });
    expect(registry.remoteStatus(registry.share("/local")!)).toBeNull();
  });

  test("lists a bucket share's directory again on demand, showing objects put since", async () => {
    const drive = registry.share("/drive")!;
    const root = await registry.metadata.root(drive.name);
    expect((await registry.metadata.readDir(ROOT, drive.name, root.id, 0, 100)).page.entries).toEqual([]);
    await sdk.send(new PutObjectCommand({ Bucket: BUCKET, Key: "drive/new.txt", Body: "arrived" }));
    // Within the listing TTL the cached listing is served...
    await expect(registry.metadata.lookup(ROOT, drive.name, root.id, "new.txt")).rejects.toMatchObject({ code: "NotFound" });
    // ...until the user asks for a refresh.
    expect(await registry.refreshListing(drive)).toBe(true);
    const { attr } = await registry.metadata.lookup(ROOT, drive.name, root.id, "new.txt");
    expect(attr.size).toBe(7);
    expect(await registry.refreshListing(registry.share("/local")!)).toBe(false);
  });
});
