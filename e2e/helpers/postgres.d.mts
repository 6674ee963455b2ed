export interface PostgresServer {
  /** Always 127.0.0.1. */
  readonly host: string;
  readonly port: number;
  /** A superuser; TCP logins need `password`, the unix socket trusts everyone. */
  readonly user: string;
  readonly password: string;
  readonly dataDir: string;
  /** The postmaster's PID. */
  readonly pid: number;
  /** `postgresql://user:password@127.0.0.1:port/database`. */
  connectionString(database: string): string;
  /** Creates an empty database (a fresh unique name when none is given) and returns its name. */
  createDatabase(name?: string): Promise<string>;
  /** Drops a database, ending its open connections first; a missing one is fine. */
  dropDatabase(name: string): Promise<void>;
  /** Runs one statement as the superuser on its own connection and returns the rows. */
  query<R = Record<string, unknown>>(database: string, sql: string, params?: unknown[]): Promise<R[]>;
  /** Stops the server (fast shutdown, SIGKILL after 10 s) and removes its temp dir. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts a private PostgreSQL cluster on 127.0.0.1 and a free high port (as the `postgres` user
 * when running as root). Throws with an install hint when the server binaries are missing.
 */
export declare function startPostgres(): Promise<PostgresServer>;
