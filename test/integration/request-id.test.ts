import { expect } from 'chai';
import { rawRequest } from '../support/harness.js';
import { startService, type RunningService } from '../support/start-service.js';

/**
 * A caller's X-Request-Id is echoed and put in every log line of its request, so it is used only when it is short
 * and of a safe alphabet (at most 64 of [A-Za-z0-9._-]); anything else is replaced by a fresh UUID (issue 11, point 14).
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('X-Request-Id from callers', () => {
  let service: RunningService;
  before(async () => {
    service = await startService({});
  });
  after(async () => {
    await service.close();
  });

  async function idFor(offered: string): Promise<string> {
    const res = await rawRequest(service.baseUrl, { path: '/', headers: { 'X-Request-Id': offered } });
    expect(res.status).to.equal(200);
    return String(res.headers['x-request-id']);
  }

  it('is echoed when it is at most 64 characters of [A-Za-z0-9._-]', async () => {
    for (const offered of ['abc-123', 'trace_0.9-X', 'a'.repeat(64)]) {
      expect(await idFor(offered)).to.equal(offered);
    }
  });

  for (const [what, offered] of [
    ['65 characters', 'a'.repeat(65)],
    ['1000 characters', 'b'.repeat(1000)],
    ['CR/LF-like content (percent-encoded)', 'abc%0d%0aSet-Cookie:%20x=1'],
    ['CR/LF-like content (escaped)', 'abc\\r\\nlevel=fatal'],
    ['a colon, which log queries and header parsers split on', 'trace:123'],
    ['non-ASCII (Latin-1 on the wire)', 'r\u00e9quest-1'],
    ['spaces and quotes', 'a "b" c'],
    ['a JSON fragment', '{"level":60}'],
  ] as const) {
    it(`is replaced by a fresh UUID, and never logged, when it has ${what}`, async () => {
      const before = service.logs.length;

      const id = await idFor(offered);

      expect(id).to.match(UUID);
      const lines = service.logs.slice(before).join('\n');
      expect(lines).to.include(id);
      expect(lines).not.to.include(offered);
    });
  }
});
