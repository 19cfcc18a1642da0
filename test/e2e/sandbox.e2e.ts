/**
 * The example frontend in a real browser (Debian's Chromium, driven by playwright-core) against the sandbox:
 * the fake Atlassian with its consent page, the service as its own process, the page served under its CSP.
 * Run by `npm run test:e2e`; not part of `npm test`. Saves docs/screenshot.png and docs/screenshot-phone.png.
 */
import { mkdir } from 'node:fs/promises';
import { get as httpGet } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { expect } from 'chai';
import { chromium, type Browser, type Page } from 'playwright-core';

import { ERROR_MESSAGES, API_ERROR_CODES } from '../../examples/frontend/src/messages.js';
import { contentSecurityPolicy } from '../../sandbox/frontend-server.js';
import { startSandbox, type Sandbox } from '../../sandbox/sandbox.js';
import { DEMO_USER, OAUTH_APP, SITES } from '../../sandbox/seed.js';
import { STATUS_OF } from '../../src/http/error-answers.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH, requireChromium } from '../support/chromium.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SCREENSHOT = path.join(root, 'docs', 'screenshot.png');
const PHONE_SCREENSHOT = path.join(root, 'docs', 'screenshot-phone.png');
const PHONE_WIDTH = 390;
const TOKEN_KEY = 'atlassian-connector.session-token';

describe('example frontend: error messages', () => {
  it('has a message for every error code the API can answer, and no other', () => {
    const apiCodes = Object.keys(STATUS_OF).sort();
    expect([...API_ERROR_CODES].sort()).to.deep.equal(apiCodes);
    for (const code of apiCodes) expect(ERROR_MESSAGES, code).to.have.property(code);
    for (const [code, message] of Object.entries(ERROR_MESSAGES)) {
      expect(message({ product: 'Jira' }), code).to.match(/^[A-Z].{20,}[.?]$/);
    }
  });

  it("names the right party: the connector's failed sign-in limit is not Atlassian's, Atlassian's limit is Atlassian's", () => {
    const own = ERROR_MESSAGES.rate_limited({ product: 'Jira', limit: 'failed_sign_ins', retryAfterSeconds: 42 });
    expect(own).to.match(/too many failed sign-in attempts from this address/i);
    expect(own).to.include("the connector's own limit, not Atlassian's");
    expect(own).to.include('in 42 seconds');
    const atlassian = ERROR_MESSAGES.rate_limited({ product: 'Jira', retryAfterSeconds: 5 });
    expect(atlassian).to.match(/^Atlassian is limiting requests to Jira/);
    expect(atlassian).to.include('in 5 seconds');
  });

  it('names the site that refused the credentials, and says what to fix in a field in plain words', () => {
    expect(ERROR_MESSAGES.invalid_credentials({ product: 'Jira', site: 'acme.atlassian.net' })).to.include('for Jira on acme.atlassian.net');
    const fields = ERROR_MESSAGES.validation_error({
      fields: [
        { field: 'email', message: 'Invalid email address' },
        { field: 'api_token', message: 'Too small: expected string to have >=1 characters' },
      ],
    });
    expect(fields).to.equal(
      'Please check the form: enter the email address of your Atlassian account, such as ada@example.com; paste an API token created at id.atlassian.com.',
    );
    expect(fields).not.to.match(/Invalid|expected|>=|api_token/);
  });
});

