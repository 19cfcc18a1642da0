import { expect } from 'chai';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { FakeAtlassian } from '../../fake-atlassian/index.js';
import { ACME, USER, call } from '../support/harness.js';
import { spawnService, type Entry, type ServiceProcess } from '../support/spawn-service.js';

describe('graceful shutdown (separate process)', function () {
  this.timeout(30_000);
  let fake: FakeAtlassian;
  let service: ServiceProcess | undefined;

  before(async () => {
    fake = new FakeAtlassian();
    await fake.start();
    fake.addSite({ host: ACME, projects: 5 });
    fake.addUser({ email: USER.email, apiToken: USER.apiToken, sites: [ACME] });
  });
  after(async () => {
    await service?.stop('SIGKILL');
    await fake.stop();
  });

  const start = (extra: Record<string, string> = {}, entry: Entry = 'source') =>
    spawnService({ ATLASSIAN_SITE_URL_TEMPLATE: fake.siteUrlTemplate, ATLASSIAN_DEFAULT_SITE: 'acme', ...extra }, 15_000, entry);
  const login = async (baseUrl: string): Promise<string> => {
    const answer = await call(`${baseUrl}/auth/jira/api-token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ email: USER.email, api_token: USER.apiToken }),
    });
    return answer.body.session_token as string;
  };

  it('on SIGTERM finishes the request in flight, refuses new ones, and exits 0', async () => {
    service = await start();
    const token = await login(service.baseUrl);
    fake.clearRequests();
    // The window in which new connections must be refused: wide enough for a machine under load.
    fake.injectFault({ match: { path: '/project/search' }, delayMs: 3_000 });

    let answered = false;
    const inFlight = call(`${service.baseUrl}/jira/projects`, { headers: { 'X-Session-Token': token } }).finally(() => { answered = true; });
    await waitFor(() => fake.requests.some((request) => request.path.includes('/project/search')));
    service.child.kill('SIGTERM');

    // New connections are refused from some point after the signal: wait for it, not for a fixed time.
    const refused = await pollUntil(
      () => call(`${service!.baseUrl}/`).then(() => 'answered', (error: Error) => error.message),
      (outcome) => outcome !== 'answered',
    );
    // Refused, or (a connection accepted just before the listener closed) closed unanswered as idle.
    expect(refused).to.match(/ECONNREFUSED|ECONNRESET|socket hang up/);
    expect(answered, 'new connections were refused while the request was still in flight').to.equal(false);
    const answer = await inFlight;
    expect(answer.status).to.equal(200);
    expect(answer.body.total).to.equal(5);
    expect(await service.exited).to.equal(0);
  });

  it('exits 0 on SIGTERM when nothing reads its stdout any more (a log collector that went away)', async () => {
    service = await start({}, 'compiled');
    // The read end of the pipe: every later log write fails with EPIPE, the first of them while shutting down.
    service.child.stdout!.destroy();
    service.child.kill('SIGTERM');
    expect(await service.exited).to.equal(0);
  });

  it('a port already in use ends the start with one fatal line and exit 1, no stack trace', async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const { port } = holder.address() as AddressInfo;
    try {
      const error = await start({ PORT: String(port) }, 'compiled').then(
        async (started) => {
          await started.stop('SIGKILL');
          return undefined;
        },
        (caught: unknown) => caught as Error,
      );
      expect(error?.message).to.include('service exited with 1 before listening');
      expect(error?.message).to.match(/"level":60.*"errorCode":"EADDRINUSE".*"msg":"cannot listen"/);
      expect(error?.message).not.to.match(/\n\s+at /);
    } finally {
      holder.close();
    }
  });

  it('bounds the wait: a request that never ends is cut after SHUTDOWN_TIMEOUT_MS and the process still exits 0', async () => {
    service = await start({ SHUTDOWN_TIMEOUT_MS: '500', UPSTREAM_TIMEOUT_MS: '60000' });
    const token = await login(service.baseUrl);
    fake.clearRequests();
    fake.injectFault({ match: { path: '/project/search' }, hang: true });

    const stuck = call(`${service.baseUrl}/jira/projects`, { headers: { 'X-Session-Token': token } }).catch((error: Error) => error);
    await waitFor(() => fake.requests.some((request) => request.path.includes('/project/search')));
    service.child.kill('SIGTERM');

    // Without the bound this would wait for the 60 s upstream timeout and fail on the suite's 30 s timeout.
    expect(await service.exited).to.equal(0);
    expect(await stuck).to.be.instanceOf(Error);
    fake.clearFaults();
  });

  it('with a drain delay: readiness turns 503 at once, the in-flight request finishes, then the process exits 0 (compiled build)', async () => {
    service = await start({ SHUTDOWN_DRAIN_DELAY_MS: '1500' }, 'compiled');
    const token = await login(service.baseUrl);
    expect((await call(`${service.baseUrl}/health/ready`)).status).to.equal(200);
    fake.clearRequests();
    fake.injectFault({ match: { path: '/project/search' }, delayMs: 800 });

    const inFlight = call(`${service.baseUrl}/jira/projects`, { headers: { 'X-Session-Token': token } });
    await waitFor(() => fake.requests.some((request) => request.path.includes('/project/search')));
    service.child.kill('SIGTERM');
    const ready = await pollUntil(() => call(`${service!.baseUrl}/health/ready`), (res) => res.status !== 200);
    expect(ready.status).to.equal(503);
    expect(ready.body.error.code).to.equal('not_ready');
    expect(ready.body.error.failing).to.include('draining');
    expect((await call(`${service.baseUrl}/health/live`)).status, 'still alive while draining').to.equal(200);

    const answer = await inFlight;
    expect(answer.status).to.equal(200);
    expect(await service.exited).to.equal(0);
    fake.clearFaults();
  });

  it('`npm start` runs the compiled service, and SIGTERM on npm\'s own PID stops it gracefully', async () => {
    service = await start({}, 'npm-start');
    expect(service.pid, 'the PID printed is the service, not npm').to.not.equal(service.child.pid);
    service.child.kill('SIGTERM');
    expect(await service.exited).to.equal(0);
    expect(service.output.some((line) => line.includes('"msg":"stopped"')), service.output.join('\n')).to.equal(true);
    expect(processExists(service.pid), 'the service process outlived npm').to.equal(false);
  });

  it('SIGTERM on the PID the service printed stops it gracefully under `npm start` too', async () => {
    service = await start({}, 'npm-start');
    process.kill(service.pid, 'SIGTERM');
    expect(await service.exited).to.equal(0);
    expect(service.output.some((line) => line.includes('"msg":"stopped"'))).to.equal(true);
  });
});

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  if (!condition()) throw new Error('condition not met');
}

async function pollUntil<T>(probe: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  for (let i = 0; i < 100; i++) {
    const value = await probe();
    if (done(value)) return value;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('the condition was not reached');
}

