/**
 * The add/edit share form as plain data: its values, the S3 providers' endpoints, the request it
 * saves, and which of its inputs an error is about. No React here, so that it is unit-tested.
 */
import type { ManagedShare, S3ProbeField, S3ProbeRequest, SaveShareRequest, ShareDefinitionInput, ShareKind, ShareProtocol } from "../core/control/contract.js";

export type PresetId = "aws" | "r2" | "b2" | "wasabi" | "minio" | "custom";

export interface Preset {
  id: PresetId;
  label: string;
  /** The region a new share of this provider starts with. */
  region: string;
  /** The endpoint for a region (and R2's account id); null: the person types it (default: `defaultEndpoint`). */
  endpoint: ((region: string, accountId: string) => string) | null;
  defaultEndpoint: string;
  /** Whether the region is the provider's to choose (R2 has one: "auto"). */
  regionFixed: boolean;
}

export const PRESETS: readonly Preset[] = [
  { id: "aws", label: "Amazon S3", region: "us-east-1", endpoint: (region) => `https://s3.${region}.amazonaws.com`, defaultEndpoint: "", regionFixed: false },
  { id: "r2", label: "Cloudflare R2", region: "auto", endpoint: (_region, accountId) => `https://${accountId}.r2.cloudflarestorage.com`, defaultEndpoint: "", regionFixed: true },
  { id: "b2", label: "Backblaze B2", region: "us-west-004", endpoint: (region) => `https://s3.${region}.backblazeb2.com`, defaultEndpoint: "", regionFixed: false },
  { id: "wasabi", label: "Wasabi", region: "us-east-1", endpoint: (region) => `https://s3.${region}.wasabisys.com`, defaultEndpoint: "", regionFixed: false },
  { id: "minio", label: "MinIO", region: "us-east-1", endpoint: null, defaultEndpoint: "http://localhost:9000", regionFixed: false },
  { id: "custom", label: "Other (custom endpoint)", region: "us-east-1", endpoint: null, defaultEndpoint: "", regionFixed: false },
];

export function presetOf(id: PresetId): Preset {
  return PRESETS.find((preset) => preset.id === id)!;
}

/** What the form's inputs hold (numbers as typed, so that a half-typed one is not lost). */
export interface ShareFormValues {
  kind: ShareKind;
  name: string;
  preset: PresetId;
  /** Cloudflare R2's account id (part of its endpoint). */
  accountId: string;
  /** The endpoint as typed: used by the presets without an endpoint of their own (MinIO, custom). */
  endpoint: string;
  region: string;
  accessKeyId: string;
  /** Empty when editing: keep the stored one. */
  secretAccessKey: string;
  bucket: string;
  prefix: string;
  layout: "bucket" | "opaque";
  cacheGiB: string;
  protocol: ShareProtocol;
  autoMount: boolean;
  folderPath: string;
}

/** The form's inputs, in the order they appear: the first one with an error gets the focus. */
export const FORM_FIELDS = [
  "kind",
  "name",
  "preset",
  "accountId",
  "endpoint",
  "region",
  "accessKeyId",
  "secretAccessKey",
  "bucket",
  "prefix",
  "layout",
  "cacheGiB",
  "folderPath",
  "protocol",
  "autoMount",
] as const satisfies ReadonlyArray<keyof ShareFormValues>;
export type FormField = (typeof FORM_FIELDS)[number];

/** Errors by input; `form`: one about no input in particular (shown above the buttons). */
export type FormErrors = Partial<Record<FormField | "form", string>>;

const GIB = 1024 ** 3;
const DEFAULT_CACHE_GIB = "10";

export function newShareForm(): ShareFormValues {
  return {
    kind: "s3",
    name: "",
    preset: "aws",
    accountId: "",
    endpoint: "",
    region: presetOf("aws").region,
    accessKeyId: "",
    secretAccessKey: "",
    bucket: "",
    prefix: "",
    layout: "bucket",
    cacheGiB: DEFAULT_CACHE_GIB,
    // Both: macOS mounts drives over NFS, Linux and Windows over SMB, and the window may not run where the drive is mounted.
    protocol: "both",
    autoMount: true,
    folderPath: "",
  };
}

