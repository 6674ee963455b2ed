import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./App.js";
import { controlApi, forgetToken } from "./api.js";
import { takeRoute } from "./route.js";
import { createSettingsStore } from "./store.js";
import "./styles.css";

const root = createRoot(document.getElementById("root")!);
// Before the token is taken out of the fragment with the rest of it.
const route = takeRoute();
const api = controlApi();
if ("missing" in api) {
  root.render(
    <main className="alone">
      <h1>DittoFS Settings</h1>
      <p role="alert">{api.missing}</p>
    </main>,
  );
} else {
  const store = createSettingsStore(api, forgetToken, route);
  root.render(
    <StrictMode>
      <App store={store} />
    </StrictMode>,
  );
}
