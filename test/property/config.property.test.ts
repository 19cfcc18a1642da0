import { expect } from 'chai';
import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { ConfigError, loadConfig, type Config } from '../../src/config.js';

const RUNS = { numRuns: 1500, seed: 20_064 } as const;

const VARIABLES = [
  'PORT', 'HOST', 'FRONTEND_ORIGIN', 'JIRA_OAUTH_CLIENT_ID', 'JIRA_OAUTH_CLIENT_SECRET', 'JIRA_OAUTH_REDIRECT_URI', 'JIRA_OAUTH_SCOPES',
  'CONFLUENCE_OAUTH_CLIENT_ID', 'CONFLUENCE_OAUTH_CLIENT_SECRET', 'CONFLUENCE_OAUTH_REDIRECT_URI', 'CONFLUENCE_OAUTH_SCOPES',
  'ATLASSIAN_AUTH_URL', 'ATLASSIAN_API_URL', 'ATLASSIAN_SITE_URL_TEMPLATE', 'ATLASSIAN_DEFAULT_SITE', 'OAUTH_STATE_TTL_SECONDS',
  'OAUTH_RETURN_URL', 'OAUTH_COMPLETION_TTL_SECONDS', 'OAUTH_PKCE', 'SESSION_TTL_SECONDS', 'SESSION_STORE', 'REDIS_URL', 'REDIS_KEY_PREFIX', 'SESSION_ENCRYPTION_KEY',
  'UPSTREAM_TIMEOUT_MS', 'UPSTREAM_MAX_RETRIES', 'UPSTREAM_MAX_RETRY_WAIT_MS', 'UPSTREAM_RETRY_BASE_MS', 'UPSTREAM_DEADLINE_MS',
  'UPSTREAM_CONCURRENCY', 'SHUTDOWN_TIMEOUT_MS', 'MAX_BODY_BYTES', 'AUTH_RATE_LIMIT_PER_MINUTE', 'OAUTH_START_RATE_LIMIT_PER_MINUTE', 'TRUST_PROXY', 'DOCS_ENABLED',
  'METRICS_ENABLED', 'LOG_LEVEL', 'MAX_INFLIGHT_LISTINGS_PER_SESSION', 'MAX_INFLIGHT_UPSTREAM', 'HTTP_HEADERS_TIMEOUT_MS',
  'HTTP_REQUEST_TIMEOUT_MS', 'HTTP_KEEP_ALIVE_TIMEOUT_MS',
] as const;

/** Values an operator could plausibly (or mistakenly) write into a .env file. */
const value = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom('', ' ', '0', '-1', '1.5', '1e3', '99999999999999999999', 'NaN', 'true', 'false', 'yes', 'TRUE', 'redis', 'memory'),
  fc.webUrl(),
  fc.constantFrom('acme', 'acme.atlassian.net', 'evil.com', 'https://{site}', 'http://{site}.x', 'redis://127.0.0.1:6379', 'debug'),
  fc.integer({ min: -10, max: 100_000 }).map(String),
  fc.constant(randomBytes(32).toString('base64')),
);

const env = fc.dictionary(fc.constantFrom(...VARIABLES), value, { maxKeys: 8 });

function load(input: Record<string, string>): Config | ConfigError {
  try {
    return loadConfig(input);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw new Error(`loadConfig threw a non-ConfigError for ${JSON.stringify(input)}: ${String(error)}`);
    return error;
  }
}

describe('property: loadConfig', () => {
  it('for ANY environment: a frozen Config or a ConfigError naming each bad variable, never another error', () => {
    fc.assert(
      fc.property(env, (input) => {
        const result = load(input);
        if (result instanceof ConfigError) {
          expect(result.problems).to.be.an('array').that.is.not.empty;
          for (const problem of result.problems) {
            const named = VARIABLES.some((name) => problem.startsWith(`${name}`));
            expect(named, problem).to.equal(true);
          }
        } else {
          expect(Object.isFrozen(result)).to.equal(true);
          expect(result.maxBodyBytes).to.be.a('number').and.above(0);
          expect(result.authRateLimitPerMinute).to.be.a('number').and.at.least(0);
          if (result.atlassian.defaultSite !== undefined) expect(result.atlassian.defaultSite).to.match(/^[a-z0-9-]+\.atlassian\.net$/);
        }
      }),
      RUNS,
    );
  });

  it('MAX_BODY_BYTES, AUTH_RATE_LIMIT_PER_MINUTE and OAUTH_START_RATE_LIMIT_PER_MINUTE: any non-negative integer is taken as it is', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000_000 }), fc.integer({ min: 0, max: 100_000 }), fc.integer({ min: 0, max: 100_000 }), (bytes, perMinute, starts) => {
        const config = loadConfig({ MAX_BODY_BYTES: String(bytes), AUTH_RATE_LIMIT_PER_MINUTE: String(perMinute), OAUTH_START_RATE_LIMIT_PER_MINUTE: String(starts) });
        expect(config.maxBodyBytes).to.equal(bytes);
        expect(config.authRateLimitPerMinute).to.equal(perMinute);
        expect(config.oauthStartRateLimitPerMinute).to.equal(starts);
      }),
      { ...RUNS, numRuns: 300 },
    );
  });

  it('DOCS_ENABLED and METRICS_ENABLED accept only the documented flag words', () => {
    fc.assert(
      fc.property(fc.constantFrom('DOCS_ENABLED', 'METRICS_ENABLED'), fc.oneof(fc.constantFrom('true', 'false', '1', '0', 'yes', 'no'), fc.string()), (name, flag) => {
        const result = load({ [name]: flag });
        const known = ['true', 'false', '1', '0', 'yes', 'no'].includes(flag.trim()) || flag.trim() === '';
        if (flag.trim() !== flag && flag.trim() !== '') return; // surrounding spaces: not part of the contract either way
        expect(result instanceof ConfigError, `${name}=${JSON.stringify(flag)}`).to.equal(!known);
      }),
      { ...RUNS, numRuns: 500 },
    );
  });

  it('TRUST_PROXY: a number of hops (0-99) is taken as it is, true/yes is 1, false/no is 0, anything else is refused', () => {
    const words = new Map([['true', 1], ['yes', 1], ['false', 0], ['no', 0]]);
    fc.assert(
      fc.property(fc.oneof(fc.integer({ min: 0, max: 99 }).map(String), fc.constantFrom(...words.keys()), fc.string()), (hops) => {
        if (hops.trim() !== hops) return; // surrounding spaces: not part of the contract either way
        const result = load({ TRUST_PROXY: hops });
        const expected = hops === '' ? 0 : /^\d{1,2}$/.test(hops) ? Number(hops) : words.get(hops);
        if (expected === undefined) {
          expect(result, `TRUST_PROXY=${JSON.stringify(hops)}`).to.be.instanceOf(ConfigError);
          expect((result as ConfigError).message).to.include('TRUST_PROXY');
        } else {
          expect(result, `TRUST_PROXY=${JSON.stringify(hops)}`).not.to.be.instanceOf(ConfigError);
          expect((result as Config).trustProxy).to.equal(expected);
        }
      }),
      { ...RUNS, numRuns: 500 },
    );
  });
});
