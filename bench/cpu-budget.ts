/**
 * npm run bench:cpu — where the CPU of one GET /jira/projects goes, in the service, in the floor (the listing's
 * own work in Koa, bench/minimal-listing.ts) and in the passthrough proxy, measured alike: each serves the load of
 * bench (a) under `node --cpu-prof`, and the samples are sorted into categories (bench/lib/cpu-profile.ts). Prints
 * microseconds per request by category. Sampling slows all a little: compare the columns with each other, not
 * with the figures of bench (a).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cpuBudget, readMainThreadProfile } from './lib/cpu-profile.js';
import { BENCH_SITE } from './lib/fixtures.js';
import { runLoad } from './lib/load.js';
import { login } from './lib/login.js';
import { buildForBench, compiledBaseline, startBaseline, startFakeAtlassian, startServiceProcess, type Started } from './lib/processes.js';

const CONNECTIONS = 16;
const LOAD_MS = Number(process.env['BENCH_LOAD_SECONDS'] ?? 5) * 1000;

interface Budget {
  /** CPU milliseconds by category over the whole run. */
  readonly msByCategory: Map<string, number>;
  readonly requests: number;
}

/** Starts a target under the profiler, loads `route` on it (warm-up included), stops it and reads its profile. */
async function profile(
  start: (nodeArgs: string[]) => Promise<Started<{ baseUrl: string }>>,
  route: string,
  headersFor: (baseUrl: string) => Promise<Record<string, string>>,
): Promise<Budget> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cpu-budget-'));
  try {
    const target = await start(['--cpu-prof', `--cpu-prof-dir=${dir}`]);
    let requests = 0;
    try {
      const headers = await headersFor(target.info.baseUrl);
      for (const ms of [1_000, LOAD_MS]) requests += (await runLoad(`${target.info.baseUrl}${route}`, headers, CONNECTIONS, ms)).requests;
    } finally {
      await target.stop(); // Node writes the profile as the process exits
    }
    return { msByCategory: cpuBudget(readMainThreadProfile(dir)), requests };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// Compiled, as bench (a) and production run it: a profile of tsx would show its loader.
buildForBench();
const fake = await startFakeAtlassian(0, 50, 50);
try {
  const upstream = `${fake.info.siteUrlTemplate.replace('{site}', BENCH_SITE)}/rest/api/3/project/search?startAt=0&maxResults=100&orderBy=key`;
  // The listing cache off, as in (a): the budget is of a listing read from Atlassian.
  const env = { ATLASSIAN_SITE_URL_TEMPLATE: fake.info.siteUrlTemplate, FRONTEND_ORIGIN: 'http://bench.test', LISTING_CACHE_TTL_SECONDS: '0' };
  const service = await profile((nodeArgs) => startServiceProcess(env, { nodeArgs }), '/jira/projects', async (baseUrl) => ({ 'X-Session-Token': await login(baseUrl) }));
  const floor = await profile((nodeArgs) => startBaseline(compiledBaseline('bench/minimal-listing.ts'), [upstream], { nodeArgs }), '', async () => ({}));
  const proxy = await profile((nodeArgs) => startBaseline(compiledBaseline('bench/passthrough-proxy.ts'), [upstream], { nodeArgs }), '', async () => ({}));

  const usPerRequest = (budget: Budget, category: string) => ((budget.msByCategory.get(category) ?? 0) * 1000) / budget.requests;
  const categories = [...new Set([...service.msByCategory.keys(), ...floor.msByCategory.keys(), ...proxy.msByCategory.keys()])]
    .filter((category) => category !== 'idle' && category !== 'startup')
    .sort((a, b) => usPerRequest(service, b) - usPerRequest(service, a));
  const row = (label: string, ...figures: number[]) => console.log(`    ${label.padEnd(64)} ${figures.map((us) => us.toFixed(0).padStart(7)).join(' ')}`);
  console.log(`CPU per GET /jira/projects in us/request (${CONNECTIONS} connections, fake Atlassian at 0 ms, sampled by --cpu-prof)`);
  console.log(`    ${'category'.padEnd(64)} ${'service'.padStart(7)} ${'floor'.padStart(7)} ${'proxy'.padStart(7)}`);
  for (const category of categories) row(category, usPerRequest(service, category), usPerRequest(floor, category), usPerRequest(proxy, category));
  const total = (budget: Budget) => categories.reduce((sum, category) => sum + usPerRequest(budget, category), 0);
  row('total (idle and module loading left out)', total(service), total(floor), total(proxy));
} finally {
  await fake.stop();
}
