import { expect } from 'chai';
import http from 'node:http';
import net from 'node:net';
import fetch, { type RequestInit, type Response } from 'node-fetch';
import { FakeAtlassian, type FakeAtlassianOptions } from '../../fake-atlassian/index.js';
import type { Overrides } from '../../src/composition-root.js';
import { checkAnswer } from './openapi-check.js';
import { startService, type RunningService } from './start-service.js';

export const ACME = 'acme.atlassian.net';
export const BETA = 'beta.atlassian.net';
export const USER = { email: 'ada@example.com', apiToken: 'ada-api-token-0123456789' } as const;
export const SCOPED_USER = { email: 'bot@example.com', apiToken: 'bot-scoped-token-0123456789' } as const;
export const CLIENTS = {
  jira: { id: 'jira-client-id', secret: 'jira-client-secret-do-not-leak' },
  confluence: { id: 'confluence-client-id', secret: 'confluence-client-secret-do-not-leak' },
} as const;

export interface Harness {
  readonly fake: FakeAtlassian;
  readonly service: RunningService;
  readonly url: (path: string) => string;
  close(): Promise<void>;
}

/**
 * A fake Atlassian with two sites (acme: 120 projects, 60 spaces; beta: 3 and 2) and a user who can reach both,
 * plus the real service configured against it. `env` overrides or adds service variables; `overrides` replaces
 * the service's clock or token generator (a test moves the clock instead of sleeping for an expiry).
 */
export async function startHarness(
  env: Record<string, string> | ((baseUrl: string) => Record<string, string>) = {},
  fakeOptions: FakeAtlassianOptions = {},
  overrides: Overrides = {},
): Promise<Harness> {
  const fake = new FakeAtlassian(fakeOptions);
  await fake.start();
  fake.addSite({ host: ACME, name: 'Acme', projects: 120, spaces: 60 });
  fake.addSite({ host: BETA, name: 'Beta', projects: 3, spaces: 2 });
  fake.addUser({ email: USER.email, apiToken: USER.apiToken, displayName: 'Ada', sites: [ACME, BETA] });
  fake.addUser({ email: SCOPED_USER.email, apiToken: SCOPED_USER.apiToken, sites: [ACME], scopedApiToken: true });

  let used: Record<string, string> = {};
  const service = await startService((baseUrl) => {
    used = { ...serviceEnv(fake, baseUrl), ...(typeof env === 'function' ? env(baseUrl) : env) };
    return used;
  }, overrides);
  // Register at Atlassian exactly the callback URLs the service was configured with.
  for (const product of ['jira', 'confluence'] as const) {
    const redirectUri = used[`${product.toUpperCase()}_OAUTH_REDIRECT_URI`];
    fake.addOAuthClient({
      clientId: CLIENTS[product].id,
      clientSecret: CLIENTS[product].secret,
      redirectUris: redirectUri ? [redirectUri] : [],
    });
  }
  return {
    fake,
    service,
    url: (path) => `${service.baseUrl}${path}`,
    async close() {
      await service.close();
      await fake.stop();
    },
  };
}

/** Variables pointing a service at `baseUrl` to the fake, with OAuth configured for both products. */
export function serviceEnv(fake: FakeAtlassian, baseUrl: string): Record<string, string> {
  return {
    ATLASSIAN_AUTH_URL: fake.authUrl,
    ATLASSIAN_API_URL: fake.apiUrl,
    ATLASSIAN_SITE_URL_TEMPLATE: fake.siteUrlTemplate,
    JIRA_OAUTH_CLIENT_ID: CLIENTS.jira.id,
    JIRA_OAUTH_CLIENT_SECRET: CLIENTS.jira.secret,
    CONFLUENCE_OAUTH_CLIENT_ID: CLIENTS.confluence.id,
    CONFLUENCE_OAUTH_CLIENT_SECRET: CLIENTS.confluence.secret,
    // Many tests fail logins on purpose; the limiter has its own tests.
    AUTH_RATE_LIMIT_PER_MINUTE: '0',
    // Many tests start OAuth flows; the start limit has its own tests (oauth-start-limit.test.ts).
    OAUTH_START_RATE_LIMIT_PER_MINUTE: '0',
    JIRA_OAUTH_REDIRECT_URI: `${baseUrl}/auth/jira/oauth/callback`,
    CONFLUENCE_OAUTH_REDIRECT_URI: `${baseUrl}/auth/confluence/oauth/callback`,
  };
}

export async function call(url: string, init: RequestInit = {}): Promise<{ status: number; headers: Response['headers']; body: any }> {
  const response = await fetch(url, { redirect: 'manual', ...init });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    // not JSON: keep the text so a test can show it
  }
  // Every JSON answer of the service is checked against the OpenAPI document of its route and status.
  checkAnswer(init.method ?? 'GET', url, response.status, response.headers.get('content-type') ?? '', body);
  // `any` so tests can read nested fields of the JSON they assert on without a cast per line.
  return { status: response.status, headers: response.headers, body: body as any };
}

