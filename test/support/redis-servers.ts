import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

/**
 * redis-servers of the test's own on free loopback ports, in temp dirs, without persistence: one server, a
 * primary with a replica, sentinels, a Cluster. A test may pause, resume and kill them; never the shared Redis
 * on 6379. Everything is done by the PIDs started here, and every one of them is killed by `stopAllRedisServers`
 * (call it in an `after` hook) and, should the run end without it, when the process exits.
 */
export interface RedisServer {
  readonly port: number;
  readonly url: string;
  readonly pid: number;
  /** SIGSTOP: the server holds its connections and answers nothing, like a stalled Redis. */
  pause(): void;
  resume(): void;
  /** SIGKILL, and waits for the exit: a crash, with no chance to hand anything over. */
  kill(): Promise<void>;
  /** SIGTERM (continued first if paused), and waits for the exit. */
  stop(): Promise<void>;
}

const run = promisify(execFile);
const started = new Set<{ pid: number; child: ChildProcess; dir: string }>();
const running = new Set<RedisServer>();

process.once('exit', () => {
  for (const { pid, dir } of started) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Whether `redis-server` can be run here; suites skip (loudly) when it cannot, and fail in CI. */
export async function redisServerInstalled(): Promise<boolean> {
  return run('redis-server', ['--version']).then(() => true, () => false);
}

export async function requireRedisServer(context: Mocha.Context): Promise<void> {
  if (await redisServerInstalled()) return;
  if (process.env['CI']) throw new Error('redis-server is required in CI but is not installed');
  console.warn(`!!! SKIPPED: "${context.test?.parent?.fullTitle() ?? 'a suite'}" — redis-server is not installed; these tests did NOT run.`);
  context.skip();
}

async function portIsFree(port: number): Promise<boolean> {
  const server = net.createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * A free port whose +10000 (a Cluster node's bus port) is free too, below the usual ephemeral range so the
 * kernel does not hand it to an outgoing connection meanwhile.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 10_000);
    if ((await portIsFree(port)) && (await portIsFree(port + 10_000))) return port;
  }
  throw new Error('no free loopback port pair found');
}

/** One PING over a raw socket: answers true on +PONG, false on anything else within the bound. */
export function pings(port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const done = (result: boolean) => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}

export async function until(what: string, check: () => Promise<boolean>, timeoutMs = 15_000, everyMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** Runs redis-cli against a server of ours (never 6379 unless asked) and answers its output. */
export async function redisCli(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args]);
  return stdout.trim();
}

/** `extra` are redis-server arguments, or, with `configFile`, the file comes first (sentinels). */
export async function startRedisServer(options: { args?: readonly string[]; configFile?: (port: number, dir: string) => string; sentinel?: boolean } = {}): Promise<RedisServer> {
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), 'connector-redis-'));
  const base = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir];
  const args =
    options.configFile === undefined
      ? [...base, ...(options.args ?? [])]
      : [options.configFile(port, dir), ...(options.sentinel ? ['--sentinel'] : []), '--port', String(port), '--bind', '127.0.0.1', '--dir', dir];
  const child = spawn('redis-server', args, { stdio: 'ignore' });
  const spawned = await Promise.race([once(child, 'spawn').then(() => true), once(child, 'error').then(() => false)]);
  if (!spawned || child.pid === undefined) throw new Error('redis-server did not start (is it installed?)');
  const pid = child.pid;
  const entry = { pid, child, dir };
  started.add(entry);
  const exited = child.exitCode !== null ? Promise.resolve() : once(child, 'exit').then(() => undefined);
  const gone = () => child.exitCode !== null || child.signalCode !== null;
  const forget = () => {
    started.delete(entry);
    running.delete(server);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await until(`redis-server on port ${port}`, async () => {
      if (gone()) throw new Error(`redis-server on port ${port} exited at start`);
      return pings(port);
    }, 10_000, 50);
  } catch (error) {
    if (!gone()) process.kill(pid, 'SIGKILL');
    await exited;
    forget();
    throw error;
  }
  const server: RedisServer = {
    port,
    url: `redis://127.0.0.1:${port}`,
    pid,
    pause: () => process.kill(pid, 'SIGSTOP'),
    resume: () => process.kill(pid, 'SIGCONT'),
    async kill() {
      if (!gone()) process.kill(pid, 'SIGKILL');
      await exited;
      forget();
    },
    async stop() {
      if (!gone()) {
        // A stopped process does not act on SIGTERM until it is continued.
        process.kill(pid, 'SIGCONT');
        process.kill(pid, 'SIGTERM');
      }
      await exited;
      forget();
    },
  };
  running.add(server);
  return server;
}

