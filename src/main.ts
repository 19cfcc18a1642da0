import 'reflect-metadata';
import 'dotenv/config';
import type { AddressInfo } from 'node:net';
import { buildService, closeContainer } from './composition-root.js';
import { ConfigError, loadConfig } from './config.js';
import { createLogger } from './logger.js';
import { SERVICE_VERSION } from './version.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const logger = createLogger(config.logLevel);
  if (config.frontendOrigins === undefined) {
    logger.warn('FRONTEND_ORIGIN is not set: any browser origin may call this service. Set it in production.');
  }
  for (const product of ['jira', 'confluence'] as const) {
    if (config.oauth[product] === undefined) logger.info({ product }, 'OAuth not configured for this product; only API-token login is available');
  }

  const { app, container } = buildService(config, logger);
  const server = app.listen(config.port, config.host, () => {
    const { port } = server.address() as AddressInfo;
    logger.info({ port, host: config.host, version: SERVICE_VERSION }, 'listening');
  });

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    server.close(() => {
      void closeContainer(container).finally(() => process.exit(0));
    });
    server.closeIdleConnections();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

void main();
