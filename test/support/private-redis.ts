import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { Redis } from 'ioredis';

export interface PrivateRedis {
  readonly url: string;
  /** Kills this redis-server (by its own PID) and waits for it to exit: an outage the test controls. */
  kill(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * A redis-server of this test's own, on a free port, without persistence: for tests that take Redis away. The
 * shared Redis on 6379 is never stopped by a test. Skips the test when redis-server is not installed.
 */
export async function startPrivateRedis(context: Mocha.Context): Promise<PrivateRedis> {
  const port = await freePort();
  const child: ChildProcess = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
  const spawned = await Promise.race([once(child, 'spawn').then(() => true), once(child, 'error').then(() => false)]);
  if (!spawned) {
    console.warn('!!! SKIPPED: redis-server is not installed; the limiter-outage test did NOT run.');
    context.skip();
  }
  const exited = once(child, 'exit');
  const url = `redis://127.0.0.1:${port}`;
  // redis-server takes a moment to listen: poll until it answers PING.
  for (let attempt = 0; ; attempt++) {
    const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on('error', () => undefined); // the refused connects before it listens; connect() rejects too
    try {
      await probe.connect();
      await probe.ping();
      break;
    } catch (error) {
      if (attempt >= 100) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    } finally {
      probe.disconnect();
    }
  }
  return {
    url,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
