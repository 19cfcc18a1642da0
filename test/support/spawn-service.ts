import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { unwatchService, watchService } from './openapi-check.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface ServiceProcess {
  readonly baseUrl: string;
  /** The PID the service printed in its "listening" line (npm's child when started through npm). */
  readonly pid: number;
  readonly child: ChildProcess;
  /** Every line the process wrote to stdout or stderr. */
  readonly output: string[];
  /** Sends the signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  exited: Promise<number | null>;
}

/**
 * How the process is started: from the TypeScript source through tsx (the default, what development runs), from
 * the compiled build in dist/ (what production runs; `npm test` builds it first), or through `npm start`.
 */
export type Entry = 'source' | 'compiled' | 'npm-start';

const COMMANDS: Readonly<Record<Entry, readonly [string, readonly string[]]>> = {
  source: [process.execPath, ['--import', 'tsx', 'src/main.ts']],
  compiled: [process.execPath, ['dist/main.js']],
  'npm-start': ['npm', ['start', '--silent']],
};

/** Runs the service as its own process, as an operator would, and waits for its "listening" line. */
export async function spawnService(env: Record<string, string>, timeoutMs = 15_000, entry: Entry = 'source'): Promise<ServiceProcess> {
  const [command, args] = COMMANDS[entry];
  const child = spawn(command, args, {
    cwd: root,
    // A clean environment: only what the test says, so a developer's .env or shell cannot leak in.
    env: { PATH: process.env['PATH'] ?? '', HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const listening = await new Promise<{ port: number; pid: number }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`service did not start:\n${output.join('\n')}`)), timeoutMs);
    const onLine = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
        output.push(line);
        if (line.includes('"msg":"listening"')) {
          clearTimeout(timer);
          resolve(JSON.parse(line) as { port: number; pid: number });
        }
      }
    };
    child.stdout!.on('data', onLine);
    child.stderr!.on('data', onLine);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`service exited with ${code} before listening:\n${output.join('\n')}`));
    });
  });
  const baseUrl = `http://127.0.0.1:${listening.port}`;
  watchService(baseUrl);
  void exited.then(() => unwatchService(baseUrl));
  return {
    baseUrl,
    pid: listening.pid,
    child,
    output,
    exited,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}
