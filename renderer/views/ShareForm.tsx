import { useEffect, useId, useState, type ReactNode } from "react";
import type { FolderPreview, ManagedShare, S3ProbeRequest, S3ProbeResult, SaveShareRequest, ShareKind } from "../../core/control/contract.js";
import { count, humanSize } from "../format.js";
import {
  choosePreset,
  editShareForm,
  endpointOf,
  errorsOf,
  FORM_FIELDS,
  newShareForm,
  presetOf,
  PRESETS,
  toProbeRequest,
  toSaveRequest,
  type FormErrors,
  type FormField,
  type PresetId,
  type ShareFormValues,
} from "../share-form.js";
import type { Outcome } from "../store.js";

export interface ShareFormActions {
  save(request: SaveShareRequest): Promise<Outcome<ManagedShare>>;
  testS3(request: S3ProbeRequest): Promise<Outcome<S3ProbeResult>>;
  previewFolder(path: string): Promise<Outcome<FolderPreview>>;
  cancel(): void;
}

/** Entries of a folder preview shown; the rest are counted. */
const PREVIEW_SHOWN = 8;

const KINDS: ReadonlyArray<{ kind: ShareKind; label: string }> = [
  { kind: "s3", label: "S3 bucket" },
  { kind: "folder", label: "Local folder" },
  { kind: "memory", label: "Memory" },
];

type TestState = { running: true } | { running: false; result: S3ProbeResult | null };

/**
 * Adding or changing a share. Focus starts on the first field and moves to the first error;
 * each error is shown by the input it is about, in the server's words.
 */
