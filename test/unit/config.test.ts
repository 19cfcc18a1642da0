import { expect } from 'chai';
import { ConfigError, loadConfig } from '../../src/config.js';

function problemsOf(env: Readonly<Record<string, string | undefined>>): readonly string[] {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).to.be.instanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  expect.fail(`expected loadConfig(${JSON.stringify(env)}) to throw a ConfigError`);
}

const JIRA_OAUTH = {
  JIRA_OAUTH_CLIENT_ID: 'jira-id',
  JIRA_OAUTH_CLIENT_SECRET: 'jira-secret',
  JIRA_OAUTH_REDIRECT_URI: 'http://localhost:3001/auth/jira/oauth/callback',
} as const;

describe('loadConfig', () => {
  describe('defaults', () => {
    it('starts with an empty environment', () => {
      const config = loadConfig({});

      expect(config.port).to.equal(3001);
      expect(config.host).to.equal('0.0.0.0');
      expect(config.atlassian.authUrl).to.equal('https://auth.atlassian.com');
      expect(config.atlassian.apiUrl).to.equal('https://api.atlassian.com');
      expect(config.atlassian.siteUrlTemplate).to.equal('https://{site}');
      expect(config.atlassian.defaultSite).to.equal(undefined);
      expect(config.atlassian.timeoutMs).to.equal(10_000);
      expect(config.oauthStateTtlSeconds).to.equal(600);
      expect(config.sessionTtlSeconds).to.equal(86_400);
      expect(config.logLevel).to.equal('info');
      expect(config.oauth).to.deep.equal({});
      expect(config).to.not.have.property('frontendOrigins');
      expect(config).to.not.have.property('oauthReturnUrl');
      expect(config.listingCache).to.deep.equal({ ttlSeconds: 60, staleSeconds: 600, maxBytes: 64 * 1024 * 1024 });
    });

    it('reads the listing cache settings; a TTL of 0 (caching off) is allowed', () => {
      const config = loadConfig({ LISTING_CACHE_TTL_SECONDS: '0', LISTING_STALE_SECONDS: '30', LISTING_CACHE_MAX_BYTES: '1048576' });
      expect(config.listingCache).to.deep.equal({ ttlSeconds: 0, staleSeconds: 30, maxBytes: 1_048_576 });
    });

    it('treats empty values as absent', () => {
      const config = loadConfig({ FRONTEND_ORIGIN: '', ATLASSIAN_DEFAULT_SITE: '', JIRA_OAUTH_CLIENT_ID: '', OAUTH_RETURN_URL: '' });

      expect(config).to.not.have.property('frontendOrigins');
      expect(config.atlassian).to.not.have.property('defaultSite');
      expect(config.oauth).to.deep.equal({});
    });
  });

  describe('OAuth clients', () => {
    it('configures a product when its client id, secret and redirect URI are all set', () => {
      const config = loadConfig(JIRA_OAUTH);

      expect(config.oauth.jira).to.deep.include({
        clientId: 'jira-id',
        clientSecret: 'jira-secret',
        redirectUri: 'http://localhost:3001/auth/jira/oauth/callback',
      });
      expect(config.oauth.confluence).to.equal(undefined);
    });

    for (const missing of Object.keys(JIRA_OAUTH)) {
      it(`leaves the product unconfigured without ${missing}`, () => {
        const env: Record<string, string> = { ...JIRA_OAUTH };
        delete env[missing];

        expect(loadConfig(env).oauth).to.not.have.property('jira');
      });
    }

    it('configures each product independently', () => {
      const config = loadConfig({
        CONFLUENCE_OAUTH_CLIENT_ID: 'c-id',
        CONFLUENCE_OAUTH_CLIENT_SECRET: 'c-secret',
        CONFLUENCE_OAUTH_REDIRECT_URI: 'https://connector.example/auth/confluence/oauth/callback',
      });

      expect(Object.keys(config.oauth)).to.deep.equal(['confluence']);
    });

    it('asks for offline_access by default, so Atlassian issues a refresh token', () => {
      const config = loadConfig({
        ...JIRA_OAUTH,
        CONFLUENCE_OAUTH_CLIENT_ID: 'c-id',
        CONFLUENCE_OAUTH_CLIENT_SECRET: 'c-secret',
        CONFLUENCE_OAUTH_REDIRECT_URI: 'https://connector.example/cb',
      });

      expect(config.oauth.jira?.scopes).to.include('offline_access').and.include('read:jira-work');
      expect(config.oauth.confluence?.scopes).to.include('offline_access');
    });

    it('splits custom scopes on spaces', () => {
      const config = loadConfig({ ...JIRA_OAUTH, JIRA_OAUTH_SCOPES: '  read:jira-work   offline_access ' });

      expect(config.oauth.jira?.scopes).to.deep.equal(['read:jira-work', 'offline_access']);
    });

    it('refuses a redirect URI that is not an http(s) URL', () => {
      const problems = problemsOf({ ...JIRA_OAUTH, JIRA_OAUTH_REDIRECT_URI: 'not a url' });

      expect(problems.join('\n')).to.include('JIRA_OAUTH_REDIRECT_URI');
    });
  });

  describe('other settings', () => {
    it('reads FRONTEND_ORIGIN as a comma-separated list', () => {
      const config = loadConfig({ FRONTEND_ORIGIN: 'http://localhost:5173, https://app.example.com/ ,' });

      expect(config.frontendOrigins).to.deep.equal(['http://localhost:5173', 'https://app.example.com']);
    });

    it('normalises ATLASSIAN_DEFAULT_SITE to a host', () => {
      expect(loadConfig({ ATLASSIAN_DEFAULT_SITE: 'https://ACME.atlassian.net/' }).atlassian.defaultSite).to.equal(
        'acme.atlassian.net',
      );
    });

    it('reads numbers and strips a trailing slash from URLs', () => {
      const config = loadConfig({
        PORT: '8080',
        OAUTH_STATE_TTL_SECONDS: '60',
        SESSION_TTL_SECONDS: '3600',
        ATLASSIAN_API_URL: 'http://127.0.0.1:9999/',
      });

      expect(config.port).to.equal(8080);
      expect(config.oauthStateTtlSeconds).to.equal(60);
      expect(config.sessionTtlSeconds).to.equal(3600);
      expect(config.atlassian.apiUrl).to.equal('http://127.0.0.1:9999');
    });
  });

  describe('refuses bad values with a ConfigError naming the variable', () => {
    const bad: readonly [string, string][] = [
      ['PORT', 'abc'],
      ['PORT', '70000'],
      ['OAUTH_STATE_TTL_SECONDS', '-1'],
      ['OAUTH_STATE_TTL_SECONDS', '0'],
      ['SESSION_TTL_SECONDS', '1.5'],
      ['ATLASSIAN_DEFAULT_SITE', 'evil.com'],
      ['ATLASSIAN_SITE_URL_TEMPLATE', 'https://acme.atlassian.net'],
      ['ATLASSIAN_AUTH_URL', 'ftp://auth.atlassian.com'],
      ['LOG_LEVEL', 'loud'],
      ['LISTING_CACHE_TTL_SECONDS', '-1'],
      ['LISTING_CACHE_TTL_SECONDS', 'a minute'],
      ['LISTING_STALE_SECONDS', '-5'],
      ['LISTING_CACHE_MAX_BYTES', '0'],
    ];
    for (const [variable, value] of bad) {
      it(`${variable}=${value}`, () => {
        expect(() => loadConfig({ [variable]: value }))
          .to.throw(ConfigError)
          .with.property('message')
          .that.includes(variable);
      });
    }

    it('reports every problem at once', () => {
      const problems = problemsOf({
        PORT: 'abc',
        OAUTH_STATE_TTL_SECONDS: '-1',
        ATLASSIAN_DEFAULT_SITE: 'evil.com',
        ATLASSIAN_SITE_URL_TEMPLATE: 'https://example.com',
        LOG_LEVEL: 'loud',
      });

      const text = problems.join('\n');
      for (const variable of ['PORT', 'OAUTH_STATE_TTL_SECONDS', 'ATLASSIAN_DEFAULT_SITE', 'ATLASSIAN_SITE_URL_TEMPLATE', 'LOG_LEVEL']) {
        expect(text).to.include(variable);
      }
    });
  });

  it('returns a frozen object, nested parts included', () => {
    const config = loadConfig({ ...JIRA_OAUTH, FRONTEND_ORIGIN: 'http://localhost:5173' });

    expect(Object.isFrozen(config)).to.equal(true);
    expect(Object.isFrozen(config.atlassian)).to.equal(true);
    expect(Object.isFrozen(config.oauth)).to.equal(true);
    expect(Object.isFrozen(config.oauth.jira)).to.equal(true);
    expect(Object.isFrozen(config.oauth.jira?.scopes)).to.equal(true);
    expect(Object.isFrozen(config.frontendOrigins)).to.equal(true);
  });
});
