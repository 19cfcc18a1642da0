/**
 * The floor for throughput: the work any GET /jira/projects must do and nothing else — the same upstream call as
 * the service, JSON parsing, mapping to the API's project shape, encoding and an ETag, served by Koa on one route.
 * No session, validation of the caller, timeouts, retries, logging, metrics or security headers. Its ratio to the
 * passthrough proxy is about the most a service with this API's answer shape can reach on the machine: what is
 * left between it and the service is the cost of everything else the service does.
 * Usage: tsx bench/minimal-listing.ts <upstreamUrl>; prints {"baseUrl"}.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import fetch from 'node-fetch';
import { BASIC } from './lib/fixtures.js';

interface JiraProject {
  id: string;
  key: string;
  name: string;
  projectTypeKey?: string;
  style?: string;
  avatarUrls?: Record<string, string>;
}

const upstream = process.argv[2]!;
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
const app = new Koa();
// Named as the service's functions are, so `npm run bench:cpu` sorts the samples of both into the same categories.
const parseBody = (text: string) => JSON.parse(text) as { values: JiraProject[] };
function sendWithEtag(ctx: Koa.Context, body: unknown): void {
  const bytes = Buffer.from(JSON.stringify(body));
  ctx.set('ETag', `"${createHash('sha1').update(bytes).digest('base64url')}"`);
  ctx.type = 'application/json';
  ctx.body = bytes;
}
app.use(async (ctx) => {
  const answer = await fetch(upstream, { agent, headers: { Authorization: BASIC, Accept: 'application/json' } });
  const page = parseBody(await answer.text());
  const projects = page.values.map((p) => ({
    id: p.id,
    key: p.key,
    name: p.name,
    type: p.projectTypeKey,
    style: p.style,
    avatar_url: p.avatarUrls?.['48x48'],
    url: `https://bench.atlassian.net/browse/${encodeURIComponent(p.key)}`,
  }));
  sendWithEtag(ctx, { projects, total: projects.length });
});
const server = app.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
