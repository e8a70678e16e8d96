import { type ChildProcess, spawn } from 'node:child_process';

import { Redis } from 'ioredis';
import { freePort, tempDir } from './env.js';

/** A private redis-server (AOF on, fsync always) that a test can stop, flush and start again on the same port. */
export class PrivateRedis {
  private child: ChildProcess | undefined;
  readonly dir = tempDir('herald-redis-');
  private constructor(readonly port: number) {}

  static async start(): Promise<PrivateRedis> {
    const redis = new PrivateRedis(await freePort());
    await redis.start();
    return redis;
  }

  get url() {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    if (this.child && this.child.exitCode === null && this.child.signalCode === null) return;
    this.child = spawn(
      'redis-server',
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--dir',
        this.dir,
        '--appendonly',
        'yes',
        '--appendfsync',
        'always',
        '--save',
        '',
        '--maxmemory-policy',
        'noeviction',
      ],
      { stdio: 'ignore' },
    );
    const deadline = Date.now() + 10_000;
    for (;;) {
      const client = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      client.on('error', () => undefined);
      try {
        await client.connect();
        await client.ping();
        client.disconnect();
        return;
      } catch {
        client.disconnect();
        if (Date.now() > deadline) throw new Error(`redis-server on ${this.port} did not start`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  /** Stops the server the hard way (as a crash would), keeping its AOF on disk. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
    this.child = undefined;
  }

  async command(...args: [string, ...Array<string | number>]): Promise<unknown> {
    const client = new Redis(this.url, { maxRetriesPerRequest: 1 });
    try {
      return await client.call(...args);
    } finally {
      client.disconnect();
    }
  }
}
