/**
 * The sandbox as a library: a seeded fake Atlassian (with its consent page), the real service as a child process
 * pointed at it, and the example frontend. `npm run sandbox` (sandbox/main.ts) and the e2e test both start it
 * through `startSandbox`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { FakeAtlassian } from '../fake-atlassian/index.js';
import { startFrontendServer, type FrontendServer } from './frontend-server.js';
import { DEFAULT_SITE, OAUTH_APP, seedFake } from './seed.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export const DEFAULT_PORTS = { frontend: 5173, service: 3001, fake: 4010 } as const;

export interface SandboxPorts {
  readonly frontend: number;
  readonly service: number;
  readonly fake: number;
}

export interface SandboxOptions {
  /** 0 picks a free port. Default {@link DEFAULT_PORTS}. */
  readonly ports?: Partial<SandboxPorts>;
  /** The service's LOG_LEVEL. Default `warn`. */
  readonly serviceLogLevel?: string;
  /** Delay the fake adds before every answer, to see loading states. Default 0. */
  readonly latencyMs?: number;
  /** Receives the service's output and the sandbox's own notes, one line at a time. Default: dropped. */
  readonly log?: (line: string) => void;
}

export interface Sandbox {
  /** The page to open. It is also the service's OAUTH_RETURN_URL. */
  readonly frontendUrl: string;
  readonly serviceUrl: string;
  readonly fakeUrl: string;
  /** The fake itself, for tests that want to look at what reached "Atlassian". */
  readonly fake: FakeAtlassian;
  /** Resolves with the service's exit code when it exits, whether `stop()` asked it to or not. */
  readonly serviceExited: Promise<number | null>;
  stop(): Promise<void>;
}

