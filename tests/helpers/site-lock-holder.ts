// A process that takes the status site's lock and keeps it until it is killed: a worker killed mid-rebuild.
import { withSiteLock } from '../../src/statuspage/tree.js';

const dir = process.argv[2]!;
await withSiteLock(
  dir,
  async () => {
    console.log('ready');
    // Holds the lock, refreshing it, until killed (the timer keeps the process alive; the lock's own is unref'd).
    await new Promise(() => setInterval(() => undefined, 60_000));
  },
  () => undefined,
);
