import { type ChildProcess, spawn } from 'node:child_process';

/**
 * A plain static web server, as an operator would put in front of a directory mirror: Python's http.server
 * (no Herald code, no rewrites, no headers of ours). Serves `dir`; `url` has no trailing slash.
 */
export async function startStaticServer(dir: string): Promise<{ url: string; close(): Promise<void> }> {
  const child: ChildProcess = spawn(
    'python3',
    ['-u', '-m', 'http.server', '0', '--bind', '127.0.0.1', '--directory', dir],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`http.server did not start: ${out}`)), 10_000);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const match = /port (\d+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', () => undefined);
    child.once('exit', (code) => reject(new Error(`http.server exited (${code}): ${out}`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
