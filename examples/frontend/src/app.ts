/**
 * The example page: connect Jira and Confluence (OAuth redirect or API token), show the session, list projects
 * and spaces, disconnect, log out. Every error is shown by its `code` (messages.ts).
 *
 * No inline script and no innerHTML: the page runs under `default-src 'self'` and never turns data into markup.
 */
import { ApiError, ConnectorClient, PRODUCT_NAMES, type Product, type ProductStatus, type SessionInfo } from './api.js';
import { describeError } from './messages.js';

const PRODUCTS: readonly Product[] = ['jira', 'confluence'];

function el<T extends HTMLElement = HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (found === null) throw new Error(`#${id} is missing from the page`);
  return found as T;
}

function make(tag: string, text?: string, className?: string): HTMLElement {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className !== undefined) node.className = className;
  return node;
}

function time(iso: string): string {
  return new Date(iso).toLocaleString();
}

const apiUrl = document.querySelector<HTMLMetaElement>('meta[name="connector-api-url"]')?.content.replace(/\/+$/, '') ?? '';
const api = new ConnectorClient(apiUrl);

// ---------------------------------------------------------------------------------------------
// notices

type NoticeArea = Product | 'session';

function notify(area: NoticeArea, kind: 'success' | 'error' | 'info', text: string, code?: string): void {
  const box = el(`${area}-notice`);
  box.replaceChildren(make('span', text));
  if (code !== undefined) box.append(' ', make('code', code, 'code'));
  box.className = `notice ${kind}`;
  box.setAttribute('role', kind === 'error' ? 'alert' : 'status');
  box.dataset['code'] = code ?? '';
  box.hidden = false;
}

function clearNotice(area: NoticeArea): void {
  const box = el(`${area}-notice`);
  box.hidden = true;
  box.replaceChildren();
}

/** Shows an error where it happened, then brings the page in line with what the error says about the session. */
function showError(area: NoticeArea, error: unknown): void {
  if (!(error instanceof ApiError)) {
    notify(area, 'error', 'Something went wrong in this page. See the browser console.');
    console.error(error);
    return;
  }
  const product = area === 'session' ? undefined : PRODUCT_NAMES[area];
  const text = describeError(error.code, error.message, {
    ...(product !== undefined ? { product } : {}),
    ...(error.retryAfterSeconds !== undefined ? { retryAfterSeconds: error.retryAfterSeconds } : {}),
    ...(error.fields !== undefined ? { fields: error.fields } : {}),
    ...(error.limit !== undefined ? { limit: error.limit } : {}),
    ...(error.site !== undefined ? { site: error.site } : {}),
    status: error.status,
    serviceUrl: api.baseUrl,
  });
  notify(area, 'error', text, error.code);
  if (error.code === 'invalid_session' || error.code === 'missing_session') renderSession(undefined);
  // The service has dropped (or never had) this product's connection: show the session as it is now.
  if (error.code === 'reauth_required' || error.code === 'not_connected') void refreshSession(false);
}

/** Disables the button while `work` runs, so a slow call cannot be sent twice. */
async function busy(button: HTMLButtonElement, label: string, work: () => Promise<void>): Promise<void> {
  const original = button.textContent;
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  button.textContent = label;
  try {
    await work();
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
    button.textContent = original;
  }
}

// ---------------------------------------------------------------------------------------------
// session

function describeConnection(status: ProductStatus): string {
  if (!status.connected) return 'Not connected';
  const how = status.method === 'oauth' ? 'OAuth' : 'an API token';
  const host = new URL(status.site.url).host;
  const where = status.site.name !== undefined ? `${status.site.name} (${host})` : host;
  return `Connected with ${how} to ${where}, since ${time(status.since)}`;
}

