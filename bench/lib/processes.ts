import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface Started<T> {
  readonly info: T;
  readonly child: ChildProcess;
  readonly startedAt: number;
  stop(): Promise<void>;
}

/**
 * Runs a TypeScript entry point in its own Node process and resolves with the first stdout line that `ready`
 * accepts (parsed), so every part of a benchmark has its own event loop.
 */
export function startProcess<T>(
  script: string,
  args: string[],
  env: Record<string, string>,
  ready: (line: string) => T | undefined,
  timeoutMs = 20_000,
): Promise<Started<T>> {
  const startedAt = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd: root,
    env: { PATH: process.env['PATH'] ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 3_000).unref();
    });
  return new Promise((resolve, reject) => {
    const output: string[] = [];
    const timer = setTimeout(() => reject(new Error(`${script} did not start:\n${output.join('\n')}`)), timeoutMs);
    child.stderr!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    let buffered = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        output.push(line);
        const info = ready(line);
        if (info !== undefined) {
          clearTimeout(timer);
          resolve({ info, child, startedAt, stop });
        }
      }
    });
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}:\n${output.join('\n')}`)));
  });
}

export const jsonLine = <T>(line: string): T | undefined => {
  try {
    return JSON.parse(line) as T;
  } catch {
    return undefined;
  }
};

/** The service, as `npm start` runs it, answering on a port it picks. */
export function startServiceProcess(env: Record<string, string>): Promise<Started<{ baseUrl: string }>> {
  return startProcess('src/main.ts', [], { HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', ...env }, (line) => {
    const parsed = jsonLine<{ msg?: string; port?: number }>(line);
    return parsed?.msg === 'listening' ? { baseUrl: `http://127.0.0.1:${parsed.port}` } : undefined;
  });
}
