import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');

/** Starts a TypeScript script with tsx in a child process and waits for it to print `ready`. */
export async function startScript(
  script: string,
  env: Record<string, string>,
  timeoutMs = 20_000,
  args: string[] = [],
  ready = 'ready',
): Promise<ChildProcess> {
  const runner = script.endsWith('.mjs') ? [resolve(ROOT, script)] : ['--import', 'tsx', resolve(ROOT, script)];
  const child = spawn(process.execPath, [...runner, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  await new Promise<void>((resolvePromise, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL'); // else it outlives the test run
      reject(new Error(`${script} did not get ready in ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    child.stdout!.on('data', (d: Buffer) => {
      output += d.toString();
      if (output.includes(ready)) {
        clearTimeout(timer);
        resolvePromise();
      }
    });
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited with ${code} before it was ready:\n${output}`));
    });
  });
  return child;
}

export function kill(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolvePromise) => {
    child.once('exit', () => resolvePromise());
    child.kill(signal);
  });
}
