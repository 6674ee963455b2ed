/**
 * The settings window's state: the server's status, loaded once through ControlApi.status() and
 * then kept live by the share events of ControlApi.subscribe(); the view shown; share actions.
 * When the server's shares are managed through the API (status.managed), also the shares as
 * defined, their drives and the preferences, reloaded after every change.
 */
import { createStore, type StoreApi } from "zustand/vanilla";
import {
  isControlError,
  type AppControlApi,
  type AppPreferences,
  type DriveStatus,
  type FolderPreview,
  type ManagedShare,
  type S3ProbeRequest,
  type S3ProbeResult,
  type SaveShareRequest,
  type ServerStatus,
  type ShareStatus,
} from "../core/control/contract.js";

export const VIEWS = ["shares", "activity", "general"] as const;
export type View = (typeof VIEWS)[number];

/** The share form, when it is open (over the Shares view). */
export type Editor = { mode: "add" } | { mode: "edit"; name: string };

export interface RetryState {
  running: boolean;
  /** What the last retry said ("Retried 2 uploads."), or why it failed. */
  message: string | null;
}

/** A managed share's card: what it is doing now and what went wrong last. */
export interface CardState {
  busy: "mount" | "unmount" | "remove" | null;
  error: string | null;
}

/** A managed share with its live status (null until the server serves it). */
export interface JoinedShare {
  share: ManagedShare;
  status: ShareStatus | null;
}

/** How an action went: ok, or the message and the field of the request it is about. */
export type Outcome<T = void> = { ok: true; value: T } | { ok: false; field: string | null; message: string };

export interface SettingsState {
  status: ServerStatus | null;
  /** Why the status could not be loaded; null while loading and once loaded. */
  error: string | null;
  view: View;
  editor: Editor | null;
  retries: Readonly<Record<string, RetryState>>;
  /** The managed shares as defined; null until loaded (and for a server that manages none). */
  managed: ManagedShare[] | null;
  /** Why the managed shares could not be loaded. */
  managedError: string | null;
  cards: Readonly<Record<string, CardState>>;
  preferences: AppPreferences | null;
  showView(view: View): void;
  openEditor(editor: Editor): void;
  closeEditor(): void;
  /** Loads the status and follows its changes; stops following when the returned function is called. */
  start(): () => void;
  retryUploads(share: string): Promise<void>;
  loadManaged(): Promise<void>;
  saveShare(request: SaveShareRequest): Promise<Outcome<ManagedShare>>;
  removeShare(name: string): Promise<void>;
  mount(name: string): Promise<void>;
  unmount(name: string): Promise<void>;
  testS3(request: S3ProbeRequest): Promise<Outcome<S3ProbeResult>>;
  previewFolder(path: string): Promise<Outcome<FolderPreview>>;
  savePreferences(changes: Partial<AppPreferences>): Promise<Outcome<AppPreferences>>;
  openLogs(): Promise<Outcome<{ path: string; opened: boolean }>>;
}

/** Each managed share, in its order, with the live status of its export path. */
export function joinShares(managed: readonly ManagedShare[], statuses: readonly ShareStatus[]): JoinedShare[] {
  const byName = new Map(statuses.map((status) => [status.name, status]));
  return managed.map((share) => ({ share, status: byName.get(share.exportPath) ?? null }));
}

const IDLE: CardState = { busy: null, error: null };

