import js from "@eslint/js";
import tseslint from "typescript-eslint";

/**
 * The layers (shared/DESIGN.md), as import rules. Patterns match the import specifier, so they
 * name path segments ("store/", "service.js") that relative imports from any depth still show.
 * ESLint replaces a rule's options per file rather than merging them: every block below lists
 * all the patterns that hold for its files.
 */
const restrict = (message, ...regexes) => regexes.map((regex) => ({ regex, message }));

/** Nothing in the core reaches out to the desktop shell, the UI, the tests or the benchmarks. */
const CORE_STAYS_INSIDE = restrict(
  "core/ is the server alone: it imports neither electron/, renderer/, e2e/ nor bench/ (tests may use e2e helpers).",
  "(^|/)(electron|renderer|e2e|bench)/",
  "^electron$",
);
/** A store or its interface: `metadata/store.js`, `content/store/fs/index.js`, `registry/stores.js`. */
const STORES = "(^|/)stores?(\\.js$|/)";
const SERVICES = "(^|/)service\\.js$";
/** Stores do CRUD and nothing else. */
const STORE_RULES = [
  ...CORE_STAYS_INSIDE,
  ...restrict(
    "Stores do CRUD: they import no adapter, protocol code, service, registry, server or CLI.",
    "(^|/)(adapter|protocol|registry|server|cli|control)/",
    SERVICES,
  ),
];

/** electron/ takes the core through its public entry, or the control contract alone. */
const ELECTRON_CORE = "(^|/)core/(?!index(\\.js)?$|control/contract(\\.js)?$)";
const ELECTRON_CORE_MESSAGE = "electron/ uses the core only through core/index.ts, or core/control/contract.ts for the contract alone.";

const LAYERS = [
  {
    files: ["core/**/*.ts"],
    patterns: CORE_STAYS_INSIDE,
  },
  {
    // Pure codecs: bytes in, values out.
    files: ["core/protocol/**/*.ts"],
    patterns: [
      ...CORE_STAYS_INSIDE,
      ...restrict(
        "core/protocol holds pure codecs: no adapter, service, store, cache, registry or I/O.",
        "(^|/)(adapter|metadata|content|cache|registry|server|cli|config|control|util)/",
        STORES,
        SERVICES,
        "^node:(fs|fs/promises|net|child_process|dgram|http|https)$",
      ),
    ],
  },
  {
    // Handlers speak protocol and call services; they never touch a store.
    files: ["core/adapter/**/*.ts"],
    patterns: [...CORE_STAYS_INSIDE, ...restrict("Protocol adapters call services; they import no store.", STORES)],
  },
  {
    // Stores do CRUD and nothing else.
    files: ["core/metadata/store/**/*.ts", "core/content/store/**/*.ts"],
    patterns: STORE_RULES,
  },
  {
    // The S3 store's disk cache knows S3 only through its ObjectBackend interface (cache/backend.ts):
    // nothing from the store folder around it (objects.ts, index.ts, bucket-namespace.ts…).
    files: ["core/content/store/s3/cache/**/*.ts"],
    patterns: [
      ...STORE_RULES,
      ...restrict(
        "The disk cache knows the S3 store only through cache/backend.ts: it imports nothing from the store folder around it.",
        "^\\.\\./[^./]",
        "(^|/)s3/",
      ),
    ],
  },
  {
    // The caches sit between services and stores and know stores only by their interfaces.
    files: ["core/cache/**/*.ts"],
    patterns: [
      ...CORE_STAYS_INSIDE,
      ...restrict(
        "The cache layer knows stores by their interfaces (content/store.ts), never a concrete store; no adapter or protocol code.",
        "(^|/)store/[^/]+/",
        "(^|/)(adapter|protocol|registry|server|cli|control)/",
      ),
    ],
  },
  {
    // Embedders see the core only through its public entry; only main and the preload import Electron.
    // The contract (plain types and ControlError) is allowed too: the main process and the preload
    // need only that, and core/index.ts would load every store, zod and pino into them.
    files: ["electron/**"],
    patterns: [
      ...restrict(ELECTRON_CORE_MESSAGE, ELECTRON_CORE),
      ...restrict("Only electron/main.ts and electron/preload.ts import Electron: the rest takes what it needs as a parameter.", "^electron(/|$)"),
    ],
  },
  {
    files: ["electron/main.ts", "electron/preload.ts"],
    patterns: restrict(ELECTRON_CORE_MESSAGE, ELECTRON_CORE),
  },
  {
    // The renderer is bundled for a browser, and core/index.ts pulls in the server (node: modules,
    // SQLite, the AWS SDK): it takes the two browser-safe files of that entry directly, the
    // contract's types and the fetch-based HTTP client, and nothing else of the core.
    files: ["renderer/**"],
    patterns: restrict(
      "renderer/ uses only the control contract and its HTTP client (core/control/contract.ts, http-client.ts): the rest of the core does not run in a browser.",
      "(^|/)core/(?!control/(contract|http-client)(\\.js)?$)",
    ),
  },
  {
    // Tests and benchmarks: the public entry, or the core's test support.
    files: ["e2e/**", "bench/**"],
    patterns: restrict(
      "e2e/ and bench/ use the core through core/index.ts, or core/testing/ for test support.",
      "(^|/)core/(?!index(\\.js)?$|testing/)",
    ),
  },
];

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "bench/out/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "no-console": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  {
    files: ["bench/**", "e2e/**"],
    rules: { "no-console": "off" },
  },
  ...LAYERS.map(({ files, patterns }) => ({
    files,
    // Core tests may reach into what they test (and e2e helpers); the layers hold for the code itself.
    ignores: ["core/**/*.test.ts", "core/**/storetest/**", "core/testing/**"],
    rules: { "no-restricted-imports": ["error", { patterns }] },
  })),
);