describe('sandbox: the example frontend in Chromium', function () {
  let sandbox: Sandbox | undefined;
  let browser: Browser | undefined;
  let page: Page;
  const sandboxLog: string[] = [];
  /** Script errors and CSP violations; failed requests (the 401s the flow provokes) are expected. */
  const pageProblems: string[] = [];

  before(async function () {
    requireChromium(this);
    sandbox = await startSandbox({ ports: { frontend: 0, service: 0, fake: 0 }, log: (line) => sandboxLog.push(line) });
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.on('console', (message) => {
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) pageProblems.push(message.text());
    });
    page.on('pageerror', (error) => pageProblems.push(String(error)));
  });

  after(async () => {
    await browser?.close();
    await sandbox?.stop();
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed') {
      console.log(`--- sandbox output ---\n${sandboxLog.join('\n')}\n--- page problems ---\n${pageProblems.join('\n')}`);
    }
  });

  const running = (): Sandbox => {
    if (!sandbox) throw new Error('sandbox not started');
    return sandbox;
  };

  /** Waits until the element's text equals (string) or matches (RegExp) `expected`, on `on` (default: the main page). */
  async function expectText(selector: string, expected: string | RegExp, timeoutMs = 10_000, on: Page = page): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let actual: string | null = null;
    while (Date.now() < deadline) {
      actual = (await on.locator(selector).textContent({ timeout: timeoutMs }))?.trim() ?? null;
      if (actual !== null && (typeof expected === 'string' ? actual === expected : expected.test(actual))) return;
      await on.waitForTimeout(50);
    }
    expect.fail(`${selector}: expected ${String(expected)}, got ${JSON.stringify(actual)}`);
  }

  // A string, not a function: this file is type-checked without the DOM library.
  const storedToken = (): Promise<string | null> => page.evaluate<string | null>(`sessionStorage.getItem(${JSON.stringify(TOKEN_KEY)})`);

  it('serves the page under its CSP, with no session yet', async () => {
    const { frontendUrl, serviceUrl } = running();
    const response = await page.goto(frontendUrl);
    expect(response?.status()).to.equal(200);
    expect(response?.headers()['content-security-policy']).to.equal(contentSecurityPolicy(serviceUrl));
    expect(contentSecurityPolicy(serviceUrl)).to.equal(`default-src 'self'; connect-src ${serviceUrl}`);
    await expectText('#session-badge', 'No session');
    expect(await page.isVisible('#session-empty')).to.equal(true);
    // sessionStorage is per origin: the page is only served on the origin the service returns the browser to.
    const port = new URL(frontendUrl).port;
    const other = await new Promise<{ status?: number; location?: string }>((resolve, reject) => {
      httpGet({ host: '127.0.0.1', port, path: '/?x=1', headers: { Host: `localhost:${port}` } }, (res) => {
        res.resume();
        resolve({ status: res.statusCode, location: res.headers.location });
      }).on('error', reject);
    });
    expect(other).to.deep.equal({ status: 307, location: `${frontendUrl}?x=1` });
    await expectText('#jira-status', 'Not connected');
    expect(await storedToken()).to.equal(null);
  });

  it('connects Jira through the OAuth redirect, the consent page and the completion step', async () => {
    const { fakeUrl, frontendUrl, fake } = running();
    // What the address bar says when the page sends the completion step: it must be clean by then.
    const addressAtFinish: string[] = [];
    await page.route('**/auth/oauth/complete', async (route) => {
      if (route.request().method() === 'POST') addressAtFinish.push(page.url());
      await route.continue();
    });
    await page.click('#jira-oauth');
    await page.waitForURL((url) => url.origin === new URL(fakeUrl).origin && url.pathname === '/authorize');
    await expectText('#consent-title', `${OAUTH_APP.name} wants access to your Atlassian account`);
    await expectText('#signed-in-as', `Signed in as ${DEMO_USER.displayName} (${DEMO_USER.email})`);
    const options = await page.locator('#site option').all();
    const sites = await Promise.all(options.map((option) => option.getAttribute('value')));
    expect(sites).to.deep.equal([SITES.acme.host, SITES.globex.host]);
    expect(await page.inputValue('#site')).to.equal(SITES.acme.host);

    await page.click('#allow');
    await page.waitForURL((url) => url.origin === new URL(frontendUrl).origin);
    await expectText('#jira-notice', 'Jira connected.');
    expect(page.url(), 'the outcome is removed from the address').to.equal(frontendUrl);
    expect(addressAtFinish, 'one completion step, sent after the completion left the address bar').to.deep.equal([frontendUrl]);
    await page.unroute('**/auth/oauth/complete');
    await expectText('#jira-status', `Connected · OAuth · ${SITES.acme.host}`);
    await expectText('#session-jira', new RegExp(`^Connected with OAuth to ${SITES.acme.name} \\(${SITES.acme.host}\\), since `));
    expect(await storedToken()).to.match(/^[A-Za-z0-9_-]{43}$/);
    expect(fake.tokenGrants.authorizationCode).to.equal(1);
  });

  it('connects Confluence with the API-token form, in the same session', async () => {
    const before = await storedToken();
    await page.click('#confluence-token summary');
    await page.fill('#confluence-email', DEMO_USER.email);
    await page.fill('#confluence-api-token', DEMO_USER.apiToken);
    await page.click('#confluence-token-form button[type="submit"]');
    await expectText('#confluence-notice', `Confluence connected to ${SITES.acme.host}.`);
    await expectText('#confluence-status', `Connected · API token · ${SITES.acme.host}`);
    expect(await storedToken()).to.equal(before);
    expect(await page.inputValue('#confluence-api-token'), 'the token field is emptied').to.equal('');
  });

  it('shows the session with both products', async () => {
    expect(await page.isVisible('#session-details')).to.equal(true);
    await expectText('#session-jira', /^Connected with OAuth to Acme/);
    await expectText('#session-confluence', new RegExp(`^Connected with an API token to ${SITES.acme.host}, since `));
    await expectText('#session-meta', /kept in sessionStorage\. Started .+; expires .+ if left idle\.$/);
    await expectText('#session-badge', /^Session [A-Za-z0-9_-]{6}…$/);
  });

  it('lists every Jira project and Confluence space of the site', async () => {
    await page.click('#jira-list');
    await expectText('#jira-count', `${SITES.acme.projects.length} projects`);
    expect(SITES.acme.projects.length).to.equal(120);
    expect(await page.locator('#jira-rows tr').count()).to.equal(SITES.acme.projects.length);
    await expectText('#jira-rows tr:has(td.key:text-is("APP")) a', 'Mobile app');
    await expectText('#jira-rows tr:has(td.key:text-is("TUNRS")) a', 'Tundra research');

    await page.click('#confluence-list');
    await expectText('#confluence-count', `${SITES.acme.spaces.length} spaces`);
    expect(await page.locator('#confluence-rows tr').count()).to.equal(SITES.acme.spaces.length);
    await expectText('#confluence-rows tr:has(td.key:text-is("ENG")) a', 'Engineering');

    await mkdir(path.dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
  });

  it(`fits a ${PHONE_WIDTH} px wide phone screen: nothing scrolls sideways`, async () => {
    await page.setViewportSize({ width: PHONE_WIDTH, height: 844 });
    try {
      await page.click('#jira-token summary');
      const scrollWidth = await page.evaluate<number>('document.documentElement.scrollWidth');
      expect(scrollWidth, 'the page is wider than the screen').to.be.at.most(PHONE_WIDTH);
      await page.screenshot({ path: PHONE_SCREENSHOT, fullPage: true });
      await page.click('#jira-token summary');
    } finally {
      await page.setViewportSize({ width: 1280, height: 900 });
    }
  });

  it('says clearly when Atlassian refuses an API token, and keeps the connection', async () => {
    await page.click('#confluence-token summary');
    await page.fill('#confluence-email', DEMO_USER.email);
    await page.fill('#confluence-api-token', 'not-the-right-token');
    await page.click('#confluence-token-form button[type="submit"]');
    // The form left the site empty: the message names the server's default site, which refused.
    await expectText('#confluence-notice', `${ERROR_MESSAGES.invalid_credentials({ product: 'Confluence', site: SITES.acme.host })} invalid_credentials`);
    expect(await page.getAttribute('#confluence-notice', 'role')).to.equal('alert');
    await page.click('#session-refresh');
    await expectText('#session-confluence', /^Connected with an API token/);
  });

  it('disconnects Jira and keeps Confluence', async () => {
    await page.click('#jira-disconnect');
    await expectText('#jira-notice', 'Jira disconnected. The session keeps the other product.');
    await expectText('#session-jira', 'Not connected');
    await expectText('#jira-status', 'Not connected');
    expect(await page.isVisible('#jira-listing')).to.equal(false);
    await expectText('#session-confluence', /^Connected with an API token/);

    await page.click('#jira-list');
    await expectText('#jira-notice', `${ERROR_MESSAGES.not_connected({ product: 'Jira' })} not_connected`);
  });

  it('logs out: the page forgets the token and the service the session', async () => {
    const { serviceUrl } = running();
    const token = await storedToken();
    expect(token).to.be.a('string');
    await page.click('#logout');
    await expectText('#session-notice', 'Logged out. The session and its connections are gone from the server.');
    await expectText('#session-badge', 'No session');
    expect(await page.isVisible('#session-empty')).to.equal(true);
    expect(await storedToken()).to.equal(null);
    await expectText('#confluence-status', 'Not connected');

    const response = await fetch(`${serviceUrl}/auth/session`, { headers: { 'X-Session-Token': token ?? '' } });
    expect(response.status).to.equal(401);
    expect(((await response.json()) as { error: { code: string } }).error.code).to.equal('invalid_session');
  });

  it('says clearly when the user denies access on the consent page', async () => {
    const { frontendUrl } = running();
    await page.click('#jira-oauth');
    await page.waitForURL((url) => url.pathname === '/authorize');
    await page.click('#deny');
    await page.waitForURL((url) => url.origin === new URL(frontendUrl).origin);
    await expectText('#jira-notice', `${ERROR_MESSAGES.oauth_denied({ product: 'Jira' })} oauth_denied`);
    await expectText('#jira-status', 'Not connected');
  });

  it("a sign-in link sent to someone else: the colleague's browser consents, the attacker's session stays not_connected", async () => {
    const { serviceUrl, frontendUrl, fake } = running();
    // The attacker starts a sign-in and sends its auth_url to a colleague.
    const start = await fetch(`${serviceUrl}/auth/jira/oauth/start`);
    const attackerToken = start.headers.get('x-session-token') ?? '';
    const { auth_url: authUrl } = (await start.json()) as { auth_url: string };
    const codesRedeemed = fake.tokenGrants.authorizationCode;

    // The colleague: another, independent browser context (its own storage), signed in to Atlassian.
    const colleague = await browser!.newContext({ viewport: { width: 1280, height: 900 } });
    try {
      const colleaguePage = await colleague.newPage();
      colleaguePage.on('pageerror', (error) => pageProblems.push(`colleague: ${String(error)}`));
      await colleaguePage.goto(authUrl);
      await expectText('#consent-title', `${OAUTH_APP.name} wants access to your Atlassian account`, 10_000, colleaguePage);
      await colleaguePage.click('#allow');
      await colleaguePage.waitForURL((url) => url.origin === new URL(frontendUrl).origin);
      await expectText(
        '#jira-notice',
        `${ERROR_MESSAGES.completion_session_mismatch({ product: 'Jira' })} completion_session_mismatch`,
        10_000,
        colleaguePage,
      );
      expect(colleaguePage.url(), 'the completion is removed from the address').to.equal(frontendUrl);
      await expectText('#jira-status', 'Not connected', 10_000, colleaguePage);
    } finally {
      await colleague.close();
    }

    expect(fake.tokenGrants.authorizationCode, "the colleague's consent was real: its code was redeemed").to.equal(codesRedeemed + 1);
    const session = await fetch(`${serviceUrl}/auth/session`, { headers: { 'X-Session-Token': attackerToken } });
    expect(session.status).to.equal(200);
    const products = ((await session.json()) as { products: Record<string, { connected: boolean }> }).products;
    expect(products['jira']?.connected, "the attacker's session").to.equal(false);
    const listing = await fetch(`${serviceUrl}/jira/projects`, { headers: { 'X-Session-Token': attackerToken } });
    expect(listing.status).to.equal(403);
    expect(((await listing.json()) as { error: { code: string } }).error.code).to.equal('not_connected');
  });

  it('ran without a script error or a CSP violation', () => {
    expect(pageProblems).to.deep.equal([]);
  });
});