function renderSession(session: SessionInfo | undefined): void {
  const token = api.sessionToken;
  const active = session !== undefined && token !== null ? { session, token } : undefined;
  el('session-empty').hidden = active !== undefined;
  el('session-details').hidden = active === undefined;
  el('session-refresh').hidden = active === undefined;
  el('logout').hidden = active === undefined;
  const badge = el('session-badge');
  badge.textContent = active !== undefined ? `Session ${active.token.slice(0, 6)}…` : 'No session';
  badge.classList.toggle('active', active !== undefined);
  for (const product of PRODUCTS) {
    const status: ProductStatus = active?.session.products[product] ?? { connected: false };
    el(`session-${product}`).textContent = describeConnection(status);
    const pill = el(`${product}-status`);
    pill.textContent = status.connected
      ? `Connected · ${status.method === 'oauth' ? 'OAuth' : 'API token'} · ${new URL(status.site.url).host}`
      : 'Not connected';
    pill.classList.toggle('connected', status.connected);
    el(`${product}-disconnect`).hidden = !status.connected;
    el(`${product}-oauth`).textContent = `${status.connected ? 'Reconnect' : 'Connect'} ${PRODUCT_NAMES[product]} with Atlassian`;
    if (!status.connected) clearListing(product);
  }
  if (active !== undefined) {
    el('session-meta').textContent = `Token ${active.token.slice(0, 6)}… kept in sessionStorage. ` +
      `Started ${time(active.session.created_at)}; expires ${time(active.session.expires_at)} if left idle.`;
  }
}

async function refreshSession(reportErrors = true): Promise<void> {
  if (api.sessionToken === null) return renderSession(undefined);
  try {
    renderSession(await api.session());
  } catch (error) {
    if (reportErrors) showError('session', error);
    else if (error instanceof ApiError && error.code === 'invalid_session') renderSession(undefined);
  }
}

// ---------------------------------------------------------------------------------------------
// connect

async function connectWithOAuth(product: Product): Promise<void> {
  clearNotice(product);
  const site = el<HTMLInputElement>(`${product}-oauth-site`).value.trim();
  try {
    const authUrl = await api.startOAuth(product, site);
    // A top-level navigation, not fetch: the user signs in and consents on Atlassian's own page. The session
    // token from `start` is already in sessionStorage; the service sends the browser back to this page.
    window.location.assign(authUrl);
  } catch (error) {
    showError(product, error);
  }
}

async function connectWithToken(product: Product, form: HTMLFormElement): Promise<void> {
  clearNotice(product);
  const data = new FormData(form);
  const text = (name: string): string => String(data.get(name) ?? '').trim();
  try {
    const result = await api.loginWithApiToken(product, { email: text('email'), api_token: text('api_token'), site: text('site') });
    el<HTMLInputElement>(`${product}-api-token`).value = '';
    notify(product, 'success', `${PRODUCT_NAMES[product]} connected to ${new URL(result.site.url).host}.`);
    el<HTMLDetailsElement>(`${product}-token`).open = false;
    await refreshSession();
  } catch (error) {
    showError(product, error);
  }
}

/**
 * Back from Atlassian: the service redirected here with `?product=…&status=pending&completion=…` (or
 * `status=error&code=…`). Nothing is connected yet: this tab finishes the sign-in with its own session token, so
 * a sign-in someone else started (a link they sent) connects nothing, and the page says so.
 */
async function handleOAuthReturn(): Promise<void> {
  const params = new URLSearchParams(window.location.search);
  const status = params.get('status');
  if (status === null) return;
  // At once, before any request: the completion must not stay in the address bar, the history or a shared link.
  window.history.replaceState(null, '', window.location.pathname);
  const product = params.get('product');
  const area: NoticeArea = product === 'jira' || product === 'confluence' ? product : 'session';
  const completion = params.get('completion');
  if (status === 'pending' && completion !== null && area !== 'session') {
    try {
      await api.finishOAuth(completion);
      notify(area, 'success', `${PRODUCT_NAMES[area]} connected.`);
    } catch (error) {
      showError(area, error);
    }
    return;
  }
  const code = params.get('code') ?? 'unexpected_response';
  showError(area, new ApiError(code, code, 0));
}

// ---------------------------------------------------------------------------------------------
// listings

interface Row {
  readonly key: string;
  readonly name: string;
  readonly type: string;
  readonly url: string;
}

