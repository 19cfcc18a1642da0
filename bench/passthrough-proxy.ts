/**
 * The baseline for throughput: the least a service can do for GET /jira/projects — forward one request to the
 * same upstream URL with the same credentials over a keep-alive agent and return the body. No session, no
 * validation, no mapping. Usage: tsx bench/passthrough-proxy.ts <upstreamUrl>; prints {"baseUrl"}.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import fetch from 'node-fetch';
import { BASIC } from './lib/fixtures.js';

const upstream = process.argv[2]!;
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
const server = http.createServer((req, res) => {
  fetch(upstream, { agent, headers: { Authorization: BASIC, Accept: 'application/json' } })
    .then(async (answer) => {
      const body = await answer.text();
      res.writeHead(answer.status, { 'Content-Type': 'application/json' });
      res.end(body);
    })
    .catch(() => {
      res.writeHead(502);
      res.end();
    });
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
