import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';

import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './env.js';

/**
 * A private PostgreSQL server (initdb + pg_ctl, trust auth, 127.0.0.1 only, a free port) that a test may stop
 * and start: the shared server on 5432 is never touched. Debian's binaries refuse to run as root, so when the
 * test runs as root they run as the `postgres` user (runuser) in a temp dir it owns.
 */
export class PrivatePostgres {
  private constructor(
    readonly port: number,
    readonly dir: string,
    private readonly bin: string,
  ) {}

  static available(): string | undefined {
    try {
      const versions = readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a));
      for (const v of versions) {
        const bin = `/usr/lib/postgresql/${v}/bin`;
        if (readdirSync(bin).includes('pg_ctl')) return bin;
      }
    } catch {
      return undefined;
    }
    return undefined;
  }

  static async start(): Promise<PrivatePostgres> {
    const bin = PrivatePostgres.available();
    if (!bin) throw new Error('no PostgreSQL server binaries under /usr/lib/postgresql/*/bin');
    const dir = mkdtempSync(join(tmpdir(), 'herald-pg-'));
    chmodSync(dir, 0o700);
    const port = await freePort();
    const pg = new PrivatePostgres(port, dir, bin);
    if (process.getuid?.() === 0) {
      const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
      const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
      chownSync(dir, uid, gid);
    }
    pg.run('initdb', ['-D', join(dir, 'data'), '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
    pg.startServer();
    return pg;
  }

  get url() {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  private run(tool: string, args: string[]) {
    const command = [join(this.bin, tool), ...args];
    const argv =
      process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', ...command]] : [command[0]!, command.slice(1)];
    return execFileSync(argv[0] as string, argv[1] as string[], {
      cwd: this.dir,
      stdio: 'pipe',
      timeout: 60_000,
    }).toString();
  }

  startServer() {
    this.run('pg_ctl', [
      '-D',
      join(this.dir, 'data'),
      '-l',
      join(this.dir, 'log'),
      '-w',
      '-t',
      '30',
      '-o',
      `-p ${this.port} -c listen_addresses=127.0.0.1 -k ${this.dir} -c fsync=off -c max_connections=200`,
      'start',
    ]);
  }

  /** `immediate` is a crash (no checkpoint; recovery on the next start); `fast` a clean stop. */
  stopServer(mode: 'immediate' | 'fast' = 'immediate') {
    this.run('pg_ctl', ['-D', join(this.dir, 'data'), '-m', mode, '-w', '-t', '30', 'stop']);
  }

  /** Stops the server (if running) and deletes its files. */
  destroy() {
    try {
      this.stopServer('immediate');
    } catch {
      // not running
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
