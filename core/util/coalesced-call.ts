/**
 * Runs an async call for many callers at once (group commit): a caller's promise settles with a
 * run that started after it asked, so it sees everything done before it asked, and callers that
 * arrive while a run is under way share the one run after it. N concurrent fsyncs become two.
 */
export class CoalescedCall {
  private running: Promise<void> | null = null;
  private next: Promise<void> | null = null;

  constructor(private readonly call: () => Promise<void>) {}

  run(): Promise<void> {
    if (!this.running) return this.start();
    this.next ??= this.running
      .catch(() => undefined)
      .then(() => {
        this.next = null;
        return this.start();
      });
    return this.next;
  }

  /** Settles with the run under way, or at once when none is. */
  current(): Promise<void> {
    return this.running ?? Promise.resolve();
  }

  private start(): Promise<void> {
    const run = this.call().finally(() => {
      if (this.running === run) this.running = null;
    });
    this.running = run;
    return run;
  }
}
