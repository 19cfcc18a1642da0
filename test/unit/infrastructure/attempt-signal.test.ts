import { expect } from 'chai';
import { once } from 'node:events';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { AtlassianHttp } from '../../../src/infrastructure/atlassian/atlassian-http.js';
import { AttemptSignal } from '../../../src/infrastructure/atlassian/attempt-signal.js';
import { expectAppError, silentLogger } from '../../support/port-fakes.js';

describe('AttemptSignal', () => {
  it('is what node-fetch takes for an AbortSignal: tagged AbortSignal, not aborted at first', () => {
    const signal = new AttemptSignal();
    expect(Object.prototype.toString.call(signal)).to.equal('[object AbortSignal]');
    expect(signal.aborted).to.equal(false);
  });

  it('abort() calls each listener once, with the signal as `this`, and later aborts do nothing', () => {
    const signal = new AttemptSignal();
    const calls: unknown[] = [];
    signal.addEventListener('abort', function (this: AttemptSignal) {
      calls.push(this);
    });
    signal.abort();
    signal.abort();
    expect(signal.aborted).to.equal(true);
    expect(calls).to.deep.equal([signal]);
  });

  it('a removed listener is not called, and one added after the abort never is', () => {
    const signal = new AttemptSignal();
    let removed = 0;
    let late = 0;
    const listener = () => void removed++;
    signal.addEventListener('abort', listener);
    signal.removeEventListener('abort', listener);
    signal.abort();
    signal.addEventListener('abort', () => void late++);
    expect([removed, late]).to.deep.equal([0, 0]);
  });

  describe('as the timeout of an AtlassianHttp attempt', () => {
    const sockets: Socket[] = [];
    let closed = 0;
    const stalled = new Set<ServerResponse>();
    // Sends the headers and half a JSON body, then nothing: only an abort ends the attempt.
    const server = createServer((_req, res) => {
      stalled.add(res);
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write('{"values":[');
    });
    server.on('connection', (socket: Socket) => {
      sockets.push(socket);
      socket.on('close', () => void closed++);
    });

    before(async () => {
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
    });
    after(async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });

    it('a body that stops arriving → upstream_timeout, and the connection to Atlassian is closed, not left busy', async () => {
      const http = new AtlassianHttp(
        { timeoutMs: 150, deadlineMs: 5_000, retry: { maxRetries: 0, maxRetryWaitMs: 1_000, baseDelayMs: 10, rateLimitBaseMs: 10 }, userAgent: 'test' },
        silentLogger(),
      );
      const { port } = server.address() as AddressInfo;
      try {
        await expectAppError(http.get(`http://127.0.0.1:${port}/rest/api/3/project/search`), 'upstream_timeout');
        // The abort destroys the request; the server sees its end of the socket close.
        for (let waited = 0; closed === 0 && waited < 2_000; waited += 10) await new Promise((resolve) => setTimeout(resolve, 10));
        expect(sockets).to.have.length(1);
        expect(closed).to.equal(1);
      } finally {
        http.close();
      }
    });
  });
});
