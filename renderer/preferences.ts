/** The General view's preferences form as plain data: what it holds and what it changes. */
import type { AppPreferences } from "../core/control/contract.js";

/** The inputs' values (ports as typed, the mount folder empty for the default). */
export interface PreferencesForm {
  launchAtLogin: boolean;
  mountFolder: string;
  nfsPort: string;
  smbPort: string;
  logLevel: AppPreferences["logLevel"];
}

export function preferencesForm(saved: AppPreferences): PreferencesForm {
  return {
    launchAtLogin: saved.launchAtLogin,
    mountFolder: saved.mountFolder ?? "",
    nfsPort: String(saved.nfsPort),
    smbPort: String(saved.smbPort),
    logLevel: saved.logLevel,
  };
}

/** The preferences the form changes from `saved`, or what to fix first. */
export function preferenceChanges(form: PreferencesForm, saved: AppPreferences): { changes: Partial<AppPreferences> } | { error: string } {
  const ports: Array<["nfsPort" | "smbPort", string]> = [
    ["nfsPort", "NFS"],
    ["smbPort", "SMB"],
  ];
  const changes: Partial<AppPreferences> = {};
  for (const [key, protocol] of ports) {
    const port = Number(form[key]);
    if (!/^\d+$/.test(form[key].trim()) || port < 1024 || port > 65535) return { error: `The ${protocol} port is a number from 1024 to 65535.` };
    if (port !== saved[key]) changes[key] = port;
  }
  if (changes.nfsPort !== undefined || changes.smbPort !== undefined) {
    if ((changes.nfsPort ?? saved.nfsPort) === (changes.smbPort ?? saved.smbPort)) return { error: "NFS and SMB need ports of their own." };
  }
  const mountFolder = form.mountFolder.trim() === "" ? null : form.mountFolder.trim();
  if (mountFolder !== saved.mountFolder) changes.mountFolder = mountFolder;
  if (form.launchAtLogin !== saved.launchAtLogin) changes.launchAtLogin = form.launchAtLogin;
  if (form.logLevel !== saved.logLevel) changes.logLevel = form.logLevel;
  return { changes };
}

/** Whether saving these changes restarts the file server (so the window says so). */
export function restartsServer(changes: Partial<AppPreferences>): boolean {
  return changes.nfsPort !== undefined || changes.smbPort !== undefined || changes.logLevel !== undefined;
}
