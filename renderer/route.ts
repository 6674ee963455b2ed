/**
 * The window's address fragment as a route: `#add` opens the add-share form (the tray's "Mount
 * bucket as drive…"), `#edit=<name>` a share's form. The fragment may also carry the browser's
 * token (`#add&token=…`), which api.ts takes.
 */
import type { Editor } from "./store.js";

export function routeOf(hash: string): Editor | null {
  const params = new URLSearchParams(hash.replace(/^#/, ""));
  if (params.has("add")) return { mode: "add" };
  const name = params.get("edit");
  return name ? { mode: "edit", name } : null;
}

/** The route the address names, taken out of it so that asking for the same one again is a change the window hears. */
export function takeRoute(): Editor | null {
  const route = routeOf(location.hash);
  if (route && !new URLSearchParams(location.hash.slice(1)).has("token")) history.replaceState(null, "", location.pathname + location.search);
  return route;
}
