export declare class TailBuffer {
  constructor(limit?: number);
  push(chunk: Buffer): void;
  toString(): string;
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  stdout: Buffer;
  stderr: string;
}

export interface RunOptions {
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export declare function run(cmd: string, args: string[], options?: RunOptions): Promise<RunResult>;
export declare function runOk(cmd: string, args: string[], options?: RunOptions): Promise<RunResult>;
export declare function isAlive(pid: number): boolean;
export declare function signalPid(pid: number, signal: NodeJS.Signals): void;
export declare function waitForPidExit(pid: number, timeoutMs: number): Promise<boolean>;
