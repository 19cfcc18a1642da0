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

export interface ProcessOptions {
  /** Flags for Node itself, e.g. --cpu-prof. */
  readonly nodeArgs?: readonly string[];
  /** The checkout to run from (tsx reads tsconfig.json from the working directory); this one by default. */
  readonly cwd?: string;
  readonly timeoutMs?: number;
}

/**
 * Runs a TypeScript entry point in its own Node process and resolves with the first stdout line that `ready`
 * accepts (parsed), so every part of a benchmark has its own event loop. BENCH_NODE names another node binary
 * to run it with (to compare Node versions).
 */
export function startProcess<T>(
  script: string,
  args: string[],
  env: Record<string, string>,
  ready: (line: string) => T | undefined,
  { nodeArgs = [], cwd = root, timeoutMs = 20_000 }: ProcessOptions = {},
): Promise<Started<T>> {
  const startedAt = performance.now();
  const child = spawn(process.env['BENCH_NODE'] ?? process.execPath, [...nodeArgs, '--import', 'tsx', script, ...args], {
    cwd,
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
export function startServiceProcess(env: Record<string, string>, options: ProcessOptions = {}): Promise<Started<{ baseUrl: string }>> {
  const ready = (line: string) => {
    const parsed = jsonLine<{ msg?: string; port?: number }>(line);
    return parsed?.msg === 'listening' ? { baseUrl: `http://127.0.0.1:${parsed.port}` } : undefined;
  };
  // The load runs many connections on one session: the per-session bound (MAX_INFLIGHT_LISTINGS_PER_SESSION) would
  // shed most of them and the bench would measure 503s.
  const defaults = { HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', MAX_INFLIGHT_LISTINGS_PER_SESSION: '0' };
  return startProcess('src/main.ts', [], { ...defaults, ...env }, ready, options);
}

/** A baseline server script (bench/*.ts) that prints {"baseUrl"} when it listens. */
export function startBaseline(script: string, args: string[], options: ProcessOptions = {}): Promise<Started<{ baseUrl: string }>> {
  return startProcess(script, args, {}, (line) => jsonLine<{ baseUrl: string }>(line), options);
}

export interface FakeInfo {
  readonly baseUrl: string;
  /** `http://127.0.0.1:<port>/site/{site}`-style template the service takes as ATLASSIAN_SITE_URL_TEMPLATE. */
  readonly siteUrlTemplate: string;
}

/** The fake Atlassian (bench/fake-server.ts) with the bench user on a site of `projects` projects and `spaces` spaces. */
export function startFakeAtlassian(latencyMs: number, projects: number, spaces: number): Promise<Started<FakeInfo>> {
  return startProcess('bench/fake-server.ts', [String(latencyMs), String(projects), String(spaces)], {}, (line) => jsonLine<FakeInfo>(line));
}
