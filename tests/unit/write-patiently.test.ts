import { describe, expect, it } from 'vitest';
import { writeOnceDatabaseAnswers } from '../../src/store/write-patiently.js';

describe('writeOnceDatabaseAnswers', () => {
  it('runs the write again until the database answers, reporting each failure', async () => {
    let calls = 0;
    const failures: string[] = [];
    const result = await writeOnceDatabaseAnswers(
      async () => {
        calls++;
        if (calls < 3) throw new Error(`connection refused (${calls})`);
        return 'recorded';
      },
      (error) => failures.push((error as Error).message),
    );
    expect(result).toBe('recorded');
    expect(calls).toBe(3);
    expect(failures).toEqual(['connection refused (1)', 'connection refused (2)']);
  });

  it('gives up with the last error once its patience is spent', async () => {
    let calls = 0;
    const started = Date.now();
    await expect(
      writeOnceDatabaseAnswers(
        async () => {
          calls++;
          throw new Error(`still down (${calls})`);
        },
        () => undefined,
        500,
      ),
    ).rejects.toThrow(/still down/);
    // 100 + 200 ms of waits fit in 500 ms; the next wait (400 ms) would not.
    expect(calls).toBe(3);
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
