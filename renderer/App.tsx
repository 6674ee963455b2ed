import { useEffect, useRef, type KeyboardEvent } from "react";
import { useStore } from "zustand";
import type { StoreApi } from "zustand/vanilla";
import { VIEWS, type SettingsState, type View } from "./store.js";
import { ActivityView } from "./views/Activity.js";
import { GeneralView } from "./views/General.js";
import { SharesView } from "./views/Shares.js";

const TITLES: Readonly<Record<View, string>> = { shares: "Shares", activity: "Activity", general: "General" };

/** A settings window: the views in a sidebar, the chosen one beside it. */
export function App({ store }: { store: StoreApi<SettingsState> }) {
  const { status, error, view, retries, showView, start, retryUploads } = useStore(store);
  useEffect(() => start(), [start]);

  return (
    <div className="window">
      <Sidebar view={view} onShow={showView} />
      <main aria-labelledby="view-title">
        <h1 id="view-title">{TITLES[view]}</h1>
        {error ? (
          <div role="alert" className="problem">
            <p>{error}</p>
            <button type="button" onClick={() => start()}>
              Try again
            </button>
          </div>
        ) : !status ? (
          <p role="status">Connecting to the server…</p>
        ) : view === "shares" ? (
          <SharesView shares={status.shares} />
        ) : view === "activity" ? (
          <ActivityView shares={status.shares} retries={retries} onRetry={(share) => void retryUploads(share)} />
        ) : (
          <GeneralView status={status} />
        )}
      </main>
    </div>
  );
}

/** Tab reaches each view's button, Enter or Space shows it; the arrow keys, Home and End move between them. */
function Sidebar({ view, onShow }: { view: View; onShow(view: View): void }) {
  const buttons = useRef<Array<HTMLButtonElement | null>>([]);
  const onKeyDown = (event: KeyboardEvent<HTMLElement>) => {
    const current = buttons.current.findIndex((button) => button === document.activeElement);
    if (current === -1) return;
    const last = VIEWS.length - 1;
    const next = { ArrowDown: current === last ? 0 : current + 1, ArrowUp: current === 0 ? last : current - 1, Home: 0, End: last }[event.key];
    if (next === undefined) return;
    event.preventDefault();
    buttons.current[next]?.focus();
  };
  return (
    <nav className="sidebar" aria-label="Settings" onKeyDown={onKeyDown}>
      <ul>
        {VIEWS.map((name, index) => (
          <li key={name}>
            <button
              type="button"
              ref={(button) => {
                buttons.current[index] = button;
              }}
              aria-current={name === view ? "page" : undefined}
              onClick={() => onShow(name)}
            >
              {TITLES[name]}
            </button>
          </li>
        ))}
      </ul>
    </nav>
  );
}
