import type { ShareStatus } from "../../core/control/contract.js";
import { count, humanSize, localTime } from "../format.js";

/** Every share with what it is made of, the space it uses and, for a remote store, what is not up yet. */
export function SharesView({ shares }: { shares: readonly ShareStatus[] }) {
  if (shares.length === 0) return <p>This server has no shares.</p>;
  return (
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
  );
}
