import {
  ControlError,
  type AppControlApi,
  type AppPreferences,
  type ControlErrorCode,
  type ControlEvent,
  type DriveStatus,
  type FolderPreview,
  type ManagedShare,
  type S3ProbeRequest,
  type S3ProbeResult,
  type SaveShareRequest,
  type ServerStatus,
} from "./contract.js";

const CODES: ReadonlySet<string> = new Set<ControlErrorCode>(["NotFound", "Invalid", "Unauthorized", "Forbidden", "Unavailable", "Internal"]);
/** Waits before reconnecting a dropped event stream: doubling from the first to the last. */
const RECONNECT_MS = { first: 250, last: 10_000 };
/** An event longer than this ends the stream (the server's are a few KiB). */
const MAX_EVENT_CHARS = 1024 * 1024;

/**
 * The control contract spoken to a `dittofs serve` over HTTP (see http.ts): for a browser (the
 * settings UI opened against a headless server) and for tests. Uses only fetch and streams,
 * which browsers and Node ≥ 20 both have; the event stream is read from fetch (EventSource
 * cannot send the bearer token) and reconnects after a drop. The ManageApi calls answer
 * Forbidden from a server whose shares come from its config file (ServerStatus.managed false).
 */
export class HttpControlClient implements AppControlApi {
  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
  ) {}

  status(): Promise<ServerStatus> {
    return this.call<ServerStatus>("GET", "/api/status");
  }

  async retryUploads(share: string): Promise<number> {
    return (await this.call<{ retried: number }>("POST", `/api/shares/${encodeURIComponent(share)}/retry-uploads`)).retried;
  }

  async refreshListing(share: string): Promise<boolean> {
    return (await this.call<{ refreshed: boolean }>("POST", `/api/shares/${encodeURIComponent(share)}/refresh`)).refreshed;
  }

  testS3(request: S3ProbeRequest): Promise<S3ProbeResult> {
    return this.call<S3ProbeResult>("POST", "/api/s3/test", request);
  }

  listShares(): Promise<ManagedShare[]> {
    return this.call<ManagedShare[]>("GET", "/api/shares");
  }

  saveShare(request: SaveShareRequest): Promise<ManagedShare> {
    return this.call<ManagedShare>("POST", "/api/shares", request);
  }

  async removeShare(name: string): Promise<boolean> {
    return (await this.call<{ removed: boolean }>("DELETE", `/api/shares/${encodeURIComponent(name)}`)).removed;
  }

  previewFolder(path: string): Promise<FolderPreview> {
    return this.call<FolderPreview>("POST", "/api/folders/preview", { path });
  }

  mount(name: string): Promise<DriveStatus> {
    return this.call<DriveStatus>("POST", `/api/shares/${encodeURIComponent(name)}/mount`);
  }

  unmount(name: string): Promise<DriveStatus> {
    return this.call<DriveStatus>("POST", `/api/shares/${encodeURIComponent(name)}/unmount`);
  }

  preferences(): Promise<AppPreferences> {
    return this.call<AppPreferences>("GET", "/api/preferences");
  }

  setPreferences(changes: Partial<AppPreferences>): Promise<AppPreferences> {
    return this.call<AppPreferences>("PUT", "/api/preferences", changes);
  }

  openLogs(): Promise<{ path: string; opened: boolean }> {
    return this.call<{ path: string; opened: boolean }>("POST", "/api/logs/open");
  }

  subscribe(listener: (event: ControlEvent) => void): () => void {
    const abort = new AbortController();
    void (async () => {
      for (let wait = RECONNECT_MS.first; !abort.signal.aborted; wait = Math.min(wait * 2, RECONNECT_MS.last)) {
        try {
          const response = await fetch(`${this.baseUrl}/api/events`, { headers: this.headers(), signal: abort.signal });
          if (!response.ok || !response.body) throw await errorOf(response);
          wait = RECONNECT_MS.first;
          await readEvents(response.body, listener);
        } catch {
          // Dropped or refused: try again after a while, until unsubscribed.
        }
        if (!abort.signal.aborted) await new Promise((resolve) => setTimeout(resolve, wait));
      }
    })();
    return () => abort.abort();
  }

  private async call<T>(method: "GET" | "POST" | "PUT" | "DELETE", path: string, body?: unknown): Promise<T> {
    let response: Response;
    try {
      const headers = body === undefined ? this.headers() : { ...this.headers(), "Content-Type": "application/json" };
      response = await fetch(`${this.baseUrl}${path}`, { method, headers, ...(body !== undefined && { body: JSON.stringify(body) }) });
    } catch (err) {
      throw new ControlError("Unavailable", `cannot reach ${this.baseUrl}: ${(err as Error).message}`);
    }
    if (!response.ok) throw await errorOf(response);
    return (await response.json()) as T;
  }

  private headers(): Record<string, string> {
    return { Authorization: `Bearer ${this.token}` };
  }
}

async function errorOf(response: Response): Promise<ControlError> {
  const body = (await response.json().catch(() => null)) as { error?: { code?: string; message?: string; field?: unknown } } | null;
  const code = body?.error?.code;
  const field = body?.error?.field;
  return new ControlError(
    code && CODES.has(code) ? (code as ControlErrorCode) : "Internal",
    body?.error?.message ?? `HTTP ${response.status}`,
    typeof field === "string" ? field : null,
  );
}

/** Parses a text/event-stream body, calling `listener` with each event's JSON data, until it ends. */
async function readEvents(body: ReadableStream<Uint8Array>, listener: (event: ControlEvent) => void): Promise<void> {
  const decoder = new TextDecoder();
  let buffered = "";
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    buffered += decoder.decode(value, { stream: true });
    for (let end = buffered.indexOf("\n\n"); end !== -1; end = buffered.indexOf("\n\n")) {
      const block = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      const data = block
        .split("\n")
        .filter((line) => line.startsWith("data: "))
        .map((line) => line.slice(6))
        .join("\n");
      if (data) listener(JSON.parse(data) as ControlEvent);
    }
    if (buffered.length > MAX_EVENT_CHARS) throw new Error("an event too long for this client");
  }
}
