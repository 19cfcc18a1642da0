/**
 * Atlassian's 2026 points quotas (docs/atlassian.md §9) for the fake: every OAuth (Bearer) call through the gateway
 * costs 1 point plus 1 per object listed, charged to the OAuth app (`global`, Tier 1: one pool shared by all
 * tenants) and to the app on that tenant (`tenant`, Tier 2). A spent quota refuses every call in its scope until
 * the top of the next UTC hour of the fake's clock, with a 429 carrying the reason and reset headers. API-token
 * (Basic) calls are not counted.
 */
import type { FakeProduct, FakeQuotaOptions } from './types.js';

const HOUR_MS = 3_600_000;
/** Atlassian sends `r` only once about 80 % of a quota is spent. */
const NEAR_LIMIT = 0.8;

export type QuotaScopeName = 'global' | 'tenant';

export interface QuotaCaller {
  readonly clientId: string;
  readonly cloudId: string;
  readonly product: FakeProduct;
}

export class PointsLedger {
  private hour = Number.NaN;
  /** `global|<clientId>` and `tenant|<clientId>|<cloudId>` → points spent this hour. */
  private readonly spent = new Map<string, number>();
  private answers = 0;

  constructor(
    private readonly options: FakeQuotaOptions,
    private readonly now: () => number,
  ) {}

  get enabled(): boolean {
    return this.options.global !== undefined || this.options.tenant !== undefined || this.options.betaTenant !== undefined;
  }

  pointsSpent(clientId: string, cloudId?: string): number {
    this.roll();
    return this.spent.get(cloudId === undefined ? globalKey(clientId) : tenantKey(clientId, cloudId)) ?? 0;
  }

  /** The enforced quota this caller has spent, if any: the app's pool first (it stops every tenant). */
  exhausted(caller: QuotaCaller): QuotaScopeName | undefined {
    this.roll();
    if (this.over(this.options.global, globalKey(caller.clientId))) return 'global';
    if (this.over(this.options.tenant, tenantKey(caller.clientId, caller.cloudId))) return 'tenant';
    return undefined;
  }

  charge(caller: QuotaCaller, points: number): void {
    this.roll();
    for (const key of [globalKey(caller.clientId), tenantKey(caller.clientId, caller.cloudId)]) {
      this.spent.set(key, (this.spent.get(key) ?? 0) + points);
    }
  }

  /** Every other answer lists its entries the other way round, so clients must read headers as lists in any order. */
  nextOrder(): boolean {
    return this.answers++ % 2 === 1;
  }

  /** Headers of a served answer: the policies, and the remaining points once near a limit; Beta- forms for betaTenant. */
  answerHeaders(caller: QuotaCaller, reversed: boolean): Record<string, string> {
    this.roll();
    const reset = this.secondsToReset();
    const quotas = this.quotas(caller);
    const headers: Record<string, string> = {};
    if (quotas.length > 0) {
      const ordered = (entries: string[]) => (reversed ? [...entries].reverse() : entries);
      headers['RateLimit-Policy'] = ordered(quotas.map((q) => `"${q.name}";q=${q.limit};w=3600`)).join(', ');
      headers['RateLimit'] = ordered(quotas.map((q) => (q.spent >= q.limit * NEAR_LIMIT ? `"${q.name}";r=${Math.max(0, q.limit - q.spent)};t=${reset}` : `"${q.name}";t=${reset}`))).join(', ');
    }
    const beta = this.options.betaTenant;
    if (beta !== undefined) {
      const spent = this.spent.get(tenantKey(caller.clientId, caller.cloudId)) ?? 0;
      headers['Beta-RateLimit-Policy'] = `"tenant-app-quota";q=${beta};w=3600`;
      if (spent >= beta * NEAR_LIMIT) headers['Beta-RateLimit'] = `"tenant-app-quota";r=${Math.max(0, beta - spent)};t=${reset}`;
      if (spent >= beta) {
        headers['X-Beta-RateLimit-Reason'] = `${caller.product}-quota-tenant-based`;
        headers['Beta-Retry-After'] = String(reset);
      }
    }
    return headers;
  }

  /** The 429 of a spent quota. After exhaustion the policy header may be missing (docs/atlassian.md §9): it is left out. */
  refusalHeaders(caller: QuotaCaller, scope: QuotaScopeName): Record<string, string> {
    const reset = this.secondsToReset();
    return {
      'RateLimit-Reason': `${caller.product}-quota-${scope}-based`,
      RateLimit: `"${scope}-app-quota";r=0;t=${reset}`,
      'Retry-After': String(reset),
      // ISO 8601 to the minute, as Jira writes it (yyyy-MM-ddTHH:mmZ).
      'X-RateLimit-Reset': `${new Date(this.nextHour()).toISOString().slice(0, 16)}Z`,
    };
  }

  private quotas(caller: QuotaCaller): { name: string; limit: number; spent: number }[] {
    const out: { name: string; limit: number; spent: number }[] = [];
    const { global, tenant } = this.options;
    if (global !== undefined) out.push({ name: 'global-app-quota', limit: global, spent: this.spent.get(globalKey(caller.clientId)) ?? 0 });
    if (tenant !== undefined) out.push({ name: 'tenant-app-quota', limit: tenant, spent: this.spent.get(tenantKey(caller.clientId, caller.cloudId)) ?? 0 });
    return out;
  }

  private over(limit: number | undefined, key: string): boolean {
    return limit !== undefined && (this.spent.get(key) ?? 0) >= limit;
  }

  private nextHour(): number {
    return Math.floor(this.now() / HOUR_MS) * HOUR_MS + HOUR_MS;
  }

  private secondsToReset(): number {
    return Math.max(1, Math.ceil((this.nextHour() - this.now()) / 1000));
  }

  /** Quotas reset at the top of each UTC hour. */
  private roll(): void {
    const hour = Math.floor(this.now() / HOUR_MS);
    if (hour !== this.hour) {
      this.hour = hour;
      this.spent.clear();
    }
  }
}

function globalKey(clientId: string): string {
  return `global|${clientId}`;
}

function tenantKey(clientId: string, cloudId: string): string {
  return `tenant|${clientId}|${cloudId}`;
}
