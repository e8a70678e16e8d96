import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { connect } from 'node:net';
import { join } from 'node:path';
import { ConfigError, type HeraldEnv } from '../config/env.js';
import { makePrivateDirectory } from '../lib/private-files.js';
import type { Logger } from '../runtime/logger.js';

export interface RedisHandle {
  url: string;
  /** True when Herald started this redis-server and will stop it on exit. */
  embedded: boolean;
  stop(): Promise<void>;
}

/**
 * First run: with REDIS_URL unset and nothing answering on 127.0.0.1:6379, start a redis-server from PATH with
 * its data under ./data/redis (AOF on, so queued deliveries survive a restart) and stop it on exit.
 */
export async function ensureRedis(env: HeraldEnv, logger: Logger, port = 6379): Promise<RedisHandle> {
  const external: RedisHandle = { url: env.redisUrl, embedded: false, stop: async () => undefined };
  if (env.redisUrlGiven || (await answers('127.0.0.1', port))) return external;

  const binary = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).stdout.trim();
  if (!binary) {
    throw new ConfigError(
      `no Redis answers on 127.0.0.1:${port} and redis-server is not installed: install Redis (e.g. apt-get install redis-server) or set REDIS_URL`,
    );
  }
  // The queue's jobs (every update's text, subscriber pages) are on disk here: the owner's alone.
  const dir = join(env.dataDir, 'redis');
  makePrivateDirectory(dir);
  const child: ChildProcess = spawn(
    binary,
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--appendonly',
      'yes',
      '--save',
      '',
      '--maxmemory-policy',
      'noeviction',
      '--daemonize',
      'no',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  const deadline = Date.now() + 10_000;
  while (!(await answers('127.0.0.1', port))) {
    if (exited || Date.now() > deadline)
      throw new ConfigError(`could not start ${binary}; start Redis yourself or set REDIS_URL`);
    await new Promise((r) => setTimeout(r, 100));
  }
  logger.info({ dir }, 'started a local redis-server for Herald (set REDIS_URL to use your own)');
  return {
    url: `redis://127.0.0.1:${port}`,
    embedded: true,
    stop: () =>
      new Promise<void>((resolve) => {
        if (exited) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

function answers(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('connect', () => {
      socket.write('PING\r\n');
    });
    socket.once('data', (data) => done(data.toString().startsWith('+PONG') || data.toString().startsWith('-NOAUTH')));
    socket.once('error', () => done(false));
  });
}