export function ShareForm({ editing, actions }: { editing: ManagedShare | null; actions: ShareFormActions }) {
  const [values, setValues] = useState<ShareFormValues>(() => (editing ? editShareForm(editing) : newShareForm()));
  const [errors, setErrors] = useState<FormErrors>({});
  const [saving, setSaving] = useState(false);
  const [test, setTest] = useState<TestState>({ running: false, result: null });
  const [preview, setPreview] = useState<FolderPreview | null>(null);
  const prefix = useId();
  const idOf = (field: FormField | "form") => `${prefix}-${field}`;

  useEffect(() => {
    document.getElementById(idOf("kind"))?.focus();
    // Once, when the form opens.
  }, []);
  useEffect(() => {
    const first = [...FORM_FIELDS, "form" as const].find((field) => errors[field] && document.getElementById(idOf(field)));
    if (first) document.getElementById(idOf(first))?.focus();
    // Only when a new set of errors arrives.
  }, [errors]);

  const change = (changes: Partial<ShareFormValues>) => {
    setValues((old) => ({ ...old, ...changes }));
    const cleared = Object.keys(changes).filter((field) => errors[field as FormField]);
    if (cleared.length > 0) setErrors((old) => Object.fromEntries(Object.entries(old).filter(([field]) => !cleared.includes(field))));
  };
  /** The props that tie an input to its label, hint and error. */
  const bind = (field: FormField, hint = false) => ({
    id: idOf(field),
    "aria-invalid": errors[field] ? true : undefined,
    "aria-describedby": [errors[field] && `${idOf(field)}-error`, hint && `${idOf(field)}-hint`].filter(Boolean).join(" ") || undefined,
  });
  const text = (field: "name" | "accountId" | "endpoint" | "region" | "accessKeyId" | "bucket" | "prefix" | "folderPath", hint = false) => ({
    ...bind(field, hint),
    value: values[field],
    onChange: (event: { target: { value: string } }) => change({ [field]: event.target.value }),
  });

  const save = async () => {
    const prepared = toSaveRequest(values, editing);
    if ("errors" in prepared) return setErrors(prepared.errors);
    setSaving(true);
    const outcome = await actions.save(prepared.request);
    // On success the store closes the form.
    if (!outcome.ok) {
      setSaving(false);
      setErrors(errorsOf(outcome.field, outcome.message, values));
    }
  };
  const testConnection = async () => {
    const prepared = toProbeRequest(values);
    if ("errors" in prepared) return setErrors(prepared.errors);
    setErrors({});
    setTest({ running: true });
    const outcome = await actions.testS3(prepared.request);
    if (!outcome.ok) {
      setTest({ running: false, result: null });
      return setErrors(errorsOf(outcome.field, outcome.message, values));
    }
    setTest({ running: false, result: outcome.value });
    if (!outcome.value.ok) setErrors(errorsOf(outcome.value.field, outcome.value.message, values));
  };
  const showFiles = async () => {
    if (values.folderPath.trim() === "") return setErrors({ folderPath: "Type the folder's path." });
    const outcome = await actions.previewFolder(values.folderPath.trim());
    if (outcome.ok) setPreview(outcome.value);
    else {
      setPreview(null);
      setErrors(errorsOf(outcome.field ?? "folder.path", outcome.message, values));
    }
  };

  const preset = presetOf(values.preset);
  const buckets = test.running ? null : test.result?.ok ? test.result.buckets : null;
  const secretHint = editing?.definition.s3 ? (editing.secretStored ? "Leave empty to keep the stored secret" : "No secret is stored: type it") : undefined;
  return (
    <form
      className="share-form"
      aria-labelledby="view-title"
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        void save();
      }}
      onKeyDown={(event) => {
        if (event.key === "Escape") actions.cancel();
      }}
    >
      <fieldset className="row">
        <legend>Kind</legend>
        <div className="control choices">
          {KINDS.map(({ kind, label }) => (
            <label key={kind}>
              <input
                type="radio"
                name={`${prefix}-kind`}
                value={kind}
                id={kind === values.kind ? idOf("kind") : undefined}
                checked={kind === values.kind}
                onChange={() => change({ kind })}
              />
              {label}
            </label>
          ))}
        </div>
      </fieldset>
      <Row id={idOf("name")} label="Name" error={errors.name}>
        <input type="text" autoComplete="off" spellCheck={false} placeholder="Photos" {...text("name")} />
      </Row>

      {values.kind === "s3" && (
        <section>
          <h2>S3 connection</h2>
          <Row id={idOf("preset")} label="Provider" error={errors.preset}>
            <select {...bind("preset")} value={values.preset} onChange={(event) => setValues(choosePreset(values, event.target.value as PresetId))}>
              {PRESETS.map(({ id, label }) => (
                <option key={id} value={id}>
                  {label}
                </option>
              ))}
            </select>
          </Row>
          {values.preset === "r2" && (
            <Row id={idOf("accountId")} label="Account ID" error={errors.accountId}>
              <input type="text" autoComplete="off" spellCheck={false} {...text("accountId")} />
            </Row>
          )}
          <Row id={idOf("region")} label="Region" error={errors.region}>
            <input type="text" autoComplete="off" spellCheck={false} readOnly={preset.regionFixed} {...text("region")} />
          </Row>
          {preset.endpoint ? (
            <Row id={idOf("endpoint")} label="Endpoint">
              <input type="text" id={idOf("endpoint")} readOnly value={endpointOf(values)} />
            </Row>
          ) : (
            <Row id={idOf("endpoint")} label="Endpoint" error={errors.endpoint}>
              <input type="url" autoComplete="off" spellCheck={false} placeholder="https://s3.example.com" {...text("endpoint")} />
            </Row>
          )}
          <Row id={idOf("accessKeyId")} label="Access key ID" error={errors.accessKeyId}>
            <input type="text" autoComplete="off" spellCheck={false} {...text("accessKeyId")} />
          </Row>
          <Row id={idOf("secretAccessKey")} label="Secret access key" error={errors.secretAccessKey}>
            <input
              type="password"
              autoComplete="new-password"
              {...bind("secretAccessKey")}
              placeholder={secretHint}
              value={values.secretAccessKey}
              onChange={(event) => change({ secretAccessKey: event.target.value })}
            />
          </Row>
          <div className="row">
            <span />
            <div className="control inline">
              <button type="button" onClick={() => void testConnection()} disabled={test.running}>
                Test connection
              </button>
              <span role="status">{test.running ? "Testing…" : test.result?.ok ? connectedText(test.result.buckets) : ""}</span>
            </div>
          </div>
          <Row id={idOf("bucket")} label="Bucket" error={errors.bucket}>
            <div className="inline">
              <input type="text" autoComplete="off" spellCheck={false} placeholder="my-bucket" {...text("bucket")} />
              {buckets && buckets.length > 0 && (
                <select aria-label="Buckets found" value={buckets.includes(values.bucket) ? values.bucket : ""} onChange={(event) => change({ bucket: event.target.value })}>
                  <option value="" disabled>
                    Choose a bucket…
                  </option>
                  {buckets.map((bucket) => (
                    <option key={bucket} value={bucket}>
                      {bucket}
                    </option>
                  ))}
                </select>
              )}
            </div>
          </Row>
          <Row id={idOf("prefix")} label="Prefix" error={errors.prefix} hint="Only keys under it; empty for the whole bucket">
            <input type="text" autoComplete="off" spellCheck={false} placeholder="photos/" {...text("prefix", true)} />
          </Row>
          <fieldset className="row">
            <legend>Layout</legend>
            <div className="control choices column">
              <label>
                <input type="radio" name={`${prefix}-layout`} id={values.layout === "bucket" ? idOf("layout") : undefined} checked={values.layout === "bucket"} onChange={() => change({ layout: "bucket" })} />
                One object per file, readable by other tools
              </label>
              <label>
                <input type="radio" name={`${prefix}-layout`} id={values.layout === "opaque" ? idOf("layout") : undefined} checked={values.layout === "opaque"} onChange={() => change({ layout: "opaque" })} />
                Opaque blocks, readable by DittoFS only
              </label>
              {errors.layout && <FieldError id={`${idOf("layout")}-error`} message={errors.layout} />}
            </div>
          </fieldset>
          <Row id={idOf("cacheGiB")} label="Cache size (GiB)" error={errors.cacheGiB} hint="Disk space kept for files not yet uploaded and recently read">
            <input type="number" min={0.0625} step="any" inputMode="decimal" {...bind("cacheGiB", true)} value={values.cacheGiB} onChange={(event) => change({ cacheGiB: event.target.value })} />
          </Row>
        </section>
      )}

      {values.kind === "folder" && (
        <section>
          <h2>Folder</h2>
          <Row id={idOf("folderPath")} label="Folder path" error={errors.folderPath}>
            <div className="inline">
              <input type="text" autoComplete="off" spellCheck={false} placeholder="/home/ana/Pictures" {...text("folderPath")} />
              <button type="button" onClick={() => void showFiles()}>
                Show files
              </button>
            </div>
          </Row>
          {preview && <Preview preview={preview} />}
        </section>
      )}
      {values.kind === "memory" && <p className="muted">A memory share keeps its files in RAM: they are gone when the app quits.</p>}

      <section>
        <h2>Drive</h2>
        <Row id={idOf("protocol")} label="Protocol" error={errors.protocol}>
          <select {...bind("protocol")} value={values.protocol} onChange={(event) => change({ protocol: event.target.value as ShareFormValues["protocol"] })}>
            <option value="nfs">NFS</option>
            <option value="smb">SMB</option>
            <option value="both">NFS and SMB</option>
          </select>
        </Row>
        <div className="row">
          <span />
          <div className="control">
            <label>
              <input type="checkbox" {...bind("autoMount")} checked={values.autoMount} onChange={(event) => change({ autoMount: event.target.checked })} />
              Mount when the app starts
            </label>
            {errors.autoMount && <FieldError id={`${idOf("autoMount")}-error`} message={errors.autoMount} />}
          </div>
        </div>
      </section>

      <div className="form-end">
        {errors.form && (
          <p role="alert" className="problem" id={idOf("form")} tabIndex={-1}>
            {errors.form}
          </p>
        )}
        {saving && <p role="status">Saving: the server restarts with the new shares…</p>}
        <div className="buttons">
          <button type="button" onClick={actions.cancel}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={saving}>
            {editing ? "Save changes" : "Add share"}
          </button>
        </div>
      </div>
    </form>
  );
}

