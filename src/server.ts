import 'reflect-metadata';
import 'dotenv/config';
import { createServer } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AddressInfo } from 'node:net';
import { buildService, closeContainer, loadDeferredModules, openContainer } from './composition-root.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { applyServerTimeouts, CONNECTIONS_CHECKING_INTERVAL_MS } from './http/server-timeouts.js';
import { createLogger, flushLogs } from './logger.js';
import { SERVICE_VERSION } from './version.js';

/**
 * When the libraries left out of the start are loaded, after listening: their loading blocks the event loop for
 * about 80 ms, so not at once, where it would hold up the first answers (a probe, a load balancer's check); soon
 * enough that a user's first login rarely finds them missing (it would wait for them, not fail).
 */
const DEFERRED_MODULES_DELAY_MS = 1_000;

function readConfig(): Config {
  try {
    return loadConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
}

/**
 * Starts the service: configuration, container, the store connected, the server listening; a configuration error
 * or an unreachable store ends the process with exit code 1. Resolves once it listens and, a second later, has
 * loaded the libraries left out of the start: then everything the service runs is loaded.
 */
export async function startServer(): Promise<void> {
  const config = readConfig();
  const logger = createLogger(config.logLevel);
  if (config.frontendOrigins === undefined) {
    logger.warn('FRONTEND_ORIGIN is not set: any browser origin may call this service. Set it in production.');
  }
  const oauthOn = config.oauth.jira !== undefined || config.oauth.confluence !== undefined;
  if (oauthOn && config.oauthReturnUrl === undefined) {
    logger.warn('OAUTH_RETURN_URL is not set: the OAuth callback answers JSON and attaches the grant itself, so sign-ins are not bound to the browser that started them. Set it in production.');
  }
  if (oauthOn && !config.oauthPkce) {
    logger.warn('OAUTH_PKCE is false: a leaked authorization code can be redeemed with another sign-in\'s state.');
  }
  for (const product of ['jira', 'confluence'] as const) {
    if (config.oauth[product] === undefined) logger.info({ product }, 'OAuth not configured for this product; only API-token login is available');
  }

  const { app, container, readiness } = await buildService(config, logger);
  try {
    await openContainer(container);
  } catch (error) {
    logger.fatal({ err: error, store: config.sessionStore.kind }, 'the session store cannot be reached');
    await closeContainer(container);
    await flushLogs(logger);
    process.exit(1);
  }

  const server = createServer({ connectionsCheckingInterval: CONNECTIONS_CHECKING_INTERVAL_MS }, app.callback());
  applyServerTimeouts(server, config.http);
  // A port in use or not allowed ends the start like an unreachable store: one fatal line and exit 1, not an
  // unhandled 'error' event with a stack trace.
  server.once('error', (error: NodeJS.ErrnoException) => {
    logger.fatal({ errorCode: error.code, reason: error.message, port: config.port, host: config.host }, 'cannot listen');
    void closeContainer(container)
      .finally(() => flushLogs(logger))
      .finally(() => process.exit(1));
  });
  const listening = new Promise<void>((resolve) => {
    server.listen(config.port, config.host, () => {
      const { port } = server.address() as AddressInfo;
      logger.info({ port, host: config.host, pid: process.pid, version: SERVICE_VERSION, store: config.sessionStore.kind }, 'listening');
      // Now, not with the next batch: whoever starts the service waits for this line (and learns the port from it).
      logger.flush();
      resolve();
    });
  });

  // Graceful: report not ready at once, keep serving for the drain delay so load balancers move away, then stop
  // accepting, let in-flight requests finish (bounded), and release Redis and sockets.
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    readiness.drain();
    logger.info({ signal, drainDelayMs: config.shutdownDrainDelayMs }, 'shutting down');
    if (config.shutdownDrainDelayMs === 0) close();
    else setTimeout(close, config.shutdownDrainDelayMs);
  };
  const close = (): void => {
    const force = setTimeout(() => {
      logger.warn({ timeoutMs: config.shutdownTimeoutMs }, 'in-flight requests did not finish in time; closing them');
      server.closeAllConnections();
    }, config.shutdownTimeoutMs);
    force.unref();
    // A keep-alive connection becomes idle after its last response; close those as they appear, not after
    // the keep-alive timeout.
    const reap = setInterval(() => server.closeIdleConnections(), 100);
    reap.unref();
    server.close(() => {
      clearTimeout(force);
      clearInterval(reap);
      void closeContainer(container)
        .finally(() => {
          logger.info('stopped');
          return flushLogs(logger);
        })
        .finally(() => process.exit(0));
    });
    server.closeIdleConnections();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));

  await listening;
  await sleep(DEFERRED_MODULES_DELAY_MS);
  // A library that cannot load fails the requests that need it; the log says why.
  await loadDeferredModules(config).catch((error: unknown) => logger.error({ err: error }, 'a library loaded on first use failed to load'));
}
