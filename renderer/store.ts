/**
 * The settings window's state: the server's status, loaded once through ControlApi.status() and
 * then kept live by the share events of ControlApi.subscribe(); the view shown; share actions.
 */
import { createStore, type StoreApi } from "zustand/vanilla";
import { ControlError, type ControlApi, type ServerStatus, type ShareStatus } from "../core/control/contract.js";

export const VIEWS = ["shares", "activity", "general"] as const;
export type View = (typeof VIEWS)[number];

export interface RetryState {
  running: boolean;
  /** What the last retry said ("Retried 2 uploads."), or why it failed. */
  message: string | null;
}

export interface SettingsState {
  status: ServerStatus | null;
  /** Why the status could not be loaded; null while loading and once loaded. */
  error: string | null;
  view: View;
  retries: Readonly<Record<string, RetryState>>;
  showView(view: View): void;
  /** Loads the status and follows its changes; stops following when the returned function is called. */
  start(): () => void;
  retryUploads(share: string): Promise<void>;
}

export function createSettingsStore(api: ControlApi, onUnauthorized: () => void = () => {}): StoreApi<SettingsState> {
  return createStore<SettingsState>()((set, get) => {
    const setRetry = (share: string, retry: RetryState) => set({ retries: { ...get().retries, [share]: retry } });
    const updateShare = (share: ShareStatus) => {
      const status = get().status;
      if (!status) return;
      set({ status: { ...status, shares: status.shares.map((old) => (old.name === share.name ? share : old)) } });
    };
    const explain = (err: unknown) => {
      if (err instanceof ControlError && err.code === "Unauthorized") {
        onUnauthorized();
        return "The server refused the access token. Open the settings URL that dittofs serve printed at its last start.";
      }
      return err instanceof Error ? err.message : String(err);
    };

    return {
      status: null,
      error: null,
      view: "shares",
      retries: {},
      showView: (view) => set({ view }),
      start: () => {
        let unsubscribe: (() => void) | null = null;
        let stopped = false;
        set({ error: null });
        api.status().then(
          (status) => {
            if (stopped) return;
            set({ status, error: null });
            // Subscribed after the status: the stream begins with every share's current status.
            unsubscribe = api.subscribe((event) => updateShare(event.share));
          },
          (err: unknown) => set({ error: explain(err) }),
        );
        return () => {
          stopped = true;
          unsubscribe?.();
        };
      },
      retryUploads: async (share) => {
        setRetry(share, { running: true, message: null });
        try {
          const retried = await api.retryUploads(share);
          const message = retried === 0 ? "No stalled uploads to retry: the others retry by themselves." : `Retrying ${retried === 1 ? "1 upload" : `${retried} uploads`}.`;
          setRetry(share, { running: false, message });
        } catch (err) {
          setRetry(share, { running: false, message: `Retry failed: ${explain(err)}` });
        }
      },
    };
  });
}
