/**
 * How long a worker keeps trying to record what it has already sent while the database does not answer (a
 * restart, a failover) before it gives up; its job then retries, and sends again what stayed unrecorded.
 */
export const RECORD_PATIENCE_MS = 60_000;

/**
 * Runs `write` until it succeeds: 100 ms, 200 ms … 2 s apart, for up to `patienceMs`, then throws its last error.
 * For the records of sends that happened: without them a retry would send again. `write` must be safe to run
 * again after a failure (a failed transaction rolled back whole; a statement guarded by the row's state).
 * `onRetry` hears each failure that will be retried, with the retry's number (1 for the first).
 */
export async function writeOnceDatabaseAnswers<T>(
  write: () => Promise<T>,
  onRetry: (error: unknown, retry: number) => void,
  patienceMs = RECORD_PATIENCE_MS,
): Promise<T> {
  const giveUpAt = Date.now() + patienceMs;
  for (let retry = 1, waitMs = 100; ; retry++, waitMs = Math.min(waitMs * 2, 2_000)) {
    try {
      return await write();
    } catch (error) {
      if (Date.now() + waitMs > giveUpAt) throw error;
      onRetry(error, retry);
      await new Promise((resolve) => setTimeout(resolve, waitMs));
    }
  }
}
