import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './own-redis.js';

const run = promisify(execFile);

/**
 * A PostgreSQL cluster of the test's own (initdb into a temporary directory, pg_ctl on a free loopback port), that
 * the test may stop and start again — never the shared server on 5432. Removed, and its postmaster killed by PID
 * if it is still running, by `destroy`.
 */
export interface OwnPostgres {
  readonly url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  destroy(): Promise<void>;
}

/** Debian keeps the server binaries out of PATH: the newest /usr/lib/postgresql/<version>/bin, else PATH. */
export function postgresBinDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root).filter((name) => existsSync(path.join(root, name, 'bin', 'initdb')));
    versions.sort((a, b) => Number(b) - Number(a));
    if (versions[0] !== undefined) return path.join(root, versions[0], 'bin');
  }
  return undefined;
}

/** initdb refuses to run as root: as root, the cluster belongs to the `postgres` user. */
async function runAs(): Promise<{ uid: number; gid: number } | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const [uid, gid] = await Promise.all([run('id', ['-u', 'postgres']), run('id', ['-g', 'postgres'])]);
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

export async function startOwnPostgres(): Promise<OwnPostgres> {
  const binDir = postgresBinDir();
  const bin = (name: string) => (binDir === undefined ? name : path.join(binDir, name));
  const user = await runAs();
  const dir = mkdtempSync(path.join(tmpdir(), 'own-postgres-'));
  if (user !== undefined) chownSync(dir, user.uid, user.gid);
  const data = path.join(dir, 'data');
  const port = await freePort();
  const options = { ...(user ?? {}), cwd: dir, env: { ...process.env, LC_ALL: 'C' } };
  const pgCtl = (...args: string[]) => run(bin('pg_ctl'), ['-D', data, '-l', path.join(dir, 'log'), ...args], options);

  const postmasterPid = (): number | undefined => {
    try {
      return Number(readFileSync(path.join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
    } catch {
      return undefined;
    }
  };
  const destroy = async () => {
    await pgCtl('-m', 'immediate', '-w', 'stop').catch(() => undefined);
    const pid = postmasterPid();
    if (pid !== undefined) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    await run(bin('initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8'], options);
    const start = () =>
      pgCtl('-w', '-t', '30', '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`, 'start').then(() => undefined);
    await start();
    return {
      url: `postgres://postgres@127.0.0.1:${port}/postgres`,
      start,
      stop: () => pgCtl('-m', 'fast', '-w', 'stop').then(() => undefined),
      destroy,
    };
  } catch (error) {
    await destroy();
    throw error;
  }
}
