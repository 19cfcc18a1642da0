/**
 * The fake Atlassian in its own process, so the service under measurement does not share an event loop with it.
 * Usage: tsx bench/fake-server.ts <latencyMs> <projects> <spaces>; prints one JSON line with its URLs.
 */
import { FakeAtlassian } from '../fake-atlassian/index.js';
import { BENCH_SITE, BENCH_USER } from './lib/fixtures.js';

const [latencyMs = 0, projects = 50, spaces = 50] = process.argv.slice(2).map(Number);
const fake = new FakeAtlassian({ latencyMs });
await fake.start();
fake.addSite({ host: BENCH_SITE, name: 'Bench', projects, spaces });
fake.addUser({ email: BENCH_USER.email, apiToken: BENCH_USER.apiToken, sites: [BENCH_SITE] });
process.stdout.write(`${JSON.stringify({ baseUrl: fake.baseUrl, siteUrlTemplate: fake.siteUrlTemplate })}\n`);
process.on('SIGTERM', () => void fake.stop().then(() => process.exit(0)));