function connectedText(buckets: string[] | null): string {
  if (buckets === null) return "Connected. These keys may not list buckets: type the bucket's name.";
  return `Connected: ${count(buckets.length, "bucket")} found.`;
}

/** A form row: the label, then the input with its hint and error under it. */
function Row({ id, label, error, hint, children }: { id: string; label: string; error?: string | undefined; hint?: string; children: ReactNode }) {
  return (
    <div className="row">
      <label htmlFor={id}>{label}</label>
      <div className="control">
        {children}
        {hint && (
          <p className="hint" id={`${id}-hint`}>
            {hint}
          </p>
        )}
        {error && <FieldError id={`${id}-error`} message={error} />}
      </div>
    </div>
  );
}

function FieldError({ id, message }: { id: string; message: string }) {
  return (
    <p className="field-error" id={id} role="alert">
      {message}
    </p>
  );
}

/** What is in a folder already: its first entries, and how many more there are. */
function Preview({ preview }: { preview: FolderPreview }) {
  const shown = preview.entries.slice(0, PREVIEW_SHOWN);
  const more = preview.total - shown.length;
  return (
    <div className="preview" role="region" aria-label="Files in the folder">
      {preview.total === 0 ? (
        <p className="muted">The folder is empty.</p>
      ) : (
        <>
        <p className="muted">Already in {preview.path}: {preview.total} {preview.total === 1 ? "entry" : "entries"}, served as they are.</p>
        <ul>
          {shown.map((entry) => (
            <li key={entry.name}>
              {entry.directory ? `${entry.name}/` : entry.name}
              {!entry.directory && <span className="muted"> {humanSize(entry.size)}</span>}
            </li>
          ))}
          {more > 0 && <li className="muted">{more} more</li>}
        </ul>
        </>
      )}
    </div>
  );
}
