import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
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
  // A compiled script runs on plain node, as production does; TypeScript goes through tsx.
  const loader = script.endsWith('.ts') ? ['--import', 'tsx'] : [];
  const child = spawn(process.env['BENCH_NODE'] ?? process.execPath, [...nodeArgs, ...loader, script, ...args], {
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

/**
 * The service, as `npm start` runs it (the compiled dist/main.js; `compiled: false` runs src/main.ts through tsx,
 * for checkouts without a build), answering on a port it picks.
 */
export function startServiceProcess(
  env: Record<string, string>,
  options: ProcessOptions & { readonly compiled?: boolean } = {},
): Promise<Started<{ baseUrl: string }>> {
  const ready = (line: string) => {
    const parsed = jsonLine<{ msg?: string; port?: number }>(line);
    return parsed?.msg === 'listening' ? { baseUrl: `http://127.0.0.1:${parsed.port}` } : undefined;
  };
  // The load runs many connections on one session: the per-session bound (MAX_INFLIGHT_LISTINGS_PER_SESSION) would
  // shed most of them and the bench would measure 503s.
  const defaults = { HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', MAX_INFLIGHT_LISTINGS_PER_SESSION: '0' };
  return startProcess(options.compiled === false ? 'src/main.ts' : 'dist/main.js', [], { ...defaults, ...env }, ready, options);
}

/**
 * Compiles the service (dist/, when stale) and the baseline servers (dist-bench/), so that every measured
 * process runs compiled JavaScript on plain node, as production does: a bench of tsx would measure its loader.
 */
export function buildForBench(): void {
  execFileSync(process.execPath, ['scripts/build.mjs', '--if-stale'], { cwd: root, stdio: 'inherit' });
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  execFileSync(process.execPath, [tsc, '-p', 'bench/tsconfig.baselines.json'], { cwd: root, stdio: 'inherit' });
}

/** Where buildForBench puts a compiled baseline: bench/passthrough-proxy.ts → dist-bench/passthrough-proxy.js. */
export function compiledBaseline(script: string): string {
  return path.join('dist-bench', path.basename(script).replace(/\.ts$/, '.js'));
}

/** Resident memory of a process in bytes, now (VmRSS) or its peak so far (VmHWM); undefined without /proc. */
export function residentBytesOf(pid: number, which: 'VmRSS' | 'VmHWM' = 'VmRSS'): number | undefined {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((entry) => entry.startsWith(`${which}:`));
    return line === undefined ? undefined : Number(line.split(/\s+/)[1]) * 1024;
  } catch {
    return undefined;
  }
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