export function createSettingsStore(api: AppControlApi, onUnauthorized: () => void = () => {}, editor: Editor | null = null): StoreApi<SettingsState> {
  return createStore<SettingsState>()((set, get) => {
    const setRetry = (share: string, retry: RetryState) => set({ retries: { ...get().retries, [share]: retry } });
    const setCard = (name: string, card: Partial<CardState>) => set({ cards: { ...get().cards, [name]: { ...(get().cards[name] ?? IDLE), ...card } } });
    const setDrive = (name: string, drive: DriveStatus) => {
      const managed = get().managed;
      if (managed) set({ managed: managed.map((share) => (share.definition.name === name ? { ...share, drive } : share)) });
    };
    let loading: Promise<void> | null = null;

    const updateShare = (share: ShareStatus) => {
      const { status, managed } = get();
      if (!status) return;
      const known = status.shares.some((old) => old.name === share.name);
      const shares = known ? status.shares.map((old) => (old.name === share.name ? share : old)) : [...status.shares, share];
      set({ status: { ...status, shares } });
      // A share served under a path the list does not have: the list changed elsewhere (the tray, another window).
      if (status.managed && managed && !managed.some((defined) => defined.exportPath === share.name)) void get().loadManaged();
    };
    const explain = (err: unknown) => {
      if (isControlError(err) && err.code === "Unauthorized") {
        onUnauthorized();
        return "The server refused the access token. Open the settings URL that dittofs serve printed at its last start.";
      }
      return err instanceof Error ? err.message : String(err);
    };
    const failed = (err: unknown): Outcome<never> => ({ ok: false, field: isControlError(err) ? (err.field ?? null) : null, message: explain(err) });
    const attempt = async <T>(call: () => Promise<T>): Promise<Outcome<T>> => {
      try {
        return { ok: true, value: await call() };
      } catch (err) {
        return failed(err);
      }
    };
    /** The status again after a change of shares or ports (the server restarted with them). */
    const refreshStatus = async () => {
      try {
        const status = await api.status();
        set({ status });
      } catch {
        // The events keep what is shown live; the next change tries again.
      }
    };
    /** After a change of the shares: the list and the status again. */
    const reload = () => Promise.all([get().loadManaged(), refreshStatus()]);

    return {
      status: null,
      error: null,
      view: "shares",
      editor,
      retries: {},
      managed: null,
      managedError: null,
      cards: {},
      preferences: null,
      showView: (view) => set({ view, editor: null }),
      openEditor: (opened) => set({ view: "shares", editor: opened }),
      closeEditor: () => set({ editor: null }),
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
            if (status.managed) {
              void get().loadManaged();
              api.preferences().then(
                (preferences) => set({ preferences }),
                (err: unknown) => set({ managedError: explain(err) }),
              );
            }
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
      loadManaged: () => {
        // One load at a time: events of several new shares ask for it together.
        loading ??= api
          .listShares()
          .then(
            (managed) => set({ managed, managedError: null }),
            (err: unknown) => set({ managedError: explain(err) }),
          )
          .finally(() => {
            loading = null;
          });
        return loading;
      },
      saveShare: async (request) => {
        const outcome = await attempt(() => api.saveShare(request));
        if (outcome.ok) {
          set({ editor: null });
          await reload();
        }
        return outcome;
      },
      removeShare: async (name) => {
        setCard(name, { busy: "remove", error: null });
        const outcome = await attempt(() => api.removeShare(name));
        setCard(name, { busy: null, error: outcome.ok ? null : `Could not remove it: ${outcome.message}` });
        await reload();
      },
      mount: async (name) => {
        setCard(name, { busy: "mount", error: null });
        const outcome = await attempt(() => api.mount(name));
        if (outcome.ok) setDrive(name, outcome.value);
        setCard(name, { busy: null, error: outcome.ok ? null : `Could not mount it: ${outcome.message}` });
        await get().loadManaged();
      },
      unmount: async (name) => {
        setCard(name, { busy: "unmount", error: null });
        const outcome = await attempt(() => api.unmount(name));
        if (outcome.ok) setDrive(name, outcome.value);
        setCard(name, { busy: null, error: outcome.ok ? null : `Could not unmount it: ${outcome.message}` });
        await get().loadManaged();
      },
      testS3: (request) => attempt(() => api.testS3(request)),
      previewFolder: (path) => attempt(() => api.previewFolder(path)),
      savePreferences: async (changes) => {
        const outcome = await attempt(() => api.setPreferences(changes));
        if (outcome.ok) {
          set({ preferences: outcome.value });
          await refreshStatus();
        }
        return outcome;
      },
      openLogs: () => attempt(() => api.openLogs()),
    };
  });
}
