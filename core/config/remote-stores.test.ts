import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { ConfigError, validateConfig } from "./index.js";
import { parseSecretRef, resolveSecret } from "./secrets.js";

function withStores(metadata: unknown, content: unknown, share: Record<string, unknown> = {}): unknown {
  return {
    metadata: { stores: { meta: metadata } },
    content: { stores: { data: content } },
    shares: [{ name: "/bucket", metadata_store: "meta", content_store: "data", ...share }],
  };
}

function issuesOf(raw: unknown): string[] {
  try {
    validateConfig(raw, "test.yaml");
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).issues.map((issue) => `${issue.path}: ${issue.message}`);
  }
  throw new Error("config was accepted");
}

describe("s3 content stores", () => {
  test("a minimal s3 store gets every default, path style for a custom endpoint", () => {
    const config = validateConfig(
      withStores({ type: "memory" }, { type: "s3", s3: { bucket: "photos", endpoint: "http://127.0.0.1:9000" } }),
      "test.yaml",
    );
    expect(config.content.stores.data).toEqual({
      type: "s3",
      s3: {
        layout: "bucket",
        listTtl: 30_000,
        bucket: "photos",
        prefix: "",
        endpoint: "http://127.0.0.1:9000",
        region: "us-east-1",
        forcePathStyle: true,
        accessKeyId: null,
        secretAccessKey: null,
        requestTimeout: 60_000,
        connectTimeout: 5_000,
        concurrency: 8,
        partSize: 16 * 2 ** 20,
      },
      cache: {
        path: null,
        maxSize: 10 * 2 ** 30,
        minFree: 2 ** 30,
        uploads: 4,
        uploadAfter: 10_000,
        remoteTimeout: 60_000,
        fullWait: 30_000,
        readAhead: 16,
        revalidateAfter: 3_000,
      },
    });
    expect(config.shares[0]!.durability).toBe("local");
  });

  test("credentials are references; the cache path resolves against the config's directory", () => {
    const config = validateConfig(
      withStores(
        { type: "memory" },
        {
          type: "s3",
          s3: {
            bucket: "photos",
            prefix: "backup/2024/",
            path_style: false,
            access_key_id: "AKIAEXAMPLE",
            secret_access_key: "env:PHOTOS_SECRET",
            part_size: "64MiB",
          },
          cache: { path: "cache", max_size: "2GiB", upload_after: "1s", full_wait: "5s" },
        },
        { durability: "remote" },
      ),
      "test.yaml",
      { baseDir: "/etc/dittofs" },
    );
    const store = config.content.stores.data!;
    expect(store.type).toBe("s3");
    if (store.type !== "s3") return;
    expect(store.s3).toMatchObject({
      prefix: "backup/2024/",
      forcePathStyle: false,
      accessKeyId: "AKIAEXAMPLE",
      secretAccessKey: { from: "env", name: "PHOTOS_SECRET" },
      partSize: 64 * 2 ** 20,
    });
    expect(store.cache).toMatchObject({ path: "/etc/dittofs/cache", maxSize: 2 * 2 ** 30, uploadAfter: 1_000, fullWait: 5_000 });
    expect(config.shares[0]!.durability).toBe("remote");
  });

  test("a full cache's wait for room stays under the clients' RPC timeout", () => {
    const issues = issuesOf(withStores({ type: "memory" }, { type: "s3", s3: { bucket: "photos" }, cache: { full_wait: "2m" } }));
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatch(/^content\.stores\.data\.cache\.full_wait: expected a duration up to 60s/);
  });

  test.each([
    [
      "an inline secret",
      { bucket: "photos", access_key_id: "AKIA", secret_access_key: "wJalrXUtnFEMI/K7MDENG" },
      ["content.stores.data.s3.secret_access_key: expected a secret reference like env:NAME, file:/run/secrets/name or secret:name (never the secret itself), got a plain string (not shown)"],
    ],
    [
      "half the credentials",
      { bucket: "photos", secret_access_key: "env:S" },
      ["content.stores.data.s3.access_key_id: set both access_key_id and secret_access_key, or neither (to use the AWS default credential chain)"],
    ],
    ["a bad bucket name", { bucket: "Photos!" }, [expect.stringMatching(/^content\.stores\.data\.s3\.bucket: expected a bucket name/)]],
    ["a prefix without a trailing slash", { bucket: "photos", prefix: "backup" }, [expect.stringMatching(/^content\.stores\.data\.s3\.prefix: expected a key prefix/)]],
    ["a prefix with an empty segment", { bucket: "photos", prefix: "a//" }, [expect.stringMatching(/^content\.stores\.data\.s3\.prefix: expected a key prefix/)]],
    ["an endpoint with credentials in it", { bucket: "photos", endpoint: "http://key:secret@host" }, [expect.stringMatching(/^content\.stores\.data\.s3\.endpoint: expected an endpoint URL/)]],
    ["a part size under 5 MiB", { bucket: "photos", part_size: "1MiB" }, [expect.stringMatching(/^content\.stores\.data\.s3\.part_size: expected a size from 5MiB to 5GiB/)]],
  ])("refuses %s", (_name, s3, expected) => {
    const issues = issuesOf(withStores({ type: "memory" }, { type: "s3", s3 }));
    expect(issues).toEqual(expected);
    // The rejected secret never appears in a message.
    expect(issues.join("\n")).not.toContain("wJalrXUtnFEMI");
  });

  test("lets a bucket-layout store back one share only", () => {
    const raw = withStores({ type: "memory" }, { type: "s3", s3: { bucket: "photos" } }) as { shares: Array<Record<string, unknown>> };
    raw.shares.push({ name: "/other", metadata_store: "meta", content_store: "data" });
    expect(issuesOf(raw)).toEqual([
      'shares[1].content_store: content store "data" has the bucket layout and already backs shares[0] (give each share its own bucket or prefix)',
    ]);
    const opaque = withStores({ type: "memory" }, { type: "s3", s3: { bucket: "photos", layout: "opaque" } }) as { shares: Array<Record<string, unknown>> };
    opaque.shares.push({ name: "/other", metadata_store: "meta", content_store: "data" });
    expect(validateConfig(opaque, "test.yaml").shares).toHaveLength(2);
  });

  test("refuses an unknown durability", () => {
    expect(issuesOf(withStores({ type: "memory" }, { type: "memory" }, { durability: "cloud" }))).toEqual([
      'shares[0].durability: expected "local" or "remote", got "cloud"',
    ]);
  });
});

