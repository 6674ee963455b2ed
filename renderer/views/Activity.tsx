import { useId } from "react";
import type { ShareStatus, UploadInFlight } from "../../core/control/contract.js";
import { count, humanSize, localTime } from "../format.js";
import type { RetryState } from "../store.js";

interface ActivityProps {
  shares: readonly ShareStatus[];
  retries: Readonly<Record<string, RetryState>>;
  onRetry(share: string): void;
}

/** Uploads of the shares backed by a remote store: the queue, what is in flight, the cache, and what went wrong. */
export function ActivityView({ shares, retries, onRetry }: ActivityProps) {
  const remote = shares.filter((share) => share.remote);
  if (remote.length === 0) return <p>No share of this server is backed by a remote store, so nothing is uploaded.</p>;
  return (
    <ul className="cards" aria-label="Uploads by share">
      {remote.map((share) => (
        <li key={share.name} className="card">
          <RemoteActivity share={share} retry={retries[share.name]} onRetry={() => onRetry(share.name)} />
        </li>
      ))}
    </ul>
  );
}

function RemoteActivity({ share, retry, onRetry }: { share: ShareStatus; retry: RetryState | undefined; onRetry(): void }) {
  const remote = share.remote!;
  const cacheId = useId();
  const uploadsId = useId();
  return (
    <>
      <h2>{share.name}</h2>
      <p className="muted">{remote.remote}</p>
      <dl>
        <dt>Waiting to upload</dt>
        <dd data-testid="pending">
          {count(remote.pendingFiles, "file")}, {humanSize(remote.pendingBytes)}
        </dd>
        <dt>
          <label htmlFor={cacheId}>Local cache</label>
        </dt>
        <dd>
          <meter id={cacheId} min={0} max={remote.cacheLimit} value={remote.cacheBytes} /> {humanSize(remote.cacheBytes)} of{" "}
          {humanSize(remote.cacheLimit)}
        </dd>
      </dl>
      {remote.throttled && <p>Writers are waiting for uploads to make room in the cache.</p>}
      {remote.full && <p role="alert">{remote.full}</p>}

      <h3 id={uploadsId}>Uploading</h3>
      {remote.uploads.length === 0 ? (
        <p className="muted">Nothing is being uploaded right now.</p>
      ) : (
        <ul className="uploads" aria-labelledby={uploadsId}>
          {remote.uploads.map((upload) => (
            <Upload key={upload.key} upload={upload} />
          ))}
        </ul>
      )}

      {(remote.stalled || remote.lastError) && (
        <div className="problem" role="alert">
          {remote.stalled && (
            <p>
              {count(remote.stalled.files, "file")} stopped: {remote.stalled.reason}
            </p>
          )}
          {remote.lastError && (
            <p>
              Last error: {remote.lastError.message} ({localTime(remote.lastError.at)})
            </p>
          )}
          <button type="button" onClick={onRetry} disabled={retry?.running}>
            Retry now
          </button>
        </div>
      )}
      {retry?.message && <p role="status">{retry.message}</p>}
    </>
  );
}

function Upload({ upload }: { upload: UploadInFlight }) {
  const id = useId();
  return (
    <li>
      <label htmlFor={id}>{upload.key}</label>
      <progress id={id} max={upload.bytes} value={upload.done} />
      <span className="muted">
        {humanSize(upload.done)} of {humanSize(upload.bytes)}
      </span>
    </li>
  );
}
