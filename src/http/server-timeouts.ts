import type { Server } from 'node:http';

export interface ServerTimeouts {
  /** Time a client has to send the request headers. */
  readonly headersTimeoutMs: number;
  /** Time a client has to send the whole request (headers and body); the response may take longer. */
  readonly requestTimeoutMs: number;
  /** How long an idle keep-alive connection is kept. */
  readonly keepAliveTimeoutMs: number;
}

/**
 * How often Node looks for connections past their header or request timeout. Its default, 30 s, would let a
 * 10 s limit last up to 40 s; the check walks only connections with a request in progress, so 1 s is cheap.
 * Node takes it only when the server is created: pass `{ connectionsCheckingInterval }` to createServer.
 */
export const CONNECTIONS_CHECKING_INTERVAL_MS = 1_000;

/** Tight limits on slow clients (slowloris): Node's defaults are 60 s for headers and 300 s for a request. */
export function applyServerTimeouts(server: Server, timeouts: ServerTimeouts): void {
  server.headersTimeout = timeouts.headersTimeoutMs;
  server.requestTimeout = timeouts.requestTimeoutMs;
  server.keepAliveTimeout = timeouts.keepAliveTimeoutMs;
}
