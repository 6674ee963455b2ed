/**
 * Where the settings window gets the control contract: from the Electron preload
 * (`window.dittofs`), or, opened in a browser against a headless `dittofs serve`, over HTTP
 * with the token `serve` printed in the settings URL's fragment.
 */
import type { AppControlApi } from "../core/control/contract.js";
import { HttpControlClient } from "../core/control/http-client.js";

declare global {
  interface Window {
    /** The control contract, exposed by the desktop app's preload. */
    dittofs?: AppControlApi;
  }
}

const TOKEN_KEY = "dittofs.token";

/** The contract, or why there is none (a browser opened without the token). */
export function controlApi(): AppControlApi | { missing: string } {
  if (window.dittofs) return window.dittofs;
  const token = takeTokenFromFragment() ?? sessionStorage.getItem(TOKEN_KEY);
  if (!token) return { missing: "Open the settings URL that dittofs serve printed: it carries the access token (#token=…)." };
  return new HttpControlClient(location.origin, token);
}

/**
 * Moves `#token=…` into this tab's sessionStorage and out of the address bar (and so out of the
 * history and bookmarks); a fragment never reaches the server.
 */
function takeTokenFromFragment(): string | null {
  const token = new URLSearchParams(location.hash.slice(1)).get("token");
  if (!token) return null;
  sessionStorage.setItem(TOKEN_KEY, token);
  history.replaceState(null, "", location.pathname + location.search);
  return token;
}

/** Forgets a token the server refused, so that a reload asks for the URL again. */
export function forgetToken(): void {
  sessionStorage.removeItem(TOKEN_KEY);
}