/** Reads SANDBOX_PORTS (one value for every port, e.g. 0), SANDBOX_{FRONTEND,SERVICE,FAKE}_PORT, SANDBOX_LATENCY_MS, LOG_LEVEL. */
export function sandboxOptionsFromEnv(env: NodeJS.ProcessEnv): Omit<SandboxOptions, 'log'> {
  const int = (name: string, max: number): number | undefined => {
    const raw = env[name]?.trim();
    if (raw === undefined || raw === '') return undefined;
    if (!/^\d+$/.test(raw) || Number(raw) > max) throw new Error(`${name} must be an integer from 0 to ${max}, got "${raw}"`);
    return Number(raw);
  };
  const all = int('SANDBOX_PORTS', 65535);
  const port = (name: string): number | undefined => int(name, 65535) ?? all;
  const ports: Partial<SandboxPorts> = {};
  const frontend = port('SANDBOX_FRONTEND_PORT');
  const service = port('SANDBOX_SERVICE_PORT');
  const fake = port('SANDBOX_FAKE_PORT');
  if (frontend !== undefined) Object.assign(ports, { frontend });
  if (service !== undefined) Object.assign(ports, { service });
  if (fake !== undefined) Object.assign(ports, { fake });
  const latencyMs = int('SANDBOX_LATENCY_MS', 60_000);
  const logLevel = env['LOG_LEVEL']?.trim();
  return {
    ports,
    ...(latencyMs !== undefined ? { latencyMs } : {}),
    ...(logLevel ? { serviceLogLevel: logLevel } : {}),
  };
}

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const ports = { ...DEFAULT_PORTS, ...options.ports };
  // Loopback only, like the fake itself: the sandbox is for the machine it runs on.
  const host = '127.0.0.1';
  const log = options.log ?? (() => undefined);
  const cleanups: (() => Promise<void>)[] = [];
  const stopAll = async (): Promise<void> => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  };

  try {
    // The fake answers the browser (consent page) and the service on one port.
    const fake = new FakeAtlassian({ consentPage: true, latencyMs: options.latencyMs ?? 0 });
    await fake.start(ports.fake).catch((error: unknown) => {
      throw portError('fake Atlassian', ports.fake, 'SANDBOX_FAKE_PORT', error);
    });
    cleanups.push(() => fake.stop());
    // The fake logs every request for tests; a sandbox left running all day should not keep them all.
    const trim = setInterval(() => fake.clearRequests(), 60_000);
    trim.unref();
    cleanups.push(async () => clearInterval(trim));

    // The service's URL is part of its own configuration (OAuth redirect URIs), so its port is chosen first.
    // Checked free, too: a service already on that port would pass the health check in our child's place.
    const servicePort = await probePort(host, ports.service).catch((error: unknown) => {
      throw portError('service', ports.service, 'SANDBOX_SERVICE_PORT', error);
    });
    const serviceUrl = `http://${host}:${servicePort}`;

    const frontend: FrontendServer = await startFrontendServer({
      root: path.join(root, 'examples', 'frontend'),
      serviceUrl,
      port: ports.frontend,
      host,
    }).catch((error: unknown) => {
      throw portError('frontend server', ports.frontend, 'SANDBOX_FRONTEND_PORT', error);
    });
    cleanups.push(() => frontend.close());
    const frontendUrl = `${frontend.origin}/`;

    const callbacks = {
      jira: `${serviceUrl}/auth/jira/oauth/callback`,
      confluence: `${serviceUrl}/auth/confluence/oauth/callback`,
    };
    seedFake(fake, callbacks);

    const env: Record<string, string> = {
      HOST: host,
      PORT: String(servicePort),
      LOG_LEVEL: options.serviceLogLevel ?? 'warn',
      SESSION_STORE: 'memory',
      FRONTEND_ORIGIN: frontend.origin,
      OAUTH_RETURN_URL: frontendUrl,
      ATLASSIAN_AUTH_URL: fake.authUrl,
      ATLASSIAN_API_URL: fake.apiUrl,
      ATLASSIAN_SITE_URL_TEMPLATE: fake.siteUrlTemplate,
      ATLASSIAN_DEFAULT_SITE: DEFAULT_SITE,
      JIRA_OAUTH_CLIENT_ID: OAUTH_APP.jira.clientId,
      JIRA_OAUTH_CLIENT_SECRET: OAUTH_APP.jira.clientSecret,
      JIRA_OAUTH_REDIRECT_URI: callbacks.jira,
      CONFLUENCE_OAUTH_CLIENT_ID: OAUTH_APP.confluence.clientId,
      CONFLUENCE_OAUTH_CLIENT_SECRET: OAUTH_APP.confluence.clientSecret,
      CONFLUENCE_OAUTH_REDIRECT_URI: callbacks.confluence,
    };
    const service = spawnService(env, log);
    cleanups.push(() => service.stop());
    await waitForHealth(serviceUrl, service.exited, service.output);

    return {
      frontendUrl,
      serviceUrl,
      fakeUrl: fake.baseUrl,
      fake,
      serviceExited: service.exited,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

interface ServiceChild {
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  readonly output: string[];
  stop(): Promise<void>;
}

/** `node --import tsx src/main.ts`, as `npm start` runs it, with only the sandbox's variables. */
function spawnService(env: Record<string, string>, log: (line: string) => void): ServiceChild {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: root,
    // A clean environment: the shell's or a .env's OAuth settings must not point the sandbox at real Atlassian.
    // (dotenv fills only variables that are unset, and every one that matters is set here.)
    env: { PATH: process.env['PATH'] ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const onData = (chunk: Buffer): void => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line.trim() === '') continue;
      output.push(line);
      log(`service │ ${readable(line)}`);
    }
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  // If the sandbox itself dies without stop(), do not leave the service running.
  const killOnExit = (): void => {
    if (child.exitCode === null) child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  return {
    child,
    exited,
    output,
    async stop() {
      process.off('exit', killOnExit);
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** A pino JSON line as `level msg {fields}`; anything else as it came. */
function readable(line: string): string {
  try {
    const parsed = JSON.parse(line) as Record<string, unknown>;
    const { level, msg, time: _time, pid: _pid, hostname: _hostname, ...rest } = parsed;
    const names: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };
    const levelName = typeof level === 'number' ? names[level] ?? String(level) : String(level ?? '');
    return `${levelName} ${String(msg ?? '')}${Object.keys(rest).length > 0 ? ` ${JSON.stringify(rest)}` : ''}`;
  } catch {
    return line;
  }
}

async function waitForHealth(serviceUrl: string, exited: Promise<number | null>, output: string[]): Promise<void> {
  let exitCode: number | null | undefined;
  void exited.then((code) => {
    exitCode = code;
  });
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (exitCode !== undefined) {
      throw new Error(`the service exited with ${String(exitCode)} before answering:\n${output.join('\n')}`);
    }
    try {
      const response = await fetch(`${serviceUrl}/`, { signal: AbortSignal.timeout(1_000) });
      const body = (await response.json()) as { status?: unknown };
      if (response.ok && body.status === 'ok') return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the service did not answer ${serviceUrl}/ within 30 s:\n${output.join('\n')}`);
}

/** Listens on `port` (0: any free one) and closes again: resolves with the port if it was free. */
function probePort(host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function portError(what: string, port: number, variable: string, error: unknown): Error {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (code === 'EADDRINUSE') return new Error(`port ${port} for the ${what} is in use: set ${variable} (or SANDBOX_PORTS=0 for free ports)`);
  return error instanceof Error ? error : new Error(String(error));
}
