import { useId, useState } from "react";
import type { AppPreferences, ListenerInfo, ServerStatus } from "../../core/control/contract.js";
import { localTime } from "../format.js";
import { preferenceChanges, preferencesForm, restartsServer, type PreferencesForm } from "../preferences.js";
import type { Outcome } from "../store.js";

interface GeneralProps {
  status: ServerStatus;
  /** The app's preferences (a managed server); null: none to edit, or not loaded yet. */
  preferences: AppPreferences | null;
  onSave(changes: Partial<AppPreferences>): Promise<Outcome<AppPreferences>>;
  onOpenLogs(): Promise<Outcome<{ path: string; opened: boolean }>>;
}

/** The server itself: its version, since when it runs, and where it listens; the app's preferences when it has them. */
export function GeneralView({ status, preferences, onSave, onOpenLogs }: GeneralProps) {
  const { nfs, smb, portmap } = status.listeners;
  return (
    <>
      {status.managed && (preferences ? <Preferences saved={preferences} onSave={onSave} onOpenLogs={onOpenLogs} /> : <p role="status">Loading the preferences…</p>)}
      <section aria-label="Server">
        {status.managed && <h2>Server</h2>}
        <dl className="card">
          <dt>Version</dt>
          <dd>{status.version}</dd>
          <dt>Running since</dt>
          <dd>{localTime(status.startedAt)}</dd>
          <dt>NFS</dt>
          <dd>{nfs ? `${address(nfs)}${nfs.mountPort !== nfs.port ? `, MOUNT on port ${nfs.mountPort}` : " (MOUNT on the same port)"}` : "Off"}</dd>
          <dt>SMB</dt>
          <dd>{smb ? address(smb) : "Off"}</dd>
          <dt>Portmapper</dt>
          <dd>{portmap ? address(portmap) : "Off"}</dd>
        </dl>
      </section>
    </>
  );
}

function address({ bind, port }: ListenerInfo): string {
  return `${bind.includes(":") ? `[${bind}]` : bind} port ${port}`;
}

const LOG_LEVELS: ReadonlyArray<AppPreferences["logLevel"]> = ["error", "warn", "info", "debug", "trace"];

function Preferences({ saved, onSave, onOpenLogs }: { saved: AppPreferences; onSave: GeneralProps["onSave"]; onOpenLogs: GeneralProps["onOpenLogs"] }) {
  const [form, setForm] = useState<PreferencesForm>(() => preferencesForm(saved));
  const [saving, setSaving] = useState(false);
  const [message, setMessage] = useState<{ text: string; error: boolean } | null>(null);
  const [logs, setLogs] = useState<string | null>(null);
  const id = useId();
  const change = (changes: Partial<PreferencesForm>) => setForm((old) => ({ ...old, ...changes }));

  const save = async () => {
    const prepared = preferenceChanges(form, saved);
    if ("error" in prepared) return setMessage({ text: prepared.error, error: true });
    if (Object.keys(prepared.changes).length === 0) return setMessage({ text: "Nothing changed.", error: false });
    const restarts = restartsServer(prepared.changes);
    setSaving(true);
    setMessage(restarts ? { text: "Saving: the file server restarts with the new ports and log level…", error: false } : null);
    const outcome = await onSave(prepared.changes);
    setSaving(false);
    if (!outcome.ok) return setMessage({ text: `Not saved: ${outcome.message}`, error: true });
    setForm(preferencesForm(outcome.value));
    setMessage({ text: restarts ? "Saved. The file server restarted with the new settings." : "Saved.", error: false });
  };
  const openLogs = async () => {
    const outcome = await onOpenLogs();
    setLogs(!outcome.ok ? `Could not open the logs: ${outcome.message}` : outcome.value.opened ? `Opened ${outcome.value.path}` : `Logs are in ${outcome.value.path}`);
  };

  return (
    <form
      className="preferences"
      aria-label="Preferences"
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        void save();
      }}
    >
      <div className="row">
        <span />
        <div className="control">
          <label>
            <input type="checkbox" checked={form.launchAtLogin} onChange={(event) => change({ launchAtLogin: event.target.checked })} />
            Launch at login
          </label>
        </div>
      </div>
      <div className="row">
        <label htmlFor={`${id}-folder`}>Mount folder</label>
        <div className="control">
          <input id={`${id}-folder`} type="text" spellCheck={false} placeholder="~/DittoFS" aria-describedby={`${id}-folder-hint`} value={form.mountFolder} onChange={(event) => change({ mountFolder: event.target.value })} />
          <p className="hint" id={`${id}-folder-hint`}>
            Where drives are mounted on macOS; empty for ~/DittoFS
          </p>
        </div>
      </div>
      <div className="row">
        <label htmlFor={`${id}-nfs`}>NFS port</label>
        <div className="control">
          <input id={`${id}-nfs`} type="number" min={1024} max={65535} value={form.nfsPort} onChange={(event) => change({ nfsPort: event.target.value })} />
        </div>
      </div>
      <div className="row">
        <label htmlFor={`${id}-smb`}>SMB port</label>
        <div className="control">
          <input id={`${id}-smb`} type="number" min={1024} max={65535} value={form.smbPort} onChange={(event) => change({ smbPort: event.target.value })} />
        </div>
      </div>
      <div className="row">
        <label htmlFor={`${id}-log`}>Log level</label>
        <div className="control">
          <select id={`${id}-log`} value={form.logLevel} onChange={(event) => change({ logLevel: event.target.value as AppPreferences["logLevel"] })}>
            {LOG_LEVELS.map((level) => (
              <option key={level} value={level}>
                {level}
              </option>
            ))}
          </select>
        </div>
      </div>
      <div className="form-end">
        {message && (
          <p role={message.error ? "alert" : "status"} className={message.error ? "problem" : "muted"}>
            {message.text}
          </p>
        )}
        <div className="buttons">
          <button type="button" onClick={() => void openLogs()}>
            Open logs
          </button>
          <button type="submit" className="primary" disabled={saving}>
            Save
          </button>
        </div>
        {logs && <p role="status">{logs}</p>}
      </div>
    </form>
  );
}
