import { expect } from 'chai';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { deadlineAfter } from '../../../src/domain/deadline.js';
import { AppError, RetryableError } from '../../../src/domain/errors.js';
import {
  AtlassianHttp,
  failure,
  type AtlassianHttpOptions,
  type UpstreamCallRecord,
} from '../../../src/infrastructure/atlassian/atlassian-http.js';
import { SERVICE_NAME, SERVICE_VERSION } from '../../../src/version.js';
import { expectAppError, silentLogger } from '../../support/port-fakes.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

interface SeenRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
}

/** A real HTTP server on loopback that answers each request with the next scripted handler (then `fallback`). */
class ScriptedServer {
  readonly requests: SeenRequest[] = [];
  connections = 0;
  private readonly script: Handler[] = [];
  private readonly server: Server;
  private port = 0;

  constructor(private readonly fallback: Handler = (_req, res) => json(res, 200, { ok: true })) {
    this.server = createServer((req, res) => {
      this.requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
      // Drain the body so the socket can be reused.
      req.resume();
      (this.script.shift() ?? this.fallback)(req, res);
    });
    this.server.on('connection', () => void this.connections++);
  }

  async start(): Promise<void> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    this.port = (this.server.address() as AddressInfo).port; // a TCP listener, so an AddressInfo
  }

  url(path = '/rest/api/3/myself'): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  then(...handlers: Handler[]): this {
    this.script.push(...handlers);
    return this;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

const status = (code: number, headers: Record<string, string> = {}, body: unknown = { code, message: `status ${code}` }): Handler =>
  (_req, res) => json(res, code, body, headers);
const destroy: Handler = (req) => req.socket.destroy();
const hang: Handler = () => undefined;

const USER_AGENT = `${SERVICE_NAME}/${SERVICE_VERSION} (+Atlassian connector)`;
const OPTIONS: AtlassianHttpOptions = {
  timeoutMs: 2_000,
  deadlineMs: 10_000,
  retry: { maxRetries: 3, maxRetryWaitMs: 5_000, baseDelayMs: 100, rateLimitBaseMs: 1_000 },
  userAgent: USER_AGENT,
};

describe('AtlassianHttp (against a local HTTP server)', () => {
  let server: ScriptedServer;
  let http: AtlassianHttp | undefined;
  let sleeps: number[];
  let records: UpstreamCallRecord[];

  /** The client under test, with a recording sleep that waits for nothing. */
  function client(options: Partial<AtlassianHttpOptions> = {}): AtlassianHttp {
    const created = new AtlassianHttp(
      { ...OPTIONS, ...options },
      silentLogger(),
      (record) => void records.push(record),
      async (ms) => void sleeps.push(ms),
    );
    http = created;
    return created;
  }

  beforeEach(async () => {
    sleeps = [];
    records = [];
    server = new ScriptedServer();
    await server.start();
  });

  afterEach(async () => {
    http?.close();
    http = undefined;
    await server.stop();
  });

  describe('GET retries', () => {
    it('503 twice then 200 → 200 after 2 retries, with two backoff sleeps', async () => {
      server.then(status(503), status(503), status(200, {}, { accountId: 'a-1' }));

      const response = await client().get(server.url(), { product: 'jira' });

      expect(response.status).to.equal(200);
      expect(response.body).to.deep.equal({ accountId: 'a-1' });
      expect(server.requests).to.have.length(3);
      expect(sleeps).to.have.length(2);
      // Backoff from 100 ms doubling, jitter within [0.7, 1.3].
      expect(sleeps[0]).to.be.within(70, 130);
      expect(sleeps[1]).to.be.within(140, 260);
      expect(records).to.have.length(1);
      expect(records[0]).to.include({ product: 'jira', method: 'GET', outcome: '200', retries: 2 });
    });

    it('429 with Retry-After: 2 then 200 → slept exactly 2000 ms', async () => {
      server.then(status(429, { 'Retry-After': '2' }), status(200));

      const response = await client().get(server.url());

      expect(response.status).to.equal(200);
      expect(sleeps).to.deep.equal([2_000]);
      expect(server.requests).to.have.length(2);
    });

    it('429 with Retry-After: 60 (over maxRetryWaitMs 5000) → the 429 at once: one request, no sleep', async () => {
      server.then(status(429, { 'Retry-After': '60' }), status(200));

      const response = await client().get(server.url());

      expect(response.status).to.equal(429);
      expect(response.headers.get('retry-after')).to.equal('60');
      expect(server.requests).to.have.length(1);
      expect(sleeps).to.deep.equal([]);
      expect(records[0]).to.include({ outcome: '429', retries: 0 });
    });

    it('a Retry-After that would cross the caller’s deadline → the 429 at once', async () => {
      server.then(status(429, { 'Retry-After': '2' }), status(200));

      const response = await client().get(server.url(), { deadline: deadlineAfter(Date.now(), 1_500) });

      expect(response.status).to.equal(429);
      expect(server.requests).to.have.length(1);
      expect(sleeps).to.deep.equal([]);
    });

    it('429 without Retry-After then 200 → slept the rate-limit wait (rateLimitBaseMs, jittered), not the 5xx backoff', async () => {
      server.then(status(429), status(429), status(200));

      const response = await client().get(server.url());

      expect(response.status).to.equal(200);
      expect(server.requests).to.have.length(3);
      expect(sleeps).to.have.length(2);
      expect(sleeps[0]).to.be.within(700, 1_300);
      expect(sleeps[1]).to.be.within(1_400, 2_600);
    });

    it('429 without Retry-After whose implied wait is over maxRetryWaitMs → the 429 at once; the client is told that wait', async () => {
      server.then(status(429), status(200));

      const response = await client({ retry: { ...OPTIONS.retry, rateLimitBaseMs: 10_000 } }).get(server.url());

      expect(response.status).to.equal(429);
      expect(server.requests).to.have.length(1);
      expect(sleeps).to.deep.equal([]);
      const error = failure(response);
      expect(error).to.be.instanceOf(RetryableError);
      expect(error).to.include({ code: 'rate_limited', retryAfterSeconds: 10 });
    });

    it('429 without Retry-After on every attempt → after the retries, the client is told the next implied wait', async () => {
      server.then(status(429), status(429), status(429), status(200));

      const response = await client({ retry: { ...OPTIONS.retry, maxRetries: 2 } }).get(server.url());

      expect(response.status).to.equal(429);
      expect(server.requests).to.have.length(3);
      expect(sleeps).to.have.length(2);
      // 1000 ms × 2^2 after two retries.
      expect(failure(response)).to.include({ code: 'rate_limited', retryAfterSeconds: 4 });
    });

    it('a 429 with Retry-After keeps Atlassian\'s value for the client', async () => {
      server.then(status(429, { 'Retry-After': '60' }));
      const response = await client().get(server.url());
      expect(failure(response)).to.include({ code: 'rate_limited', retryAfterSeconds: 60 });
    });

    it('503 without Retry-After keeps the short backoff from baseDelayMs', async () => {
      server.then(status(503), status(200));
      await client().get(server.url());
      expect(sleeps).to.have.length(1);
      expect(sleeps[0]).to.be.within(70, 130);
    });

    it('503 on every attempt → the last 503 after 1 + maxRetries attempts', async () => {
      server.then(status(503), status(503), status(503), status(503), status(200));

      const response = await client().get(server.url());

      expect(response.status).to.equal(503);
      expect(server.requests).to.have.length(1 + OPTIONS.retry.maxRetries);
      expect(sleeps).to.have.length(OPTIONS.retry.maxRetries);
      expect(records[0]).to.include({ outcome: '503', retries: OPTIONS.retry.maxRetries });
    });

    for (const code of [400, 401, 403, 404, 500]) {
      it(`${code} is returned after one attempt`, async () => {
        server.then(status(code), status(200));
        const response = await client().get(server.url());
        expect(response.status).to.equal(code);
        expect(server.requests).to.have.length(1);
        expect(sleeps).to.deep.equal([]);
      });
    }
  });

  describe('POST', () => {
    it('is never retried: a 503 is returned after one request', async () => {
      server.then(status(503), status(200));

      const response = await client().postJson(server.url('/oauth/token'), { grant_type: 'refresh_token' });

      expect(response.status).to.equal(503);
      expect(server.requests).to.have.length(1);
      expect(server.requests[0]!.method).to.equal('POST');
      expect(server.requests[0]!.headers['content-type']).to.match(/^application\/json/);
      expect(sleeps).to.deep.equal([]);
    });

    it('is never retried on a connection reset either', async () => {
      server.then(destroy, status(200));
      await expectAppError(client().postJson(server.url('/oauth/token'), {}), 'upstream_error');
      expect(server.requests).to.have.length(1);
    });
  });

  describe('no answer', () => {
    it('connection reset on every attempt → retried, then upstream_error after maxRetries + 1 attempts', async () => {
      server.then(destroy, destroy, destroy, destroy, status(200));

      const error = await expectAppError(client().get(server.url(), { product: 'jira' }), 'upstream_error');

      expect(error.message).not.to.match(/ECONNRESET|socket hang up/i);
      expect(server.requests).to.have.length(OPTIONS.retry.maxRetries + 1);
      expect(sleeps).to.have.length(OPTIONS.retry.maxRetries);
      expect(records).to.have.length(1);
      expect(records[0]).to.include({ outcome: 'network_error', retries: OPTIONS.retry.maxRetries });
    });

    it('connection reset once → retried, then the answer', async () => {
      server.then(destroy, status(200, {}, { ok: 1 }));
      const response = await client().get(server.url());
      expect(response.status).to.equal(200);
      expect(response.body).to.deep.equal({ ok: 1 });
      expect(server.requests).to.have.length(2);
    });

    it('a server that never answers → upstream_timeout after ONE attempt (timeoutMs 200)', async () => {
      server.then(hang, hang, hang, hang);

      const error = await expectAppError(client({ timeoutMs: 200 }).get(server.url()), 'upstream_timeout');

      expect(error).to.be.instanceOf(AppError);
      expect(server.requests).to.have.length(1);
      expect(sleeps).to.deep.equal([]);
      expect(records[0]).to.include({ outcome: 'timeout', retries: 0 });
    });

    it('a deadline already passed → upstream_timeout without any request', async () => {
      await expectAppError(client().get(server.url(), { deadline: deadlineAfter(Date.now(), -1) }), 'upstream_timeout');
      expect(server.requests).to.have.length(0);
      expect(sleeps).to.deep.equal([]);
    });

    it('the attempt timeout is shortened to the deadline', async () => {
      server.then(hang, hang);
      // timeoutMs alone would allow 5 s; the deadline ends the attempt much earlier (the mocha timeout would catch a hang).
      await expectAppError(client({ timeoutMs: 5_000 }).get(server.url(), { deadline: deadlineAfter(Date.now(), 150) }), 'upstream_timeout');
      expect(server.requests).to.have.length(1);
    });

    it('nothing listening → upstream_error', async () => {
      // A port that was free a moment ago: bound, noted, released.
      const probe = createServer().listen(0, '127.0.0.1');
      await once(probe, 'listening');
      const { port } = probe.address() as AddressInfo;
      await new Promise<void>((resolve) => probe.close(() => resolve()));
      await expectAppError(client({ retry: { ...OPTIONS.retry, maxRetries: 1 } }).get(`http://127.0.0.1:${port}/x`), 'upstream_error');
    });
  });

  describe('requests', () => {
    it('sends the User-Agent naming the service, Accept JSON and the Authorization given', async () => {
      await client().get(server.url(), { authorization: 'Basic YTpi' });

      const headers = server.requests[0]!.headers;
      expect(headers['user-agent']).to.equal(USER_AGENT);
      expect(headers['user-agent']).to.include(SERVICE_NAME);
      expect(headers['accept']).to.equal('application/json');
      expect(headers['authorization']).to.equal('Basic YTpi');
    });

    it('sends no Authorization header when none is given', async () => {
      await client().get(server.url());
      expect(server.requests[0]!.headers).not.to.have.property('authorization');
    });

    it('keeps the connection alive: sequential requests share one TCP connection', async () => {
      const sut = client();
      for (let i = 0; i < 5; i++) {
        const response = await sut.get(server.url());
        expect(response.status).to.equal(200);
      }
      await sut.postJson(server.url('/oauth/token'), { a: 1 });

      expect(server.requests).to.have.length(6);
      expect(server.connections).to.equal(1);
    });

    it('retries reuse the kept-alive connection too', async () => {
      server.then(status(503), status(503), status(200));
      await client().get(server.url());
      expect(server.requests).to.have.length(3);
      expect(server.connections).to.equal(1);
    });

    for (const code of [301, 302, 307]) {
      it(`a ${code} is returned, not followed`, async () => {
        server.then((_req, res) => {
          res.writeHead(code, { Location: server.url('/elsewhere') });
          res.end();
        });

        const response = await client().get(server.url());

        expect(response.status).to.equal(code);
        expect(response.headers.get('location')).to.equal(server.url('/elsewhere'));
        expect(server.requests).to.have.length(1);
      });
    }
  });

  describe('bodies', () => {
    it('parses JSON, keeps text, and answers undefined for an empty body', async () => {
      server.then(
        status(200, {}, { a: [1, 2] }),
        (_req, res) => {
          res.writeHead(401, { 'Content-Type': 'text/plain' });
          res.end('Basic authentication with passwords is deprecated.');
        },
        (_req, res) => {
          res.writeHead(204);
          res.end();
        },
        (_req, res) => {
          // JSON without a JSON content type (some Atlassian errors) is still read as JSON.
          res.writeHead(404, { 'Content-Type': 'text/plain' });
          res.end('{"errorMessages":["nope"]}');
        },
        (_req, res) => {
          res.writeHead(500, { 'Content-Type': 'application/json' });
          res.end('{not json');
        },
      );
      const sut = client();

      expect((await sut.get(server.url())).body).to.deep.equal({ a: [1, 2] });
      expect((await sut.get(server.url())).body).to.equal('Basic authentication with passwords is deprecated.');
      expect((await sut.get(server.url())).body).to.equal(undefined);
      expect((await sut.get(server.url())).body).to.deep.equal({ errorMessages: ['nope'] });
      expect((await sut.get(server.url())).body).to.equal('{not json');
    });
  });
});
