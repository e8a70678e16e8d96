/**
 * How long a worker keeps trying to record what it has already sent while the database does not answer (a
 * restart, a failover) before it gives up; its job then retries, and sends again what stayed unrecorded.
 */
export const RECORD_PATIENCE_MS = 60_000;

/**
 * Runs `write` until it succeeds: 100 ms, 200 ms … 2 s apart, for up to `patienceMs`, then throws its last error.
 * For the records of sends that happened: without them a retry would send again. `write` must be safe to run
 * again after a failure (a failed transaction rolled back whole; a statement guarded by the row's state).
 */
export async function writeOnceDatabaseAnswers<T>(write: () => Promise<T>, onRetry: (error: unknown) => void, patienceMs = RECORD_PATIENCE_MS): Promise<T> {
  const giveUpAt = Date.now() + patienceMs;
  for (let waitMs = 100; ; waitMs = Math.min(waitMs * 2, 2_000)) {
    try {
      return await write();
    } catch (error) {
      if (Date.now() + waitMs > giveUpAt) throw error;
      onRetry(error);
      await new Promise((resolve) => setTimeout(resolve, waitMs));
    }
  }
}