/** Between tests of one suite: no faults, an empty request log, the default consent. */
export function resetFake(fake: FakeAtlassian): void {
  fake.clearFaults();
  fake.clearRequests();
  fake.setConsent({});
}

export interface Connected {
  readonly sessionToken: string;
  readonly callback: Awaited<ReturnType<typeof call>>;
}

/**
 * The browser's part of the OAuth dance: start on the service, follow the consent redirect the fake answers,
 * and land on the service's callback. `sessionToken` joins an existing session.
 */
export async function connectWithOAuth(h: Harness, product: 'jira' | 'confluence', sessionToken?: string, query = ''): Promise<Connected> {
  const start = await call(h.url(`/auth/${product}/oauth/start${query}`), {
    headers: sessionToken === undefined ? {} : { 'X-Session-Token': sessionToken },
  });
  if (start.status !== 200) throw new Error(`start answered ${start.status}: ${JSON.stringify(start.body)}`);
  const consent = await call(start.body.auth_url);
  const location = consent.headers.get('location');
  if (consent.status !== 302 || location === null) throw new Error(`authorize answered ${consent.status}`);
  const callback = await call(location);
  return { sessionToken: start.headers.get('x-session-token') ?? '', callback };
}

export async function connectWithToken(
  h: Harness,
  product: 'jira' | 'confluence',
  body: Record<string, unknown> = { email: USER.email, api_token: USER.apiToken, site: 'acme' },
  sessionToken?: string,
): Promise<Awaited<ReturnType<typeof call>>> {
  return call(h.url(`/auth/${product}/api-token`), {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...(sessionToken === undefined ? {} : { 'X-Session-Token': sessionToken }) },
    body: JSON.stringify(body),
  });
}

/** A session connected to `product` with the default API token, with the fake's request log cleared after the login. */
export async function sessionWithToken(h: Harness, product: 'jira' | 'confluence'): Promise<string> {
  const res = await connectWithToken(h, product);
  expect(res.status, JSON.stringify(res.body)).to.equal(200);
  h.fake.clearRequests();
  return res.body.session_token as string;
}

// ---------------------------------------------------------------------------------------------
// Assertion and flow helpers for the integration suites (added; the helpers above are unchanged).

export type CallResult = Awaited<ReturnType<typeof call>>;

/** Request options carrying a session token. */
export function withSession(sessionToken: string, init: RequestInit = {}): RequestInit {
  return { ...init, headers: { ...(init.headers as Record<string, string> | undefined), 'X-Session-Token': sessionToken } };
}

/** No stack frame or source location in what the client sees. */
export function expectNoStackTrace(res: CallResult): void {
  const text = typeof res.body === 'string' ? res.body : JSON.stringify(res.body ?? '');
  expect(text, 'a stack trace leaked into the response').not.to.match(/\bat \S*\s*\(?(?:file:\/\/)?\/[^\s)]*:\d+/);
  expect(text, 'a source location leaked into the response').not.to.match(/\.[cm]?[jt]s:\d+/);
  expect(text, 'a stack trace leaked into the response').not.to.match(/"stack"\s*:/);
}

/** The error contract: `{"error":{"code","message"}}` with this status and code, a non-empty message, no stack. */
export function expectError(res: CallResult, status: number, code: string): void {
  const shown = typeof res.body === 'string' ? res.body : JSON.stringify(res.body);
  expect(res.status, shown).to.equal(status);
  expect(res.headers.get('content-type') ?? '', shown).to.match(/^application\/json/);
  expect(res.body, shown).to.be.an('object');
  expect(res.body.error, shown).to.be.an('object');
  expect(res.body.error.code, shown).to.equal(code);
  expect(res.body.error.message, shown).to.be.a('string');
  expect(res.body.error.message.trim(), shown).not.to.equal('');
  expectNoStackTrace(res);
}

export interface StartedFlow {
  readonly sessionToken: string;
  readonly authUrl: URL;
  readonly state: string;
}

/** GET /auth/{product}/oauth/start, asserting it answered 200. */
export async function startOAuthFlow(h: Harness, product: 'jira' | 'confluence', sessionToken?: string): Promise<StartedFlow> {
  const start = await call(h.url(`/auth/${product}/oauth/start`), sessionToken === undefined ? {} : withSession(sessionToken));
  expect(start.status, JSON.stringify(start.body)).to.equal(200);
  const authUrl = new URL(start.body.auth_url);
  return { sessionToken: start.headers.get('x-session-token') ?? '', authUrl, state: authUrl.searchParams.get('state') ?? '' };
}

/** The browser at Atlassian's consent page: returns the callback URL (with `code`/`error` and `state`) the fake redirects to. */
export async function consent(authUrl: URL | string): Promise<URL> {
  const answer = await call(String(authUrl));
  const location = answer.headers.get('location');
  if (answer.status !== 302 || location === null) throw new Error(`authorize answered ${answer.status}: ${String(answer.body)}`);
  return new URL(location);
}

