import { randomBytes } from 'node:crypto';
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

    it('binds OAuth sign-ins: PKCE on and a completion TTL of 120 s by default; both can be set', () => {
      expect(loadConfig({})).to.deep.include({ oauthPkce: true, oauthCompletionTtlSeconds: 120 });
      expect(loadConfig({ OAUTH_PKCE: 'false', OAUTH_COMPLETION_TTL_SECONDS: '30' })).to.deep.include({
        oauthPkce: false,
        oauthCompletionTtlSeconds: 30,
      });
    });
  });

  describe('session lifetimes and store bounds', () => {
    const key = randomBytes(32).toString('base64');

    it('defaults: 30-day maximum age, 120 s completion window, 100,000 memory sessions, 1 s Redis commands', () => {
      const memory = loadConfig({});
      const redis = loadConfig({ SESSION_STORE: 'redis', SESSION_ENCRYPTION_KEY: key });

      expect(memory.sessionMaxAgeSeconds).to.equal(2_592_000);
      expect(memory.oauthCompletionTtlSeconds).to.equal(120);
      expect(memory.sessionStore).to.deep.equal({ kind: 'memory', maxSessions: 100_000 });
      expect(redis.sessionStore).to.include({ kind: 'redis', commandTimeoutMs: 1_000 });
    });

    it('reads them', () => {
      const memory = loadConfig({ SESSION_MAX_AGE_SECONDS: '3600', OAUTH_COMPLETION_TTL_SECONDS: '30', MEMORY_STORE_MAX_SESSIONS: '50' });
      const redis = loadConfig({ SESSION_STORE: 'redis', SESSION_ENCRYPTION_KEY: key, REDIS_COMMAND_TIMEOUT_MS: '250' });

      expect(memory.sessionMaxAgeSeconds).to.equal(3600);
      expect(memory.oauthCompletionTtlSeconds).to.equal(30);
      expect(memory.sessionStore).to.deep.equal({ kind: 'memory', maxSessions: 50 });
      expect(redis.sessionStore).to.include({ commandTimeoutMs: 250 });
    });

    for (const variable of ['SESSION_MAX_AGE_SECONDS', 'OAUTH_COMPLETION_TTL_SECONDS', 'MEMORY_STORE_MAX_SESSIONS', 'REDIS_COMMAND_TIMEOUT_MS']) {
      it(`refuses ${variable}=0 and ${variable}=1.5`, () => {
        for (const value of ['0', '1.5']) {
          expect(() => loadConfig({ [variable]: value })).to.throw(ConfigError).with.property('message').that.includes(variable);
        }
      });
    }
  });

  describe('TRUST_PROXY: the number of trusted proxy hops', () => {
    it('is 0 by default: X-Forwarded-For is not read', () => {
      expect(loadConfig({}).trustProxy).to.equal(0);
    });

    it('reads a number of hops as it is', () => {
      for (const hops of [0, 1, 2, 5, 16]) expect(loadConfig({ TRUST_PROXY: String(hops) }).trustProxy).to.equal(hops);
    });

    it('keeps the old flag words: true and yes are 1 hop, false and no are 0', () => {
      expect(loadConfig({ TRUST_PROXY: 'true' }).trustProxy).to.equal(1);
      expect(loadConfig({ TRUST_PROXY: 'yes' }).trustProxy).to.equal(1);
      expect(loadConfig({ TRUST_PROXY: 'false' }).trustProxy).to.equal(0);
      expect(loadConfig({ TRUST_PROXY: 'no' }).trustProxy).to.equal(0);
    });
  });

  describe('load shedding and server timeouts', () => {
    it('defaults: 4 listings per session, 256 upstream calls, headers 10 s, request 30 s, keep-alive 5 s', () => {
      const config = loadConfig({});
      expect(config.maxInflightListingsPerSession).to.equal(4);
      expect(config.atlassian.maxInFlight).to.equal(256);
      expect(config.http).to.deep.equal({ headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, keepAliveTimeoutMs: 5_000 });
    });

    it('reads each of them, and 0 turns a bound off', () => {
      const config = loadConfig({
        MAX_INFLIGHT_LISTINGS_PER_SESSION: '0',
        MAX_INFLIGHT_UPSTREAM: '12',
        HTTP_HEADERS_TIMEOUT_MS: '2000',
        HTTP_REQUEST_TIMEOUT_MS: '2000',
        HTTP_KEEP_ALIVE_TIMEOUT_MS: '61000',
      });
      expect(config.maxInflightListingsPerSession).to.equal(0);
      expect(config.atlassian.maxInFlight).to.equal(12);
      expect(config.http).to.deep.equal({ headersTimeoutMs: 2_000, requestTimeoutMs: 2_000, keepAliveTimeoutMs: 61_000 });
    });

    it('refuses a header timeout longer than the request timeout (Node would refuse to create the server)', () => {
      expect(problemsOf({ HTTP_HEADERS_TIMEOUT_MS: '40000' }).join('\n')).to.include('HTTP_HEADERS_TIMEOUT_MS');
    });
  });

  describe('refuses bad values with a ConfigError naming the variable', () => {
    const bad: readonly [string, string][] = [
      ['PORT', 'abc'],
      ['PORT', '70000'],
      ['OAUTH_STATE_TTL_SECONDS', '-1'],
      ['OAUTH_STATE_TTL_SECONDS', '0'],
      ['OAUTH_COMPLETION_TTL_SECONDS', '0'],
      ['OAUTH_PKCE', 'maybe'],
      ['SESSION_TTL_SECONDS', '1.5'],
      ['ATLASSIAN_DEFAULT_SITE', 'evil.com'],
      ['ATLASSIAN_SITE_URL_TEMPLATE', 'https://acme.atlassian.net'],
      ['ATLASSIAN_AUTH_URL', 'ftp://auth.atlassian.com'],
      ['LOG_LEVEL', 'loud'],
      ['TRUST_PROXY', '-1'],
      ['TRUST_PROXY', '1.5'],
      ['TRUST_PROXY', 'always'],
      ['TRUST_PROXY', '0x1'],
      ['MAX_INFLIGHT_LISTINGS_PER_SESSION', '-1'],
      ['MAX_INFLIGHT_UPSTREAM', '2.5'],
      ['HTTP_HEADERS_TIMEOUT_MS', '0'],
      ['HTTP_REQUEST_TIMEOUT_MS', 'soon'],
      ['HTTP_KEEP_ALIVE_TIMEOUT_MS', '-5'],
      ['OAUTH_START_RATE_LIMIT_PER_MINUTE', '-1'],
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

describe('loadConfig: upstream bounds', () => {
  it('UPSTREAM_MAX_ITEMS defaults to 100000 and reads a value', () => {
    expect(loadConfig({}).atlassian.maxItems).to.equal(100_000);
    expect(loadConfig({ UPSTREAM_MAX_ITEMS: '500' }).atlassian.maxItems).to.equal(500);
  });

  for (const value of ['0', '-1', '1.5', '1e12', 'many']) {
    it(`refuses UPSTREAM_MAX_ITEMS=${value}`, () => {
      expect(() => loadConfig({ UPSTREAM_MAX_ITEMS: value })).to.throw(ConfigError).with.property('message').that.includes('UPSTREAM_MAX_ITEMS');
    });
  }
});

describe('loadConfig: background refresh attempts', () => {
  it('OAUTH_REFRESH_RETRY_DELAYS_MS defaults to 5000,15000,40000 and reads a list', () => {
    expect(loadConfig({}).oauthRefreshRetryDelaysMs).to.deep.equal([5_000, 15_000, 40_000]);
    expect(loadConfig({ OAUTH_REFRESH_RETRY_DELAYS_MS: '100, 200' }).oauthRefreshRetryDelaysMs).to.deep.equal([100, 200]);
  });

  for (const value of ['0', '-5', '1.5', 'soon', '100,,200', '200000,200000', Array(11).fill('1').join(',')]) {
    it(`refuses OAUTH_REFRESH_RETRY_DELAYS_MS=${value.slice(0, 30)} (not 1-10 positive integers, or past half the reuse leeway)`, () => {
      expect(() => loadConfig({ OAUTH_REFRESH_RETRY_DELAYS_MS: value })).to.throw(ConfigError).with.property('message').that.includes('OAUTH_REFRESH_RETRY_DELAYS_MS');
    });
  }
});

describe('loadConfig: SESSION_STORE=postgres', () => {
  const key = randomBytes(32).toString('base64');
  const url = 'postgres://connector:secret@db.internal:5432/connector';

  it('reads DATABASE_URL, the pool size and the timeout, with defaults of 10 connections and 1 s', () => {
    expect(loadConfig({ SESSION_STORE: 'postgres', DATABASE_URL: url, SESSION_ENCRYPTION_KEY: key }).sessionStore).to.deep.equal({
      kind: 'postgres', url, encryptionKeys: [key], poolSize: 10, timeoutMs: 1_000,
    });
    const tuned = loadConfig({ SESSION_STORE: 'postgres', DATABASE_URL: url, SESSION_ENCRYPTION_KEY: key, DATABASE_POOL_SIZE: '4', DATABASE_TIMEOUT_MS: '300' });
    expect(tuned.sessionStore).to.include({ poolSize: 4, timeoutMs: 300 });
  });

  it('refuses to start without DATABASE_URL, naming the variables', () => {
    expect(problemsOf({ SESSION_STORE: 'postgres', SESSION_ENCRYPTION_KEY: key })).to.deep.equal([
      'DATABASE_URL: required when SESSION_STORE=postgres (postgres://USER:PASSWORD@HOST:5432/DATABASE)',
    ]);
  });

  it('requires SESSION_ENCRYPTION_KEY, as with Redis', () => {
    expect(problemsOf({ SESSION_STORE: 'postgres', DATABASE_URL: url })).to.deep.equal([
      'SESSION_ENCRYPTION_KEY: required when SESSION_STORE=postgres (generate one with: openssl rand -base64 32)',
    ]);
  });

  it('refuses a DATABASE_URL of another scheme, and a pool size or timeout that is not a positive integer', () => {
    for (const [variable, value] of [['DATABASE_URL', 'mysql://db/x'], ['DATABASE_POOL_SIZE', '0'], ['DATABASE_TIMEOUT_MS', '1.5']] as const) {
      const problems = problemsOf({ SESSION_STORE: 'postgres', DATABASE_URL: url, SESSION_ENCRYPTION_KEY: key, [variable]: value });
      expect(problems.join('\n'), variable).to.include(variable);
    }
  });

  it('the error never repeats the URL (it may hold a password)', () => {
    const problems = problemsOf({ SESSION_STORE: 'postgres', DATABASE_URL: 'mysql://u:hunter2@db/x', SESSION_ENCRYPTION_KEY: key });
    expect(problems.join('\n')).not.to.include('hunter2');
  });
});
