import { expect } from 'chai';
import { once } from 'node:events';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { resolve, TOKENS } from '../../src/composition-root.js';
import { CLIENTS, USER, call, connectWithOAuth, connectWithToken, startHarness, withSession, type Harness } from '../support/harness.js';

const CALLER_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN = '00f067aa0ba902b7';
const TRACEPARENT = `00-${CALLER_TRACE}-${CALLER_SPAN}-01`;

/** Everything a span carries that an exporter would send, as one string to search. */
function exported(spans: readonly ReadableSpan[]): string {
  return JSON.stringify(spans.map((span) => ({
    name: span.name,
    attributes: span.attributes,
    events: span.events.map((event) => ({ name: event.name, attributes: event.attributes })),
    resource: span.resource.attributes,
    status: span.status,
  })));
}

describe('OpenTelemetry traces', function () {
  this.timeout(20_000);

  describe('on (in-memory exporter)', () => {
    const exporter = new InMemorySpanExporter();
    let h: Harness;
    // Access tokens that expire within the refresh margin: every OAuth listing refreshes first.
    before(async () => {
      h = await startHarness({}, { accessTokenLifetimeSec: 30 }, { spanExporter: exporter });
    });
    after(() => h.close());
    beforeEach(() => {
      exporter.reset();
      h.fake.clearRequests();
    });

    it('continues the caller\'s traceparent in a server span per request, and sends the trace on to Atlassian', async () => {
      const login = await connectWithToken(h, 'jira');
      exporter.reset();
      h.fake.clearRequests();
      const res = await call(h.url('/jira/projects'), withSession(login.body.session_token, { headers: { 'X-Session-Token': login.body.session_token, traceparent: TRACEPARENT } }));
      expect(res.status).to.equal(200);

      const spans = exporter.getFinishedSpans();
      const server = spans.find((span) => span.name === 'GET /jira/projects');
      expect(server, spans.map((span) => span.name).join(', ')).to.not.equal(undefined);
      expect(server!.spanContext().traceId).to.equal(CALLER_TRACE);
      expect(server!.parentSpanContext?.spanId).to.equal(CALLER_SPAN);
      expect(server!.attributes).to.include({ 'http.route': '/jira/projects', 'http.response.status_code': 200, 'http.request.method': 'GET' });

      const upstream = spans.filter((span) => span.parentSpanContext?.spanId === server!.spanContext().spanId);
      expect(upstream.length, 'one client span per upstream page').to.be.greaterThan(0);
      expect(upstream.every((span) => span.spanContext().traceId === CALLER_TRACE)).to.equal(true);
      expect(upstream[0]!.attributes['url.path']).to.match(/\/rest\/api\/3\/project\/search$/);

      const sent = h.fake.requests.filter((request) => request.path.includes('/project/search'));
      expect(sent.length).to.equal(upstream.length);
      for (const request of sent) {
        expect(request.headers['traceparent'], 'Atlassian receives the trace').to.match(new RegExp(`^00-${CALLER_TRACE}-[0-9a-f]{16}-01$`));
      }
      const upstreamSpanIds = new Set(upstream.map((span) => span.spanContext().spanId));
      for (const request of sent) expect(upstreamSpanIds.has(request.headers['traceparent']!.split('-')[2]!)).to.equal(true);
    });

    it('records retries as events on the upstream span', async () => {
      const login = await connectWithToken(h, 'jira', { email: USER.email, api_token: USER.apiToken, site: 'beta' });
      exporter.reset();
      h.fake.injectFault({ match: { path: '/project/search' }, status: 503 });
      const res = await call(h.url('/jira/projects'), withSession(login.body.session_token));
      expect(res.status).to.equal(200);
      const upstream = exporter.getFinishedSpans().find((span) => span.attributes['url.path']?.toString().endsWith('/project/search'));
      expect(upstream!.events.map((event) => event.name)).to.deep.equal(['retry']);
      expect(upstream!.attributes).to.include({ 'atlassian.retries': 1, 'atlassian.outcome': '200' });
      h.fake.clearFaults();
    });

    it('marks a token refresh on the span of the request that caused it', async () => {
      const { sessionToken } = await connectWithOAuth(h, 'jira');
      exporter.reset();
      const res = await call(h.url('/jira/projects'), withSession(sessionToken));
      expect(res.status).to.equal(200);
      const server = exporter.getFinishedSpans().find((span) => span.name === 'GET /jira/projects');
      expect(server!.events.map((event) => [event.name, event.attributes?.['outcome']])).to.deep.include(['token_refresh', 'refreshed']);
      const tokenCall = exporter.getFinishedSpans().find((span) => span.attributes['url.path'] === '/oauth/token');
      expect(tokenCall?.parentSpanContext?.spanId, 'the token call is a child of the request').to.equal(server!.spanContext().spanId);
    });

    it('puts no secret, token, code or state in any span', async () => {
      const { sessionToken, callback } = await connectWithOAuth(h, 'jira');
      await call(h.url('/jira/projects'), withSession(sessionToken));
      const login = await connectWithToken(h, 'confluence');
      await call(h.url('/confluence/spaces'), withSession(login.body.session_token));
      await call(h.url('/auth/session'), withSession(sessionToken));

      const text = exported(exporter.getFinishedSpans());
      const grants = h.fake.requests.filter((request) => request.path === '/oauth/token');
      const issued = grants.flatMap((request) => Object.values(JSON.parse(request.body) as Record<string, string>));
      const bearer = h.fake.requests.flatMap((request) => request.headers['authorization']?.split(' ')[1] ?? []);
      const secrets = [
        CLIENTS.jira.secret, CLIENTS.confluence.secret, USER.apiToken, sessionToken, login.body.session_token,
        ...issued.filter((value) => value.length > 20), ...bearer,
      ];
      expect(secrets.length).to.be.greaterThan(6);
      for (const secret of secrets) expect(text, 'a secret reached a span').not.to.include(secret);
      expect(callback.status).to.equal(200);
      expect(text).not.to.match(/[?&](code|state)=/);
    });
  });

  it('is off without OTEL_EXPORTER_OTLP_ENDPOINT: no tracer, and nothing is sent on to Atlassian', async () => {
    const h = await startHarness();
    try {
      expect(resolve(h.service.container, TOKENS.tracing)).to.equal(null);
      const login = await connectWithToken(h, 'jira');
      await call(h.url('/jira/projects'), withSession(login.body.session_token, { headers: { 'X-Session-Token': login.body.session_token, traceparent: TRACEPARENT } }));
      expect(h.fake.requests.length).to.be.greaterThan(0);
      expect(h.fake.requests.some((request) => request.headers['traceparent'] !== undefined)).to.equal(false);
    } finally {
      await h.close();
    }
  });

  it('exports over OTLP/HTTP to OTEL_EXPORTER_OTLP_ENDPOINT, flushed on shutdown', async () => {
    const received: { path: string; type: string | undefined; body: string }[] = [];
    const collector = createServer((req: IncomingMessage, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        received.push({ path: req.url ?? '', type: req.headers['content-type'], body: Buffer.concat(chunks).toString('utf8') });
        res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
      });
    });
    collector.listen(0, '127.0.0.1');
    await once(collector, 'listening');
    const endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
    try {
      const h = await startHarness({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_SERVICE_NAME: 'connector-under-test' });
      expect((await call(h.url('/health/live'))).status).to.equal(200);
      await h.close();
      const traces = received.filter((request) => request.path === '/v1/traces');
      expect(traces.length).to.be.greaterThan(0);
      expect(traces.map((request) => request.body).join('')).to.include('GET /health/live').and.include('connector-under-test');
    } finally {
      collector.close();
    }
  });
});
