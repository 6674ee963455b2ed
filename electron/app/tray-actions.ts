/** What each tray menu action does, on the few services main hands in. */
import type { TrayAction } from "../tray/menu.js";
import type { Drives } from "./drives.js";
import type { SettingsRoute } from "./settings-window.js";

export interface TrayActionServices {
  drives: Pick<Drives, "mount" | "unmount" | "mountPointOf" | "mountCommand">;
  /** Electron's shell.openPath: resolves with an error message, "" on success. */
  openPath(path: string): Promise<string>;
  writeClipboard(text: string): void;
  /** Opens (or focuses) the settings window, at the add-share form or a share's form when asked. */
  openSettings(route?: SettingsRoute): void;
  /** Through the app's control, so that the preference and the OS's login item stay in step. */
  setLaunchAtLogin(enabled: boolean): Promise<void>;
  quit(): void;
  /** Tells the user an action failed (or warned). */
  report(title: string, message: string): void;
}

export function trayActions(services: TrayActionServices): (action: TrayAction) => Promise<void> {
  return async (action) => {
    try {
      await run(services, action);
    } catch (err) {
      services.report(failureTitle(action), err instanceof Error ? err.message : String(err));
    }
  };
}

async function run(services: TrayActionServices, action: TrayAction): Promise<void> {
  switch (action.kind) {
    case "mount": {
      const warnings = await services.drives.mount(action.share);
      if (warnings.length > 0) services.report(`${action.share} is mounted`, warnings.join("\n"));
      return;
    }
    case "unmount":
      return services.drives.unmount(action.share);
    case "open-drive": {
      const path = services.drives.mountPointOf(action.share);
      if (path === null) throw new Error(`${action.share} is not mounted`);
      const error = await services.openPath(path);
      if (error !== "") throw new Error(error);
      return;
    }
    case "copy-mount-command":
      return services.writeClipboard(await services.drives.mountCommand(action.share));
    case "show-share-settings":
      return services.openSettings({ edit: action.share });
    case "mount-bucket":
      return services.openSettings({ add: true });
    case "open-settings":
      return services.openSettings();
    case "set-launch-at-login":
      return services.setLaunchAtLogin(action.enabled);
    case "quit":
      return services.quit();
  }
}

function failureTitle(action: TrayAction): string {
  switch (action.kind) {
    case "mount":
      return `Could not mount ${action.share}`;
    case "unmount":
      return `Could not unmount ${action.share}`;
    case "open-drive":
      return `Could not open ${action.share}`;
    case "copy-mount-command":
      return `Could not copy the mount command of ${action.share}`;
    default:
      return "DittoFS could not do that";
  }
}
