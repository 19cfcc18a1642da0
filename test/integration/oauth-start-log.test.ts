import { expect } from 'chai';
import { spawnService } from '../support/spawn-service.js';

const OAUTH = {
  JIRA_OAUTH_CLIENT_ID: 'client-id',
  JIRA_OAUTH_CLIENT_SECRET: 'client-secret',
  JIRA_OAUTH_REDIRECT_URI: 'http://127.0.0.1:1/auth/jira/oauth/callback',
};

/** The warnings server.ts logs at start, as an operator reads them. */
async function startWarnings(env: Record<string, string>): Promise<string[]> {
  const service = await spawnService(env);
  await service.stop();
  return service.output
    .map((line) => JSON.parse(line) as { level: number; msg: string })
    .filter((line) => line.level === 40)
    .map((line) => line.msg);
}

describe('the start log about OAuth sign-ins (server.ts)', () => {
  it('warns that sign-ins are not bound to a browser without OAUTH_RETURN_URL, and when PKCE is off', async () => {
    const warnings = await startWarnings({ ...OAUTH, OAUTH_PKCE: 'false' });
    expect(warnings.some((msg) => /OAUTH_RETURN_URL is not set.*not bound to the browser that started them/.test(msg)), warnings.join('\n')).to.equal(true);
    expect(warnings.some((msg) => /OAUTH_PKCE is false/.test(msg)), warnings.join('\n')).to.equal(true);
  });

  it('says neither with OAUTH_RETURN_URL set and PKCE on (the default)', async () => {
    const warnings = await startWarnings({ ...OAUTH, OAUTH_RETURN_URL: 'http://127.0.0.1:1/after', FRONTEND_ORIGIN: 'http://127.0.0.1:1' });
    expect(warnings.filter((msg) => /OAUTH_RETURN_URL|OAUTH_PKCE/.test(msg))).to.deep.equal([]);
  });
});
