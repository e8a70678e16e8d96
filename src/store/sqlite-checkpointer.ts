import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * SQLite in WAL mode copies the log back into the database file (a checkpoint, with its fsyncs) inside whichever
 * commit crosses `wal_autocheckpoint` pages: on Herald's one event loop that froze the API and every worker for
 * 5–16 ms every few hundred updates (9 ms p99 on commits whose median is 57 µs). Here a worker thread with its
 * own connection checkpoints instead, every `everyMs`, so the fsyncs happen off the main thread.
 *
 * A PASSIVE checkpoint never blocks a writer, but while writes never pause the log may not get back to its start
 * (SQLite restarts it only when a writer finds every frame copied). The main connection therefore keeps its own
 * autocheckpoint at a higher mark: under such load it still bounds the log, and finds most frames copied already.
 */
export interface Checkpointer {
  stop(): Promise<void>;
}

export const MAIN_CONNECTION_AUTOCHECKPOINT_PAGES = 4_000;

const THREAD_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path, { fileMustExist: true });
const tick = () => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // SQLITE_BUSY and the like: the next tick tries again.
  }
  timer = setTimeout(tick, workerData.everyMs);
};
let timer = setTimeout(tick, workerData.everyMs);
parentPort.on('message', () => {
  clearTimeout(timer);
  db.close();
  parentPort.close();
});
`;

export function startCheckpointer(path: string, options: { everyMs?: number } = {}): Checkpointer {
  const worker = new Worker(THREAD_SOURCE, {
    eval: true,
    workerData: {
      driver: createRequire(import.meta.url).resolve('better-sqlite3'),
      path,
      everyMs: options.everyMs ?? 200,
    },
  });
  worker.unref(); // a process that never closes its store still exits
  worker.on('error', () => undefined); // the main connection's own autocheckpoint takes over
  let exited = false;
  worker.once('exit', () => {
    exited = true;
  });
  let stopped: Promise<void> | undefined;
  return {
    stop() {
      if (exited) return Promise.resolve();
      stopped ??= new Promise<void>((resolve) => {
        const timer = setTimeout(() => void worker.terminate().then(() => resolve()), 2_000);
        worker.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        worker.postMessage('stop');
      });
      return stopped;
    },
  };
}