export interface Replicated {
  readonly primary: RedisServer;
  readonly replica: RedisServer;
}

/** A primary and one replica of it, in sync before this returns. */
export async function startPrimaryWithReplica(): Promise<Replicated> {
  const primary = await startRedisServer();
  const replica = await startRedisServer({ args: ['--replicaof', '127.0.0.1', String(primary.port)] });
  await until('the replica to sync', async () => /master_link_status:up/.test(await redisCli(replica.port, 'INFO', 'replication')));
  return { primary, replica };
}

/**
 * `count` sentinels watching `primaryPort` as `name`, quorum 2: a primary unreachable for 1 s is down, and a
 * failover may take 6 s. Each gets its config in a temp file, which it rewrites as it learns the topology.
 */
export async function startSentinels(name: string, primaryPort: number, count = 3): Promise<RedisServer[]> {
  const config = (_port: number, dir: string) => {
    const file = path.join(dir, 'sentinel.conf');
    writeFileSync(
      file,
      [
        `sentinel monitor ${name} 127.0.0.1 ${primaryPort} 2`,
        `sentinel down-after-milliseconds ${name} 1000`,
        `sentinel failover-timeout ${name} 6000`,
        `sentinel parallel-syncs ${name} 1`,
        '',
      ].join('\n'),
    );
    return file;
  };
  const sentinels = await Promise.all(Array.from({ length: count }, () => startRedisServer({ configFile: config, sentinel: true })));
  // Each sentinel must know the others (they meet through the primary's hello channel) before a failover can win a vote.
  await until('the sentinels to see each other and the replica', async () => {
    const views = await Promise.all(sentinels.map((sentinel) => redisCli(sentinel.port, 'SENTINEL', 'MASTER', name)));
    return views.every((view) => {
      const fields = view.split('\n');
      const field = (key: string) => Number(fields[fields.indexOf(key) + 1]);
      return field('num-other-sentinels') === count - 1 && field('num-slaves') >= 1;
    });
  }, 20_000, 200);
  return sentinels;
}

/** Which port the sentinels now name as the primary of `name`. */
export async function sentinelPrimaryPort(sentinel: RedisServer, name: string): Promise<number> {
  const reply = await redisCli(sentinel.port, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name);
  return Number(reply.split('\n')[1]);
}

/** A Cluster of `primaries` primaries without replicas, every slot covered, state ok on every node. */
export async function startCluster(primaries = 3): Promise<RedisServer[]> {
  const nodes = await Promise.all(
    Array.from({ length: primaries }, () =>
      startRedisServer({ args: ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '2000'] }),
    ),
  );
  await run('redis-cli', ['--cluster', 'create', ...nodes.map((node) => `127.0.0.1:${node.port}`), '--cluster-replicas', '0', '--cluster-yes']);
  await until('the cluster to be ok on every node', async () => {
    const infos = await Promise.all(nodes.map((node) => redisCli(node.port, 'CLUSTER', 'INFO')));
    return infos.every((info) => /cluster_state:ok/.test(info) && /cluster_known_nodes:(\d+)/.exec(info)?.[1] === String(primaries));
  });
  return nodes;
}

/** Kills every server this process started and has not stopped yet (an `after` hook's cleanup). */
export async function stopAllRedisServers(): Promise<void> {
  await Promise.all([...running].map((server) => server.kill()));
}