/** The service's OAuth callback URL with exactly these query parameters. */
export function callbackUrl(h: Harness, product: 'jira' | 'confluence', params: Record<string, string>): string {
  const query = new URLSearchParams(params).toString();
  return h.url(`/auth/${product}/oauth/callback${query === '' ? '' : `?${query}`}`);
}

// ---------------------------------------------------------------------------------------------
// The return-URL mode (OAUTH_RETURN_URL): the callback redirects with a completion value, the frontend finishes.

/** The `completion` value of a callback's 302 to OAUTH_RETURN_URL (`status=pending`); throws on any other answer. */
export function completionOf(redirect: CallResult): string {
  const location = redirect.headers.get('location');
  const target = location === null ? undefined : new URL(location);
  const completion = target?.searchParams.get('completion');
  if (redirect.status !== 302 || target?.searchParams.get('status') !== 'pending' || !completion) {
    throw new Error(`callback answered ${redirect.status} ${location ?? JSON.stringify(redirect.body)}`);
  }
  return completion;
}

/** POST /auth/oauth/complete as the frontend sends it: the completion in JSON, the session token in the header. */
export function finishOAuth(h: Harness, completion: unknown, sessionToken?: string): Promise<CallResult> {
  return call(h.url('/auth/oauth/complete'), {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...(sessionToken === undefined ? {} : { 'X-Session-Token': sessionToken }) },
    body: JSON.stringify({ completion }),
  });
}

export interface CompletedFlow {
  readonly sessionToken: string;
  /** The callback's 302 to OAUTH_RETURN_URL. */
  readonly redirect: CallResult;
  readonly completion: string;
  /** The answer of POST /auth/oauth/complete. */
  readonly finish: CallResult;
}

/**
 * The whole sign-in in the return-URL mode, by one browser: start, consent, the callback's redirect, then the
 * completion step with the session token from start. `sessionToken` joins an existing session.
 */
export async function connectWithCompletion(h: Harness, product: 'jira' | 'confluence', sessionToken?: string): Promise<CompletedFlow> {
  const flow = await startOAuthFlow(h, product, sessionToken);
  const redirect = await call((await consent(flow.authUrl)).toString());
  const completion = completionOf(redirect);
  return { sessionToken: flow.sessionToken, redirect, completion, finish: await finishOAuth(h, completion, flow.sessionToken) };
}

// ---------------------------------------------------------------------------------------------
// Raw HTTP, for requests node-fetch refuses to make (odd methods, headers, bodies) — added for the hardening suites.

export interface RawResponse {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly text: string;
}

export interface RawRequestOptions {
  readonly method?: string;
  /** Path and query, sent as they are (already percent-encoded). */
  readonly path: string;
  readonly headers?: Record<string, string>;
  /** Sent with a Content-Length, so the message is always framed. */
  readonly body?: string | Buffer;
  /** The request is abandoned (rejected) after this long: a guard against hangs, not a speed assertion. */
  readonly timeoutMs?: number;
}

/** One request on a fresh connection with node:http, which sends any method and any header value it can frame. */
export function rawRequest(baseUrl: string, options: RawRequestOptions): Promise<RawResponse> {
  const target = new URL(baseUrl);
  const body = options.body === undefined ? undefined : Buffer.from(options.body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: target.hostname,
        port: target.port,
        method: options.method ?? 'GET',
        path: options.path,
        agent: false,
        headers: { ...options.headers, ...(body === undefined ? {} : { 'Content-Length': String(body.length) }) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          try {
            checkAnswer(options.method ?? 'GET', `${baseUrl}${options.path}`, res.statusCode ?? 0, String(res.headers['content-type'] ?? ''), jsonOrUndefined(text));
          } catch (error) {
            reject(error as Error);
            return;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text });
        });
        res.on('error', reject);
      },
    );
    req.setTimeout(options.timeoutMs ?? 10_000, () => req.destroy(new Error(`${options.method ?? 'GET'} ${options.path.slice(0, 80)}: no answer`)));
    req.on('error', reject);
    req.end(body);
  });
}

function jsonOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * Writes `bytes` on a raw TCP connection to the service, half-closes it, and answers what came back (the status
 * of the first response line, if any). For messages no HTTP client would frame.
 */
export function rawExchange(baseUrl: string, bytes: string | Buffer, timeoutMs = 5_000): Promise<{ status: number | undefined; text: string }> {
  const target = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(target.port), target.hostname);
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('raw exchange: no end of answer'));
    }, timeoutMs);
    socket.on('connect', () => socket.end(bytes));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => undefined); // a reset after the answer is fine; 'close' follows
    socket.on('close', () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('latin1');
      const match = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      resolve({ status: match?.[1] === undefined ? undefined : Number(match[1]), text });
    });
  });
}
