import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import type { DependencyContainer } from 'tsyringe';
import { buildService, closeContainer, openContainer, type Overrides } from '../../src/composition-root.js';
import { loadConfig } from '../../src/config.js';
import { applyServerTimeouts, CONNECTIONS_CHECKING_INTERVAL_MS } from '../../src/http/server-timeouts.js';
import { createLogger } from '../../src/logger.js';
import { unwatchService, watchService } from './openapi-check.js';

export interface RunningService {
  readonly baseUrl: string;
  readonly container: DependencyContainer;
  /** Every log line the service wrote, as raw JSON text. */
  readonly logs: string[];
  close(): Promise<void>;
}

type Env = Record<string, string>;

/**
 * The real service (real adapters, real HTTP) on an ephemeral loopback port. The socket listens first, so `env`
 * may be a function of the base URL (OAuth redirect URIs name the service's own port).
 */
export async function startService(env: Env | ((baseUrl: string) => Env), overrides: Overrides = {}): Promise<RunningService> {
  const server = createServer({ connectionsCheckingInterval: CONNECTIONS_CHECKING_INTERVAL_MS });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;

  const config = loadConfig({ LOG_LEVEL: 'debug', ...(typeof env === 'function' ? env(baseUrl) : env) });
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  const { app, container } = await buildService(config, createLogger(config.logLevel, sink), overrides);
  await openContainer(container);
  applyServerTimeouts(server, config.http);
  server.on('request', app.callback());
  watchService(baseUrl);
  return {
    baseUrl,
    container,
    logs,
    async close() {
      unwatchService(baseUrl);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await closeContainer(container);
    },
  };
}
