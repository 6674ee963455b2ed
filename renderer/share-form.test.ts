import { describe, expect, it } from "vitest";
import type { ManagedShare } from "../core/control/contract.js";
import {
  choosePreset,
  editShareForm,
  endpointOf,
  errorsOf,
  formFieldOf,
  keychainRefFor,
  newShareForm,
  recognise,
  toProbeRequest,
  toSaveRequest,
  type ShareFormValues,
} from "./share-form.js";

const GIB = 1024 ** 3;

function s3Form(changes: Partial<ShareFormValues> = {}): ShareFormValues {
  return { ...newShareForm(), name: "Photos 2024", accessKeyId: "AKIA1", secretAccessKey: "s3cret", bucket: "photos", ...changes };
}

const editedS3: ManagedShare = {
  definition: {
    name: "Photos",
    kind: "s3",
    s3: {
      endpoint: "https://abc123.r2.cloudflarestorage.com",
      region: "auto",
      bucket: "pics",
      prefix: "2024/",
      layout: "opaque",
      accessKeyId: "KEY",
      secretKey: "keychain:dittofs/s3-old-name",
    },
    cacheBytes: 2 * GIB,
    protocol: "both",
    autoMount: false,
    litter: [".DS_Store"],
  },
  exportPath: "/photos",
  secretStored: true,
  serveError: null,
  drive: { mounted: false, mountPoint: null, error: null, mountCommand: null },
};

describe("S3 providers", () => {
  it("fill the endpoint from the region (and R2's account id), or leave it to be typed", () => {
    const at = (preset: Parameters<typeof choosePreset>[1], changes: Partial<ShareFormValues> = {}) => endpointOf({ ...choosePreset(newShareForm(), preset), ...changes });
    expect(at("aws", { region: "eu-west-1" })).toBe("https://s3.eu-west-1.amazonaws.com");
    expect(at("b2", { region: "eu-central-003" })).toBe("https://s3.eu-central-003.backblazeb2.com");
    expect(at("wasabi", { region: "ap-northeast-1" })).toBe("https://s3.ap-northeast-1.wasabisys.com");
    expect(at("r2", { accountId: " f00d " })).toBe("https://f00d.r2.cloudflarestorage.com");
    expect(at("minio")).toBe("http://localhost:9000");
    expect(at("custom", { endpoint: "https://s3.example.net " })).toBe("https://s3.example.net");
  });

  it("set the provider's region when chosen: R2's is auto, MinIO's us-east-1", () => {
    expect(choosePreset(s3Form({ region: "eu-west-1" }), "r2").region).toBe("auto");
    expect(choosePreset(s3Form({ region: "eu-west-1" }), "minio")).toMatchObject({ region: "us-east-1", endpoint: "http://localhost:9000" });
  });

  it("are recognised from a saved endpoint", () => {
    expect(recognise("https://abc123.r2.cloudflarestorage.com")).toEqual({ preset: "r2", accountId: "abc123", endpoint: "https://abc123.r2.cloudflarestorage.com" });
    expect(recognise("https://s3.eu-west-1.amazonaws.com").preset).toBe("aws");
    expect(recognise("https://s3.us-west-004.backblazeb2.com").preset).toBe("b2");
    expect(recognise("https://s3.eu-central-1.wasabisys.com").preset).toBe("wasabi");
    expect(recognise("http://localhost:9000").preset).toBe("minio");
    expect(recognise("http://127.0.0.1:4569").preset).toBe("custom");
  });
});

