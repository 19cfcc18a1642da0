/**
 * npm run bench:compare -- <checkout> <checkout> [...]: the service's throughput and CPU per GET /jira/projects as
 * each checkout builds it, against one fake Atlassian at 0 ms, in interleaved one-second turns (so drift on a shared
 * machine falls on all alike). For judging a change to the hot path: differences of 3 % or more repeat from run to
 * run on a 2-vCPU machine; smaller ones do not. A checkout of another commit:
 *   git worktree add /tmp/before HEAD~1 && ln -s "$PWD/node_modules" /tmp/before/node_modules
 *   npm run bench:compare -- /tmp/before .
 */
import path from 'node:path';
import { interleavedLoad } from './lib/interleaved-load.js';
import { login } from './lib/login.js';
import { startFakeAtlassian, startServiceProcess, type Started } from './lib/processes.js';

const CONNECTIONS = 16;
const SECONDS = Number(process.env['BENCH_LOAD_SECONDS'] ?? 8);
const WARMUP_SECONDS = Number(process.env['BENCH_WARMUP_SECONDS'] ?? 10);
const checkouts = process.argv.slice(2).map((dir) => path.resolve(dir));
if (checkouts.length < 2) {
  console.error('usage: npm run bench:compare -- <checkout> <checkout> [...]');
  process.exit(2);
}

const fake = await startFakeAtlassian(0, 50, 50);
const services: Started<{ baseUrl: string }>[] = [];
try {
  // The listing cache off, as in (a); a checkout from before the cache ignores the variable.
  const env = { ATLASSIAN_SITE_URL_TEMPLATE: fake.info.siteUrlTemplate, FRONTEND_ORIGIN: 'http://bench.test', LISTING_CACHE_TTL_SECONDS: '0' };
  for (const cwd of checkouts) services.push(await startServiceProcess(env, { cwd, compiled: false }));
  const targets = await Promise.all(
    services.map(async (service, index) => ({
      name: checkouts[index]!,
      url: `${service.info.baseUrl}/jira/projects`,
      headers: { 'X-Session-Token': await login(service.info.baseUrl) },
      pid: service.child.pid!,
    })),
  );
  const figures = await interleavedLoad(targets, { connections: CONNECTIONS, warmupSeconds: WARMUP_SECONDS }, SECONDS);
  const first = figures[0]!;
  console.log(`GET /jira/projects, fake at 0 ms, ${CONNECTIONS} connections, ${SECONDS} s each in 1 s turns after ${WARMUP_SECONDS} s of warm-up each; ratios against the first checkout`);
  figures.forEach(({ load, cpuUsPerRequest }, index) => {
    const cpu = cpuUsPerRequest === undefined || first.cpuUsPerRequest === undefined ? '' : `  CPU ${cpuUsPerRequest.toFixed(0)} us/request (${(cpuUsPerRequest / first.cpuUsPerRequest).toFixed(3)}x)`;
    console.log(`  ${targets[index]!.name}: ${load.rps.toFixed(0)} req/s (${(load.rps / first.load.rps).toFixed(3)}x)  p50 ${load.p50Ms.toFixed(1)} ms${cpu}  errors ${load.errors}`);
  });
} finally {
  await Promise.all([...services.map((service) => service.stop()), fake.stop()]);
}
