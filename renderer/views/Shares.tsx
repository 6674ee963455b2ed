import { useEffect, useRef, useState } from "react";
import type { ManagedShare, ShareStatus } from "../../core/control/contract.js";
import { count, humanSize, localTime } from "../format.js";
import type { CardState, JoinedShare } from "../store.js";

const CONFIG_FILE_NOTE = "These shares come from the server's config file: change them there and restart dittofs serve.";

/** Every share with what it is made of, the space it uses and, for a remote store, what is not up yet (read-only: a config file defines them). */
export function SharesView({ shares }: { shares: readonly ShareStatus[] }) {
  if (shares.length === 0)
    return (
      <>
        <p className="muted">{CONFIG_FILE_NOTE}</p>
        <p>This server has no shares.</p>
      </>
    );
  return (
    <>
    <p className="muted">{CONFIG_FILE_NOTE}</p>
    <ul className="cards" aria-label="Shares">
      {shares.map((share) => (
        <li key={share.name} className="card">
          <h2>
            {share.name} {share.readOnly && <span className="badge">Read-only</span>}
          </h2>
          <dl>
            <dt>Kind</dt>
            <dd>{share.contentKind}</dd>
            <dt>Stores</dt>
            <dd>
              metadata “{share.metadataStore}”, content “{share.contentStore}”
            </dd>
            <dt>Space used</dt>
            <dd>{share.space ? `${humanSize(share.space.used)} (${humanSize(share.space.available)} available)` : "Unknown right now"}</dd>
            {share.remote && (
              <>
                <dt>Remote store</dt>
                <dd>{share.remote.remote}</dd>
                <dt>Waiting to upload</dt>
                <dd data-testid="pending">
                  {count(share.remote.pendingFiles, "file")}, {humanSize(share.remote.pendingBytes)}
                </dd>
                <dt>Last error</dt>
                <dd>{share.remote.lastError ? `${share.remote.lastError.message} (${localTime(share.remote.lastError.at)})` : "None"}</dd>
              </>
            )}
          </dl>
        </li>
      ))}
    </ul>
    </>
  );
}

interface ManagedSharesProps {
  shares: readonly JoinedShare[];
  cards: Readonly<Record<string, CardState>>;
  onAdd(): void;
  onEdit(name: string): void;
  onMount(name: string): void;
  onUnmount(name: string): void;
  onRemove(name: string): void;
}

/** The shares this app manages: each with its drive and live status, and what can be done with it. */
export function ManagedSharesView({ shares, cards, onAdd, onEdit, onMount, onUnmount, onRemove }: ManagedSharesProps) {
  return (
    <>
      <div className="toolbar">
        <button type="button" className="primary" onClick={onAdd}>
          Add share…
        </button>
      </div>
      {shares.length === 0 ? (
        <p>No shares yet: add an S3 bucket, a folder or a memory share to use it as a drive.</p>
      ) : (
        <ul className="cards" aria-label="Shares">
          {shares.map(({ share, status }) => {
            const name = share.definition.name;
            return (
              <li key={name} className="card managed" aria-label={name}>
                <ManagedShareCard
                  share={share}
                  status={status}
                  card={cards[name] ?? { busy: null, error: null }}
                  onEdit={() => onEdit(name)}
                  onMount={() => onMount(name)}
                  onUnmount={() => onUnmount(name)}
                  onRemove={() => onRemove(name)}
                />
              </li>
            );
          })}
        </ul>
      )}
    </>
  );
}

const KINDS = { s3: "S3 bucket", folder: "Local folder", memory: "Memory" } as const;
const PROTOCOLS = { nfs: "NFS", smb: "SMB", both: "NFS and SMB" } as const;

interface CardProps {
  share: ManagedShare;
  status: ShareStatus | null;
  card: CardState;
  onEdit(): void;
  onMount(): void;
  onUnmount(): void;
  onRemove(): void;
}

