/**
 * The app's start, once its windows and tray exist: make the secrets the file server will ask for
 * (the SMB password), start the supervised host, and when it first runs mount the shares marked
 * auto-mount, telling the user in one notification which did not mount.
 */
import type { CoreSupervisor } from "../host/supervisor.js";
import { count } from "../tray/format.js";
import type { TrayNotification } from "../tray/notifications.js";
import type { DesktopControl } from "./desktop-control.js";

export interface CoreStartSteps {
  control: Pick<DesktopControl, "prepareHost" | "autoMount">;
  supervisor: Pick<CoreSupervisor, "start" | "onState">;
  notify(notification: TrayNotification): void;
}

/** Resolves with the auto-mount failures once the host first ran and the drives were mounted. */
export async function startCore({ control, supervisor, notify }: CoreStartSteps): Promise<string[]> {
  try {
    await control.prepareHost();
  } catch (err) {
    // The host still starts: it then says itself what it lacks, and the tray shows it.
    notify({ id: "prepare-host", title: "DittoFS could not prepare the file server", body: messageOf(err) });
  }
  const firstRun = new Promise<void>((resolve) => {
    const unsubscribe = supervisor.onState((state) => {
      if (state.kind !== "running") return;
      unsubscribe();
      resolve();
    });
  });
  supervisor.start();
  await firstRun;
  const failures = await control.autoMount().catch((err: unknown) => [messageOf(err)]);
  if (failures.length > 0) notify(autoMountNotification(failures));
  return failures;
}

export function autoMountNotification(failures: readonly string[]): TrayNotification {
  return { id: "auto-mount", title: `Could not mount ${count(failures.length, "drive")}`, body: failures.join("\n") };
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
