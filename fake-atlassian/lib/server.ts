/**
 * The fake Atlassian Cloud HTTP server: auth.atlassian.com + api.atlassian.com + `<site>.atlassian.net`
 * served from one loopback port. See fake-atlassian/index.ts for the URL layout.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

import { handleAuthorizeDecision, handleConsentAuthorize } from './consent.js';
import { handleAccessibleResources, handleAuthorize, handleMe, handleToken } from './oauth.js';
import { handleGateway, handleSite } from './products.js';
import { FakeState } from './state.js';
import type {
  AddOAuthClientInput,
  AddSiteInput,
  AddUserInput,
  ConsentInput,
  FakeAtlassianOptions,
  FakeFault,
  FakeRequest,
  FakeRequestMatch,
  FakeSite,
  FakeUser,
  RefreshTokenStatus,
} from './types.js';
import { ADMIN_PREFIX, handleAdmin } from './admin.js';
import {
  authKindOf,
  headerRecord,
  matches,
  parseAuthorization,
  queryRecord,
  readBody,
  send,
  sendJson,
  sleep,
  type Ctx,
} from './util.js';

interface ActiveFault { fault: FakeFault; remaining: number; hits: number }

export class FakeAtlassian {
  private readonly state: FakeState;
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private faults: ActiveFault[] = [];
  private port = 0;
  private readonly log: FakeRequest[] = [];
  private inFlightCount = 0;
  private maxInFlightCount = 0;
  private connections = 0;

  constructor(options: FakeAtlassianOptions = {}) {
    this.state = new FakeState(options);
  }

  // -------------------------------------------------------------------------------------------
  // lifecycle

  async start(port = 0): Promise<void> {
    if (this.server) throw new Error('FakeAtlassian already started');
    const server = createServer((req, res) => {
      void this.onRequest(req, res);
    });
    server.on('connection', (socket: Socket) => {
      this.connections++;
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    this.connections = 0;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.port = (server.address() as AddressInfo).port; // listening on TCP, so address() is an AddressInfo
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    await closed;
  }

  get baseUrl(): string {
    if (this.port === 0) throw new Error('FakeAtlassian not started');
    return `http://127.0.0.1:${this.port}`;
  }

  get authUrl(): string {
    return this.baseUrl;
  }

  get apiUrl(): string {
    return this.baseUrl;
  }

  get siteUrlTemplate(): string {
    return `${this.baseUrl}/site/{site}`;
  }

  /** `${baseUrl}/site/<host>` — where the fake serves `https://<host>`. */
  siteUrl(host: string): string {
    return `${this.baseUrl}/site/${host}`;
  }

  // -------------------------------------------------------------------------------------------
  // seeding

  addSite(s: AddSiteInput): FakeSite {
    return this.state.addSite(s);
  }

  getSite(host: string): FakeSite | undefined {
    return this.state.sitesByHost.get(host.toLowerCase());
  }

  addOAuthClient(c: AddOAuthClientInput): void {
    this.state.addOAuthClient(c);
  }

  addUser(u: AddUserInput): FakeUser {
    return this.state.addUser(u);
  }

  setConsent(c: ConsentInput): void {
    this.state.consent = { ...c };
  }

  // -------------------------------------------------------------------------------------------
  // faults and token manipulation

  injectFault(f: FakeFault): void {
    this.faults.push({ fault: f, remaining: f.times ?? 1, hits: 0 });
  }

  clearFaults(): void {
    this.faults = [];
  }

  expireAccessTokens(): void {
    this.state.expireAccessTokens();
  }

  revokeGrant(email: string): void {
    this.state.revokeGrant(email);
  }

  refreshTokenStatus(token: string): RefreshTokenStatus {
    return this.state.refreshTokenStatus(token);
  }

  // -------------------------------------------------------------------------------------------
  // observation

  get requests(): FakeRequest[] {
    return this.log;
  }

  clearRequests(): void {
    this.log.length = 0;
  }

  countRequests(match: FakeRequestMatch): number {
    return this.log.filter((r) => matches(match, r.method, r.path)).length;
  }

  get inFlight(): number {
    return this.inFlightCount;
  }

  get maxInFlight(): number {
    return this.maxInFlightCount;
  }

  resetMaxInFlight(): void {
    this.maxInFlightCount = this.inFlightCount;
  }

  get connectionCount(): number {
    return this.connections;
  }

  /** Points spent this hour (of the fake's clock) by an OAuth app, or by the app on one tenant. */
  pointsSpent(clientId: string, cloudId?: string): number {
    return this.state.points.pointsSpent(clientId, cloudId);
  }

  get tokenGrants(): { authorizationCode: number; refreshToken: number } {
    return { ...this.state.tokenGrants };
  }

  // -------------------------------------------------------------------------------------------
  // request handling

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.inFlightCount++;
    this.maxInFlightCount = Math.max(this.maxInFlightCount, this.inFlightCount);
    const entry: FakeRequest = {
      method: req.method ?? 'GET',
      path: '/',
      query: {},
      authKind: 'none',
      time: Date.now(),
      status: 0,
      headers: headerRecord(req),
      body: '',
    };
    res.on('finish', () => {
      entry.status = res.statusCode;
    });
    res.on('close', () => {
      this.inFlightCount--;
    });
    try {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      if (url.pathname.startsWith(ADMIN_PREFIX)) {
        await handleAdmin(this, req, res, url).catch((error: unknown) => sendJson(res, 400, { message: String(error) }));
        return;
      }
      const auth = parseAuthorization(req.headers.authorization);
      entry.path = url.pathname;
      entry.query = queryRecord(url.searchParams);
      entry.authKind = authKindOf(auth);
      this.log.push(entry);
      const method = entry.method.toUpperCase();
      const body = method === 'POST' || method === 'PUT' || method === 'PATCH' ? await readBody(req) : '';
      entry.body = body;
      if (!this.server) return;

      await sleep(this.state.opts.latencyMs, this.timers);
      const faultIdx = this.faults.findIndex((f) => f.remaining > 0 && matches(f.fault.match, method, url.pathname));
      const active = this.faults[faultIdx];
      if (active) {
        active.remaining--;
        if (active.remaining <= 0) this.faults.splice(faultIdx, 1);
        const f = active.fault;
        await sleep(f.delayMs ?? 0, this.timers);
        if (f.destroySocket === true) {
          req.socket.destroy();
          return;
        }
        if (f.hang === true) return;
        const hit = active.hits++;
        if (f.status !== undefined) return this.sendFault(res, f, f.status, hit);
        if (f.loseAnswer !== undefined) this.loseAnswer(req, res, f.loseAnswer);
      }
      const ctx: Ctx = { req, res, method, url, path: url.pathname, query: url.searchParams, auth, body };
      this.route(ctx);
    } catch (err) {
      if (!res.headersSent && !res.destroyed) {
        sendJson(res, 500, { code: 500, message: `fake-atlassian internal error: ${String(err)}` });
      }
    }
  }

  /** The handler still runs and changes the state; what it writes never leaves. */
  private loseAnswer(req: IncomingMessage, res: ServerResponse, how: 'hang' | 'destroySocket'): void {
    res.writeHead = (() => res) as unknown as ServerResponse['writeHead'];
    res.end = (() => {
      if (how === 'destroySocket') req.socket.destroy();
      return res;
    }) as unknown as ServerResponse['end'];
  }

  private sendFault(res: ServerResponse, f: FakeFault, status: number, hit: number): void {
    const headers: Record<string, string> = { ...(f.headers ?? {}) };
    const content = typeof f.body === 'function' ? f.body(hit) : f.body;
    const hasCt = Object.keys(headers).some((k) => k.toLowerCase() === 'content-type');
    let body = '';
    if (typeof content === 'string') {
      body = content;
      if (!hasCt) headers['Content-Type'] = 'text/plain;charset=UTF-8';
    } else if (content !== undefined) {
      body = JSON.stringify(content);
      if (!hasCt) headers['Content-Type'] = 'application/json;charset=UTF-8';
    } else if (!hasCt) {
      headers['Content-Type'] = 'text/plain;charset=UTF-8';
    }
    send(res, status, body, headers);
  }

  private route(ctx: Ctx): void {
    const p = ctx.path;
    if (p === '/authorize') {
      return this.state.opts.consentPage ? handleConsentAuthorize(this.state, ctx) : handleAuthorize(this.state, ctx);
    }
    if (p === '/authorize/decision' && this.state.opts.consentPage) return handleAuthorizeDecision(this.state, ctx);
    if (p === '/oauth/token') return handleToken(this.state, ctx);
    if (p === '/oauth/token/accessible-resources') return handleAccessibleResources(this.state, ctx);
    if (p === '/me') return handleMe(this.state, ctx);
    const gw = /^\/ex\/(jira|confluence)\/([^/]+)(\/.*)?$/.exec(p);
    if (gw) {
      const product = gw[1] === 'jira' ? 'jira' : 'confluence';
      return handleGateway(this.state, ctx, product, decodeURIComponent(gw[2] ?? ''), gw[3] ?? '/');
    }
    const site = /^\/site\/([^/]+)(\/.*)?$/.exec(p);
    if (site) return handleSite(this.state, ctx, decodeURIComponent(site[1] ?? ''), site[2] ?? '/');
    sendJson(ctx.res, 404, { code: 404, message: 'Not Found' });
  }
}