function ManagedShareCard({ share, status, card, onEdit, onMount, onUnmount, onRemove }: CardProps) {
  const { definition, drive } = share;
  const name = definition.name;
  const [confirming, setConfirming] = useState(false);
  const keep = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (confirming) keep.current?.focus();
  }, [confirming]);
  const remote = status?.remote ?? null;
  const lastError = drive.error ?? (remote?.lastError ? `${remote.lastError.message} (${localTime(remote.lastError.at)})` : null);
  return (
    <>
      <h2>
        {name} <span className="badge">{KINDS[definition.kind]}</span>
      </h2>
      <dl>
        <dt>Where</dt>
        <dd>{whereOf(definition)}</dd>
        <dt>Drive</dt>
        <dd data-testid="drive">{drive.mounted ? `Mounted at ${drive.mountPoint ?? "an unknown place"}` : "Not mounted"}</dd>
        <dt>Served as</dt>
        <dd>
          {share.exportPath} over {PROTOCOLS[definition.protocol]}
          {!status && " (not served right now)"}
        </dd>
        {share.serveError && (
          <>
            <dt>Not served</dt>
            <dd role="alert">{share.serveError}</dd>
          </>
        )}
        <dt>Space used</dt>
        <dd>{status?.space ? humanSize(status.space.used) : "Unknown right now"}</dd>
        {remote && (
          <>
            <dt>Waiting to upload</dt>
            <dd data-testid="pending">
              {count(remote.pendingFiles, "file")}, {humanSize(remote.pendingBytes)}
            </dd>
          </>
        )}
        <dt>Last error</dt>
        <dd>{lastError ?? "None"}</dd>
      </dl>
      {card.error && (
        <p role="alert" className="problem">
          {card.error}
        </p>
      )}
      {drive.mountCommand && <MountCommand name={name} command={drive.mountCommand} />}
      {confirming ? (
        <div className="confirm" role="group" aria-label={`Remove ${name}?`}>
          <p>Remove “{name}”? {removalNote(definition)}</p>
          <div className="buttons">
            <button type="button" ref={keep} onClick={() => setConfirming(false)}>
              Keep it
            </button>
            <button
              type="button"
              className="danger"
              onClick={() => {
                setConfirming(false);
                onRemove();
              }}
            >
              Yes, remove {name}
            </button>
          </div>
        </div>
      ) : (
        <div className="buttons">
          {drive.mounted ? (
            <button type="button" aria-label={`Unmount ${name}`} onClick={onUnmount} disabled={card.busy !== null}>
              {card.busy === "unmount" ? "Unmounting…" : "Unmount"}
            </button>
          ) : (
            <button type="button" aria-label={`Mount ${name}`} onClick={onMount} disabled={card.busy !== null}>
              {card.busy === "mount" ? "Mounting…" : "Mount"}
            </button>
          )}
          <button type="button" aria-label={`Edit ${name}`} onClick={onEdit} disabled={card.busy !== null}>
            Edit
          </button>
          <button type="button" aria-label={`Remove ${name}`} onClick={() => setConfirming(true)} disabled={card.busy !== null}>
            {card.busy === "remove" ? "Removing…" : "Remove"}
          </button>
        </div>
      )}
    </>
  );
}

function removalNote(definition: ManagedShare["definition"]): string {
  if (definition.s3) return `Its files stay in the bucket “${definition.s3.bucket}”: only this app forgets the share.`;
  if (definition.folder) return `Its files stay in the folder ${definition.folder.path}: only this app forgets the share.`;
  return "Its files are in memory only: they are lost.";
}

function whereOf(definition: ManagedShare["definition"]): string {
  if (definition.s3) return `${definition.s3.bucket}${definition.s3.prefix ? `/${definition.s3.prefix}` : ""} at ${definition.s3.endpoint}`;
  if (definition.folder) return definition.folder.path;
  return "In memory: gone when the app quits";
}

/** The command that mounts the share by hand, shown and copied to the clipboard. */
function MountCommand({ name, command }: { name: string; command: string }) {
  const [copied, setCopied] = useState<string | null>(null);
  const copy = () =>
    navigator.clipboard.writeText(command).then(
      () => setCopied("Copied."),
      () => setCopied("Could not reach the clipboard: select the command and copy it."),
    );
  return (
    <div className="command">
      <code aria-label={`Mount command of ${name}`}>{command}</code>
      <button type="button" aria-label={`Copy mount command of ${name}`} onClick={() => void copy()}>
        Copy mount command
      </button>
      <span role="status" className="muted">
        {copied}
      </span>
    </div>
  );
}
