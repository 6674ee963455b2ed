export interface GvfsSession {
  /** HOME, XDG_RUNTIME_DIR and DBUS_SESSION_BUS_ADDRESS of the private session. */
  env: NodeJS.ProcessEnv;
  /** $XDG_RUNTIME_DIR/gvfs, where gvfsd-fuse is mounted. */
  fuseDir: string;
  describe(): string;
  stop(): Promise<void>;
}

export declare function requireGvfs(): void;
export declare function waitFor<T>(check: () => T | undefined | false | null, timeoutMs: number, what: string): Promise<T>;
export declare function startGvfsSession(dir: string): Promise<GvfsSession>;
