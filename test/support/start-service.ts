import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import type { DependencyContainer } from 'tsyringe';
import { buildService, closeContainer, type Overrides } from '../../src/composition-root.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';

export interface RunningService {
  readonly baseUrl: string;
  readonly container: DependencyContainer;
  /** Every log line the service wrote, as raw JSON text. */
  readonly logs: string[];
  close(): Promise<void>;
}

/** The real service (real adapters, real HTTP) on an ephemeral loopback port. */
export async function startService(env: Record<string, string>, overrides: Overrides = {}): Promise<RunningService> {
  const config = loadConfig({ LOG_LEVEL: 'debug', ...env });
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  const { app, container } = buildService(config, createLogger(config.logLevel, sink), overrides);
  const server: Server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    container,
    logs,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await closeContainer(container);
    },
  };
}
