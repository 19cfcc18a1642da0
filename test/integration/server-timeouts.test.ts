import { expect } from 'chai';
import net from 'node:net';
import { call, connectWithToken, serviceEnv, startHarness, withSession, type Harness } from '../support/harness.js';
import { FakeAtlassian } from '../../fake-atlassian/index.js';
import { spawnService, type ServiceProcess } from '../support/spawn-service.js';

const TIMEOUTS = { HTTP_HEADERS_TIMEOUT_MS: '500', HTTP_REQUEST_TIMEOUT_MS: '1000' };

/**
 * Writes `bytes` and then stays silent, keeping the connection open as a slow client would, until the server
 * answers and closes it. The guard (well above the configured timeouts, far below Node's defaults of 60 s and
 * 300 s) only keeps a failing test from hanging.
 */
function stall(baseUrl: string, bytes: string, guardMs = 10_000): Promise<{ status: number | undefined; closed: boolean }> {
  const target = new URL(baseUrl);
  return new Promise((resolve) => {
    const socket = net.connect(Number(target.port), target.hostname, () => socket.write(bytes));
    let text = '';
    const status = (): number | undefined => {
      const match = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      return match === null ? undefined : Number(match[1]);
    };
    const guard = setTimeout(() => {
      socket.destroy();
      resolve({ status: status(), closed: false });
    }, guardMs);
    socket.on('data', (chunk: Buffer) => { text += chunk.toString('latin1'); });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(guard);
      resolve({ status: status(), closed: true });
    });
  });
}

describe('server timeouts (HTTP_HEADERS_TIMEOUT_MS=500, HTTP_REQUEST_TIMEOUT_MS=1000)', () => {
  let h: Harness;
  before(async () => { h = await startHarness(TIMEOUTS); });
  after(async () => { await h.close(); });

  it('a client that never finishes its headers gets 408 and its connection is closed', async () => {
    expect(await stall(h.service.baseUrl, 'GET / HTTP/1.1\r\nHost: connector.test\r\nX-Slow: ')).to.deep.equal({ status: 408, closed: true });
  });

  it('a client that never finishes its body gets 408 and its connection is closed', async () => {
    const head = 'POST /auth/jira/api-token HTTP/1.1\r\nHost: connector.test\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n';
    expect(await stall(h.service.baseUrl, `${head}{"email":`)).to.deep.equal({ status: 408, closed: true });
  });

  it('the request timeout bounds receiving the request, not the answer: a listing slower than it still answers 200', async () => {
    const login = await connectWithToken(h, 'jira', { email: 'ada@example.com', api_token: 'ada-api-token-0123456789', site: 'beta' });
    h.fake.injectFault({ match: { path: /\/project\/search$/ }, delayMs: 2_000 });
    const listing = await call(h.url('/jira/projects'), withSession(login.body.session_token as string));
    expect(listing.status, JSON.stringify(listing.body)).to.equal(200);
  });

  it('the service is still healthy afterwards', async () => {
    expect((await call(h.url('/'))).status).to.equal(200);
  });
});

describe('server timeouts in src/server.ts (a separate process)', function () {
  this.timeout(30_000);
  let fake: FakeAtlassian;
  let service: ServiceProcess;
  before(async () => {
    fake = new FakeAtlassian();
    await fake.start();
    service = await spawnService({ ...serviceEnv(fake, 'http://connector.test'), ...TIMEOUTS });
  });
  after(async () => {
    await service?.stop('SIGKILL');
    await fake?.stop();
  });

  it('a client that never finishes its headers gets 408 and its connection is closed', async () => {
    expect(await stall(service.baseUrl, 'GET / HTTP/1.1\r\nHost: connector.test\r\nX-Slow: ')).to.deep.equal({ status: 408, closed: true });
  });
});