/** The form for changing `share`: its definition, the secret left empty (kept unless typed). */
export function editShareForm(share: ManagedShare): ShareFormValues {
  const { definition } = share;
  const form: ShareFormValues = {
    ...newShareForm(),
    kind: definition.kind,
    name: definition.name,
    cacheGiB: String(Math.round((definition.cacheBytes / GIB) * 100) / 100),
    protocol: definition.protocol,
    autoMount: definition.autoMount,
    folderPath: definition.folder?.path ?? "",
  };
  const s3 = definition.s3;
  if (!s3) return form;
  const recognised = recognise(s3.endpoint);
  return {
    ...form,
    ...recognised,
    region: s3.region,
    accessKeyId: s3.accessKeyId,
    bucket: s3.bucket,
    prefix: s3.prefix,
    layout: s3.layout,
  };
}

/** The provider an endpoint belongs to, by the shape of its URL. */
export function recognise(endpoint: string): Pick<ShareFormValues, "preset" | "accountId" | "endpoint"> {
  const r2 = /^https:\/\/([a-z0-9]+)\.r2\.cloudflarestorage\.com\/?$/i.exec(endpoint);
  if (r2) return { preset: "r2", accountId: r2[1]!, endpoint };
  for (const [preset, pattern] of [
    ["aws", /^https:\/\/s3\.([a-z0-9-]+)\.amazonaws\.com\/?$/i],
    ["b2", /^https:\/\/s3\.([a-z0-9-]+)\.backblazeb2\.com\/?$/i],
    ["wasabi", /^https:\/\/s3\.([a-z0-9-]+)\.wasabisys\.com\/?$/i],
  ] as const) {
    if (pattern.test(endpoint)) return { preset, accountId: "", endpoint };
  }
  return { preset: endpoint === presetOf("minio").defaultEndpoint ? "minio" : "custom", accountId: "", endpoint };
}

/** The values after choosing another provider: its region and endpoint. */
export function choosePreset(values: ShareFormValues, id: PresetId): ShareFormValues {
  const preset = presetOf(id);
  return { ...values, preset: id, region: preset.region, endpoint: preset.endpoint ? "" : preset.defaultEndpoint };
}

/** The endpoint the share will use: the provider's for the region, or the one typed. */
export function endpointOf(values: ShareFormValues): string {
  const preset = presetOf(values.preset);
  return preset.endpoint ? preset.endpoint(values.region.trim(), values.accountId.trim()) : values.endpoint.trim();
}

/**
 * "Photos 2024" → "photos-2024": the keychain account of a new S3 share's secret (lowercase
 * letters, digits, dots, dashes and underscores, as the export names).
 */
export function slugOf(name: string): string {
  return (
    name
      .normalize("NFKD")
      .replace(/\p{M}/gu, "")
      .toLowerCase()
      .replace(/[^a-z0-9._-]+/g, "-")
      .replace(/^[-._]+|[-._]+$/g, "") || "share"
  );
}

export function keychainRefFor(name: string): string {
  return `keychain:dittofs/s3-${slugOf(name)}`;
}

/** What the form would save, or the inputs to fix first (what the server cannot say better). */
export function toSaveRequest(values: ShareFormValues, editing: ManagedShare | null): { request: SaveShareRequest } | { errors: FormErrors } {
  const errors: FormErrors = {};
  const name = values.name.trim();
  if (name === "") errors.name = "Give the share a name.";
  const share: ShareDefinitionInput = { name, kind: values.kind, protocol: values.protocol, autoMount: values.autoMount };
  if (editing) share.litter = editing.definition.litter;
  let secretAccessKey: string | undefined;

  if (values.kind === "s3") {
    const kept = editing?.definition.s3?.secretKey;
    if (values.preset === "r2" && values.accountId.trim() === "") errors.accountId = "Type your Cloudflare account ID (it is part of the endpoint).";
    if (presetOf(values.preset).endpoint === null && values.endpoint.trim() === "") errors.endpoint = "Type the endpoint's URL.";
    if (values.bucket.trim() === "") errors.bucket = "Choose or type a bucket.";
    if (values.accessKeyId.trim() === "") errors.accessKeyId = "Type the access key ID.";
    if (values.secretAccessKey !== "") secretAccessKey = values.secretAccessKey;
    else if (!kept) errors.secretAccessKey = "Type the secret access key.";
    const gib = Number(values.cacheGiB);
    if (values.cacheGiB.trim() === "" || !Number.isFinite(gib) || gib <= 0) errors.cacheGiB = "The cache size is a number of GiB, like 10.";
    share.cacheBytes = Math.round(gib * GIB);
    share.s3 = {
      endpoint: endpointOf(values),
      region: values.region.trim(),
      bucket: values.bucket.trim(),
      prefix: values.prefix.trim(),
      layout: values.layout,
      accessKeyId: values.accessKeyId.trim(),
      secretKey: kept ?? keychainRefFor(name),
    };
  } else {
    if (editing) share.cacheBytes = editing.definition.cacheBytes;
    if (values.kind === "folder") {
      if (values.folderPath.trim() === "") errors.folderPath = "Type the folder's path.";
      share.folder = { path: values.folderPath.trim() };
    }
  }
  if (Object.keys(errors).length > 0) return { errors };
  return { request: { share, ...(editing && { replacing: editing.definition.name }), ...(secretAccessKey !== undefined && { secretAccessKey }) } };
}

