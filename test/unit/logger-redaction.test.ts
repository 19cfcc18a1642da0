import { expect } from 'chai';
import { Writable } from 'node:stream';
import { createLogger, logScope } from '../../src/logger.js';

/** A logger at debug writing into an array, as the service's would write to stdout. */
function capture(): { logger: ReturnType<typeof createLogger>; lines: () => Record<string, unknown>[]; text: () => string } {
  const out: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      out.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  const logger = createLogger('debug', sink);
  return { logger, lines: () => out.map((line) => JSON.parse(line) as Record<string, unknown>), text: () => out.join('\n') };
}

const SECRET = 'very-secret-value-0123456789';

describe('logger: redaction (defence in depth)', () => {
  const fields = [
    'authorization', 'api_token', 'apiToken', 'access_token', 'accessToken', 'refresh_token', 'refreshToken',
    'client_secret', 'clientSecret', 'sessionToken', 'session_token',
  ];

  for (const field of fields) {
    it(`censors a top-level "${field}" and one nested a level down`, () => {
      const { logger, lines, text } = capture();
      logger.info({ [field]: SECRET }, 'top');
      logger.info({ upstream: { [field]: SECRET } }, 'nested');
      expect(text()).not.to.include(SECRET);
      const [top, nested] = lines();
      expect(top![field]).to.equal('[redacted]');
      expect((nested!['upstream'] as Record<string, unknown>)[field]).to.equal('[redacted]');
    });
  }

  it('censors request and response header shapes: Authorization, Cookie, X-Session-Token, Set-Cookie', () => {
    const { logger, text } = capture();
    logger.info({ req: { headers: { authorization: `Bearer ${SECRET}`, cookie: SECRET, 'x-session-token': SECRET } } }, 'req');
    logger.info({ res: { headers: { 'x-session-token': SECRET, 'set-cookie': SECRET } } }, 'res');
    logger.info({ headers: { authorization: SECRET, cookie: SECRET, 'x-session-token': SECRET } }, 'bare headers');
    logger.info({ call: { Authorization: `Basic ${SECRET}` } }, 'capitalised');
    expect(text()).not.to.include(SECRET);
  });

  it('censors OAuth code and state wherever they sit one level down', () => {
    const { logger, text } = capture();
    logger.info({ query: { code: SECRET, state: `${SECRET}-state` } }, 'callback');
    expect(text()).not.to.include(SECRET);
  });

  it("never changes the caller's objects while censoring a copy of them", () => {
    const { logger, text } = capture();
    const call = { authorization: SECRET, headers: { cookie: SECRET } };
    const req = { headers: { authorization: SECRET }, method: 'GET' };
    logger.info({ call, req }, 'nested');
    expect(text()).not.to.include(SECRET);
    expect(call).to.deep.equal({ authorization: SECRET, headers: { cookie: SECRET } });
    expect(req).to.deep.equal({ headers: { authorization: SECRET }, method: 'GET' });
  });

  it('keeps a top-level code (an error code) and nested fields that are not secrets', () => {
    const { logger, lines } = capture();
    logger.info({ code: 'rate_limited', upstream: { status: 429, product: 'jira' } }, 'refused');
    expect(lines()[0]).to.deep.include({ code: 'rate_limited', upstream: { status: 429, product: 'jira' } });
  });

  it('keeps the fields that are not secrets', () => {
    const { logger, lines } = capture();
    logger.info({ product: 'jira', route: '/jira/projects', status: 200, ms: 1.5 }, 'request');
    expect(lines()[0]).to.include({ product: 'jira', route: '/jira/projects', status: 200, ms: 1.5, msg: 'request', service: 'atlassian-connector' });
  });

  it('adds the request id of the surrounding logScope to every line, and none outside it', () => {
    const { logger, lines } = capture();
    logScope.run({ requestId: 'req-1' }, () => logger.info('inside'));
    logger.info('outside');
    const [inside, outside] = lines();
    expect(inside!['requestId']).to.equal('req-1');
    expect(outside!['requestId']).to.equal(undefined);
  });

  it("a line's fields do not leak into the next line of the same request, and the scope is not changed", () => {
    const { logger, lines } = capture();
    const scope = { requestId: 'req-2' };
    logScope.run(scope, () => {
      logger.info({ outcome: '503', url: 'http://upstream.test/x' }, 'first');
      logger.info({ product: 'jira' }, 'second');
    });
    const [, second] = lines();
    expect(second).to.include({ requestId: 'req-2', product: 'jira', msg: 'second' });
    expect(second).not.to.have.property('outcome');
    expect(second).not.to.have.property('url');
    expect(scope).to.deep.equal({ requestId: 'req-2' });
  });

  it('keeps the request id across awaits inside the scope', async () => {
    const { logger, lines } = capture();
    await logScope.run({ requestId: 'req-async' }, async () => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      logger.info('after an await');
    });
    expect(lines()[0]!['requestId']).to.equal('req-async');
  });
});
