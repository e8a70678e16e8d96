/**
 * Runs `task` every `intervalMs`, one run at a time: a call while a run is in flight joins it. `stop()` clears
 * the timer and waits for the run in flight. The timer never keeps the process alive.
 */
export class PeriodicTask<T> {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<T> | undefined;

  constructor(
    private readonly task: () => Promise<T>,
    private readonly intervalMs: number,
    private readonly onError: (error: unknown) => void,
  ) {}

  start(options: { runNow?: boolean } = {}): this {
    this.timer = setInterval(() => void this.runOnce().catch(this.onError), this.intervalMs);
    this.timer.unref();
    if (options.runNow) void this.runOnce().catch(this.onError);
    return this;
  }

  runOnce(): Promise<T> {
    this.running ??= this.task().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }
}