/** "Test connection": the probe of the endpoint and keys typed, or what is missing for one. */
export function toProbeRequest(values: ShareFormValues): { request: S3ProbeRequest } | { errors: FormErrors } {
  const errors: FormErrors = {};
  if (values.preset === "r2" && values.accountId.trim() === "") errors.accountId = "Type your Cloudflare account ID (it is part of the endpoint).";
  if (presetOf(values.preset).endpoint === null && values.endpoint.trim() === "") errors.endpoint = "Type the endpoint's URL.";
  if (values.accessKeyId.trim() === "") errors.accessKeyId = "Type the access key ID.";
  if (values.secretAccessKey === "") errors.secretAccessKey = "Type the secret access key to test it (the stored one never leaves the keychain).";
  if (Object.keys(errors).length > 0) return { errors };
  const bucket = values.bucket.trim();
  return {
    request: {
      endpoint: endpointOf(values),
      region: values.region.trim(),
      accessKeyId: values.accessKeyId.trim(),
      secretAccessKey: values.secretAccessKey,
      bucket: bucket === "" ? null : bucket,
    },
  };
}

const SAVE_FIELDS: Readonly<Record<string, FormField>> = {
  kind: "kind",
  name: "name",
  "s3.endpoint": "endpoint",
  "s3.region": "region",
  "s3.bucket": "bucket",
  "s3.prefix": "prefix",
  "s3.layout": "layout",
  "s3.accessKeyId": "accessKeyId",
  "s3.secretKey": "secretAccessKey",
  secretAccessKey: "secretAccessKey",
  "folder.path": "folderPath",
  folder: "folderPath",
  cacheBytes: "cacheGiB",
  protocol: "protocol",
  autoMount: "autoMount",
};

const PROBE_FIELDS: Readonly<Record<S3ProbeField, FormField>> = {
  endpoint: "endpoint",
  region: "region",
  accessKeyId: "accessKeyId",
  secretAccessKey: "secretAccessKey",
  bucket: "bucket",
};

/**
 * The input an error of the server is about: a ControlError's field ("s3.bucket") or a probe's
 * ("bucket"); `form` for none or one the form has no input for. The endpoint of a provider whose
 * endpoint is derived is fixed where it is typed: R2's account id, the others' region.
 */
export function formFieldOf(field: string | null, values: ShareFormValues): FormField | "form" {
  if (field === null) return "form";
  const input = SAVE_FIELDS[field] ?? PROBE_FIELDS[field as S3ProbeField];
  if (input === undefined) return "form";
  if (input === "endpoint" && presetOf(values.preset).endpoint) return values.preset === "r2" ? "accountId" : "region";
  return input;
}

/** An error's message for the input it is shown by: without the "s3.bucket: " prefix the field repeats, capitalised. */
export function messageFor(field: string | null, message: string): string {
  const bare = field && message.startsWith(`${field}: `) ? message.slice(field.length + 2) : message;
  return bare.charAt(0).toUpperCase() + bare.slice(1);
}

/** The errors a refusal of the server puts by the form's inputs. */
export function errorsOf(field: string | null, message: string, values: ShareFormValues): FormErrors {
  return { [formFieldOf(field, values)]: messageFor(field, message) };
}