describe("the form's request", () => {
  it("adds an S3 share with a keychain item named after it and the secret typed", () => {
    const prepared = toSaveRequest(s3Form({ region: "eu-west-1", prefix: " photos/ ", cacheGiB: "1.5", protocol: "smb" }), null);
    expect(prepared).toEqual({
      request: {
        share: {
          name: "Photos 2024",
          kind: "s3",
          protocol: "smb",
          autoMount: true,
          cacheBytes: 1.5 * GIB,
          s3: {
            endpoint: "https://s3.eu-west-1.amazonaws.com",
            region: "eu-west-1",
            bucket: "photos",
            prefix: "photos/",
            layout: "bucket",
            accessKeyId: "AKIA1",
            secretKey: "keychain:dittofs/s3-photos-2024",
          },
        },
        secretAccessKey: "s3cret",
      },
    });
  });

  it("slugs names for the keychain item as the export names are made", () => {
    expect(keychainRefFor("Fotos Ñandú!")).toBe("keychain:dittofs/s3-fotos-nandu");
    expect(keychainRefFor("***")).toBe("keychain:dittofs/s3-share");
  });

  it("keeps the stored secret and keychain item, the litter and the name it replaces when editing", () => {
    const values = editShareForm(editedS3);
    expect(values).toMatchObject({ preset: "r2", accountId: "abc123", region: "auto", secretAccessKey: "", cacheGiB: "2", layout: "opaque", protocol: "both", autoMount: false });
    const prepared = toSaveRequest({ ...values, name: "Pictures" }, editedS3);
    expect(prepared).toEqual({
      request: {
        share: {
          name: "Pictures",
          kind: "s3",
          protocol: "both",
          autoMount: false,
          litter: [".DS_Store"],
          cacheBytes: 2 * GIB,
          s3: { ...editedS3.definition.s3, secretKey: "keychain:dittofs/s3-old-name" },
        },
        replacing: "Photos",
      },
    });
    // A secret typed while editing goes to the same keychain item.
    expect(toSaveRequest({ ...values, secretAccessKey: "new" }, editedS3)).toMatchObject({ request: { secretAccessKey: "new", share: { s3: { secretKey: "keychain:dittofs/s3-old-name" } } } });
  });

  it("makes folder and memory shares without an S3 part", () => {
    expect(toSaveRequest({ ...newShareForm(), kind: "folder", name: "Docs", folderPath: " /srv/docs " }, null)).toEqual({
      request: { share: { name: "Docs", kind: "folder", protocol: "both", autoMount: true, folder: { path: "/srv/docs" } } },
    });
    expect(toSaveRequest({ ...newShareForm(), kind: "memory", name: "Scratch" }, null)).toEqual({
      request: { share: { name: "Scratch", kind: "memory", protocol: "both", autoMount: true } },
    });
  });

  it("names the inputs to fill before asking the server", () => {
    expect(toSaveRequest({ ...newShareForm(), preset: "r2", cacheGiB: "-1" }, null)).toEqual({
      errors: {
        name: expect.any(String),
        accountId: expect.any(String),
        bucket: expect.any(String),
        accessKeyId: expect.any(String),
        secretAccessKey: expect.any(String),
        cacheGiB: expect.any(String),
      },
    });
    expect(toSaveRequest({ ...newShareForm(), kind: "folder", name: "Docs" }, null)).toEqual({ errors: { folderPath: expect.any(String) } });
  });

  it("tests the typed keys only: a stored secret never leaves the keychain", () => {
    expect(toProbeRequest(s3Form({ bucket: "" }))).toEqual({
      request: { endpoint: "https://s3.us-east-1.amazonaws.com", region: "us-east-1", accessKeyId: "AKIA1", secretAccessKey: "s3cret", bucket: null },
    });
    expect(toProbeRequest(editShareForm(editedS3))).toEqual({ errors: { secretAccessKey: expect.stringContaining("Type the secret") } });
  });
});

describe("errors by their field", () => {
  it("maps the server's and the probe's fields to the form's inputs, others above the buttons", () => {
    const custom = s3Form({ preset: "custom", endpoint: "http://x" });
    expect(
      ["name", "s3.endpoint", "s3.bucket", "s3.accessKeyId", "s3.region", "folder.path", "cacheBytes", "protocol", "bucket", "secretAccessKey", "endpoint", "s3.mystery", null].map((field) =>
        formFieldOf(field, custom),
      ),
    ).toEqual(["name", "endpoint", "bucket", "accessKeyId", "region", "folderPath", "cacheGiB", "protocol", "bucket", "secretAccessKey", "endpoint", "form", "form"]);
  });

  it("puts a derived endpoint's error where it is typed: R2's account id, another provider's region", () => {
    expect(formFieldOf("s3.endpoint", s3Form({ preset: "r2" }))).toBe("accountId");
    expect(formFieldOf("endpoint", s3Form({ preset: "aws" }))).toBe("region");
  });

  it("shows the message without the field's name in front", () => {
    expect(errorsOf("s3.bucket", "s3.bucket: expected an S3 bucket name", s3Form())).toEqual({ bucket: "Expected an S3 bucket name" });
    expect(errorsOf(null, "the keychain is locked", s3Form())).toEqual({ form: "The keychain is locked" });
  });
});
