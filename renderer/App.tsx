import { useEffect, useRef, type KeyboardEvent } from "react";
import { useStore } from "zustand";
import type { StoreApi } from "zustand/vanilla";
import { takeRoute } from "./route.js";
import { joinShares, VIEWS, type SettingsState, type View } from "./store.js";
import { ActivityView } from "./views/Activity.js";
import { GeneralView } from "./views/General.js";
import { ShareForm } from "./views/ShareForm.js";
import { ManagedSharesView, SharesView } from "./views/Shares.js";

const TITLES: Readonly<Record<View, string>> = { shares: "Shares", activity: "Activity", general: "General" };

/** A settings window: the views in a sidebar, the chosen one beside it. */
export function App({ store }: { store: StoreApi<SettingsState> }) {
  const state = useStore(store);
  const { status, error, view, editor, retries, showView, start, retryUploads, openEditor } = state;
  useEffect(() => start(), [start]);
  // The tray asks for the add-share form by the address (#add) of a window already open.
  useEffect(() => {
    const follow = () => {
      const route = takeRoute();
      if (route) openEditor(route);
    };
    window.addEventListener("hashchange", follow);
    return () => window.removeEventListener("hashchange", follow);
  }, [openEditor]);

  const editing = status?.managed && editor;
  const title = !editing ? TITLES[view] : editor.mode === "add" ? "Add a share" : `Edit “${editor.name}”`;
  return (
    <div className="window">
      <Sidebar view={view} onShow={showView} />
      <main aria-labelledby="view-title">
        <h1 id="view-title">{title}</h1>
        {status?.problem && (
          <p role="alert" className="problem">
            {status.problem}
          </p>
        )}
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
          status.managed ? (
            <ManagedShares state={state} />
          ) : (
            <SharesView shares={status.shares} />
          )
        ) : view === "activity" ? (
          <ActivityView shares={status.shares} retries={retries} onRetry={(share) => void retryUploads(share)} />
        ) : (
          <GeneralView status={status} preferences={status.managed ? state.preferences : null} onSave={state.savePreferences} onOpenLogs={state.openLogs} />
        )}
      </main>
    </div>
  );
}

/** The managed shares: their cards, or the share form when it is open. */
function ManagedShares({ state }: { state: SettingsState }) {
  const { status, managed, managedError, editor, cards } = state;
  if (managedError && !managed) return <p role="alert" className="problem">{managedError}</p>;
  if (!status || !managed) return <p role="status">Loading the shares…</p>;
  if (editor) {
    const editing = editor.mode === "edit" ? (managed.find((share) => share.definition.name === editor.name) ?? null) : null;
    if (editor.mode === "edit" && !editing) return <p role="alert" className="problem">There is no share named “{editor.name}” any more.</p>;
    return (
      <ShareForm
        key={editor.mode === "edit" ? `edit:${editor.name}` : "add"}
        editing={editing}
        actions={{ save: state.saveShare, testS3: state.testS3, previewFolder: state.previewFolder, cancel: state.closeEditor }}
      />
    );
  }
  return (
    <ManagedSharesView
      shares={joinShares(managed, status.shares)}
      cards={cards}
      onAdd={() => state.openEditor({ mode: "add" })}
      onEdit={(name) => state.openEditor({ mode: "edit", name })}
      onMount={(name) => void state.mount(name)}
      onUnmount={(name) => void state.unmount(name)}
      onRemove={(name) => void state.removeShare(name)}
    />
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