function renderListing(product: Product, rows: readonly Row[], total: number, noun: string, filtered: boolean): void {
  const counted = `${total} ${filtered ? 'matching ' : ''}${noun}${total === 1 ? '' : 's'}`;
  el(`${product}-count`).textContent = rows.length < total ? `${counted}, the first ${rows.length} shown` : counted;
  el(`${product}-rows`).replaceChildren(
    ...rows.map((row) => {
      const tr = make('tr');
      const name = make('td');
      const link = document.createElement('a');
      link.href = row.url;
      link.target = '_blank';
      link.rel = 'noopener noreferrer';
      link.textContent = row.name;
      name.append(link);
      tr.append(make('td', row.key, 'key'), name, make('td', row.type.replace(/_/g, ' ')));
      return tr;
    }),
  );
  el(`${product}-listing`).hidden = false;
}

function clearListing(product: Product): void {
  el(`${product}-listing`).hidden = true;
  // The filter is hidden with the listing: a search nobody can see must not narrow the next one.
  el<HTMLInputElement>(`${product}-filter`).value = '';
  el(`${product}-rows`).replaceChildren();
  el(`${product}-count`).textContent = '';
}

async function list(product: Product): Promise<void> {
  clearNotice(product);
  const q = el<HTMLInputElement>(`${product}-filter`).value;
  const filtered = q.trim() !== '';
  try {
    if (product === 'jira') {
      const { projects, total } = await api.projects(q);
      renderListing(product, projects, total, 'project', filtered);
    } else {
      const { spaces, total } = await api.spaces(q);
      renderListing(product, spaces, total, 'space', filtered);
    }
  } catch (error) {
    clearListing(product);
    showError(product, error);
  }
}

// ---------------------------------------------------------------------------------------------
// disconnect, log out

async function disconnect(product: Product): Promise<void> {
  clearNotice(product);
  try {
    await api.disconnect(product);
    notify(product, 'info', `${PRODUCT_NAMES[product]} disconnected. The session keeps the other product.`);
    await refreshSession();
  } catch (error) {
    showError(product, error);
  }
}

async function logout(): Promise<void> {
  for (const area of ['session', ...PRODUCTS] as const) clearNotice(area);
  try {
    await api.logout();
    notify('session', 'info', 'Logged out. The session and its connections are gone from the server.');
  } catch (error) {
    // The token is forgotten either way; an already ended session is logged out too.
    if (!(error instanceof ApiError && error.code === 'invalid_session')) showError('session', error);
  }
  renderSession(undefined);
}

// ---------------------------------------------------------------------------------------------
// wiring

function start(): void {
  el('service-url').textContent = apiUrl === '' ? '' : `Service: ${apiUrl}`;
  if (apiUrl === '') {
    notify('session', 'error', 'The page does not say where the connector is: set <meta name="connector-api-url">.');
    return;
  }
  for (const product of PRODUCTS) {
    const oauth = el<HTMLButtonElement>(`${product}-oauth`);
    oauth.addEventListener('click', () => void busy(oauth, 'Redirecting…', () => connectWithOAuth(product)));
    const form = el<HTMLFormElement>(`${product}-token-form`);
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const submit = form.querySelector<HTMLButtonElement>('button[type="submit"]');
      if (submit !== null) void busy(submit, 'Checking with Atlassian…', () => connectWithToken(product, form));
    });
    const listButton = el<HTMLButtonElement>(`${product}-list`);
    listButton.addEventListener('click', () => void busy(listButton, 'Loading…', () => list(product)));
    // Filtering is answered from the service's cached listing: no Atlassian call per keystroke, only a short pause.
    const filter = el<HTMLInputElement>(`${product}-filter`);
    let typing: ReturnType<typeof setTimeout> | undefined;
    filter.addEventListener('input', () => {
      clearTimeout(typing);
      typing = setTimeout(() => void list(product), 250);
    });
    const disconnectButton = el<HTMLButtonElement>(`${product}-disconnect`);
    disconnectButton.addEventListener('click', () => void busy(disconnectButton, 'Disconnecting…', () => disconnect(product)));
  }
  const refresh = el<HTMLButtonElement>('session-refresh');
  refresh.addEventListener('click', () => void busy(refresh, 'Refreshing…', () => refreshSession()));
  const logoutButton = el<HTMLButtonElement>('logout');
  logoutButton.addEventListener('click', () => void busy(logoutButton, 'Logging out…', logout));

  renderSession(undefined);
  void handleOAuthReturn().then(() => refreshSession());
}

start();