describe("postgres metadata stores", () => {
  test("a postgres store gets its defaults and keeps its password a reference", () => {
    const config = validateConfig(
      withStores({ type: "postgres", postgres: { database: "dittofs", user: "ditto", password: "file:/run/secrets/pg" } }, { type: "memory" }),
      "test.yaml",
    );
    expect(config.metadata.stores.meta).toEqual({
      type: "postgres",
      postgres: {
        host: "127.0.0.1",
        port: 5432,
        database: "dittofs",
        user: "ditto",
        password: { from: "file", name: "/run/secrets/pg" },
        maxConns: 10,
        ssl: false,
        connectTimeout: 5_000,
      },
    });
  });

  test("with S3 content, asks for the opaque layout and remote durability (several servers share the tree)", () => {
    const postgres = { type: "postgres", postgres: { database: "dittofs", user: "ditto", password: "env:PG" } };
    expect(issuesOf(withStores(postgres, { type: "s3", s3: { bucket: "photos" } }))).toEqual([
      'content.stores.data.s3.layout: must be "opaque" for shares[0], whose metadata store is PostgreSQL (shared by several servers), got "bucket"',
      'shares[0].durability: must be "remote" on a share with PostgreSQL metadata and S3 content (several servers share it: a COMMIT must reach S3), got "local"',
    ]);
    const safe = validateConfig(withStores(postgres, { type: "s3", s3: { bucket: "photos", layout: "opaque" } }, { durability: "remote" }), "test.yaml");
    expect(safe.shares[0]!.durability).toBe("remote");
    // Content on local disk is one server's own: nothing to coordinate.
    expect(validateConfig(withStores(postgres, { type: "fs", fs: { path: "/tmp/x" } }), "test.yaml").shares).toHaveLength(1);
  });

  test("refuses an inline password and a missing database", () => {
    expect(issuesOf(withStores({ type: "postgres", postgres: { user: "u", password: "hunter2" } }, { type: "memory" }))).toEqual([
      "metadata.stores.meta.postgres.database: missing: expected a database name",
      "metadata.stores.meta.postgres.password: expected a secret reference like env:NAME, file:/run/secrets/name or secret:name (never the secret itself), got a plain string (not shown)",
    ]);
  });
});

describe("secret references", () => {
  test("parses env, file and secret references and nothing else", () => {
    expect(parseSecretRef("env:AWS_SECRET_ACCESS_KEY")).toEqual({ from: "env", name: "AWS_SECRET_ACCESS_KEY" });
    expect(parseSecretRef("file:/run/secrets/s3")).toEqual({ from: "file", name: "/run/secrets/s3" });
    expect(parseSecretRef("secret:photos-bucket")).toEqual({ from: "secret", name: "photos-bucket" });
    for (const bad of ["hunter2", "env:", "env:1BAD", "vault:x", ""]) expect(parseSecretRef(bad)).toBeUndefined();
  });

  test("resolves from the environment, a file and a resolver, with errors that name the reference only", async () => {
    expect(await resolveSecret({ from: "env", name: "X" }, null, { X: "s3cr3t" })).toBe("s3cr3t");
    await expect(resolveSecret({ from: "env", name: "MISSING" }, null, {})).rejects.toThrow("secret env:MISSING: environment variable MISSING is not set");

    const dir = await mkdtemp(path.join(tmpdir(), "dittofs-secret-"));
    try {
      await writeFile(path.join(dir, "s3"), "from-a-file\n");
      expect(await resolveSecret({ from: "file", name: path.join(dir, "s3") }, null)).toBe("from-a-file");
      await expect(resolveSecret({ from: "file", name: path.join(dir, "none") }, null)).rejects.toThrow(/cannot read the file \(ENOENT\)/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }

    const keychain = { resolve: async (name: string) => (name === "photos" ? "from-keychain" : null) };
    expect(await resolveSecret({ from: "secret", name: "photos" }, keychain)).toBe("from-keychain");
    await expect(resolveSecret({ from: "secret", name: "other" }, keychain)).rejects.toThrow("secret secret:other: not found in the secret store");
    await expect(resolveSecret({ from: "secret", name: "photos" }, null)).rejects.toThrow(/no secret store is available/);
  });
});
