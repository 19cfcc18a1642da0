import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Metrics } from '../../application/ports/metrics.js';

const SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export interface StoreGauges {
  readonly topology: string;
  readonly up: () => boolean;
  readonly replicationShortfalls: () => number;
}

/** Prometheus metrics on a registry of its own, so two containers in one process (tests) never share counters. */
export class PrometheusMetrics implements Metrics {
  private readonly registry = new Registry();
  private readonly requests: Histogram<'method' | 'route' | 'status'>;
  private readonly upstream: Histogram<'product' | 'outcome'>;
  // Each series looked up once: prom-client validates and hashes the label object on every observe otherwise.
  // As many as the label values, which are bounded (methods Node parses, route templates, statuses, outcomes).
  private readonly requestSeries = new Map<string, Histogram.Internal<'method' | 'route' | 'status'>>();
  private readonly upstreamSeries = new Map<string, Histogram.Internal<'product' | 'outcome'>>();
  private readonly upstreamRetries: Counter<'product'>;
  private readonly refreshes: Counter<'outcome'>;
  private readonly shed: Counter<'route'>;
  private readonly quotaBlocks: Counter<'scope'>;
  private readonly quotaRefusals: Counter<'product'>;
  private readonly pointsSpent: Counter<'product'>;
  private readonly quotaRemaining: Gauge<'scope'>;
  private readonly listingAnswers: Counter<'product' | 'outcome'>;

  /**
   * `liveSessions` is given when the store can count its sessions cheaply; `store` when sessions live in Redis
   * (its topology, whether it is connected, and how many token writes no replica acknowledged in time).
   */
  constructor(liveSessions?: () => number, store?: StoreGauges) {
    collectDefaultMetrics({ register: this.registry, prefix: 'connector_' });
    this.requests = new Histogram({
      name: 'connector_http_request_duration_seconds',
      help: 'HTTP requests served, by route template and status.',
      labelNames: ['method', 'route', 'status'],
      buckets: SECONDS,
      registers: [this.registry],
    });
    this.upstream = new Histogram({
      name: 'connector_upstream_call_duration_seconds',
      help: 'Calls to Atlassian, retries included, by product and outcome (status, timeout or network_error).',
      labelNames: ['product', 'outcome'],
      buckets: SECONDS,
      registers: [this.registry],
    });
    this.upstreamRetries = new Counter({
      name: 'connector_upstream_retries_total',
      help: 'Retries of calls to Atlassian, by product.',
      labelNames: ['product'],
      registers: [this.registry],
    });
    this.refreshes = new Counter({
      name: 'connector_token_refreshes_total',
      help: 'OAuth token refreshes by outcome: refreshed, refused (the user must reconnect) or failed (kept, retry later).',
      labelNames: ['outcome'],
      registers: [this.registry],
    });
    this.shed = new Counter({
      name: 'connector_requests_shed_total',
      help: 'Requests refused with 503 overloaded (too many listings of one session, or too many calls to Atlassian), by route template.',
      labelNames: ['route'],
      registers: [this.registry],
    });
    this.quotaBlocks = new Counter({
      name: 'connector_quota_blocks_total',
      help: 'Atlassian points quotas found spent, by scope: global (the whole OAuth app) or tenant (one cloudId).',
      labelNames: ['scope'],
      registers: [this.registry],
    });
    this.quotaRefusals = new Counter({
      name: 'connector_quota_refused_calls_total',
      help: 'Calls to Atlassian not made because their points quota is spent until the reset, by product.',
      labelNames: ['product'],
      registers: [this.registry],
    });
    this.pointsSpent = new Counter({
      name: 'connector_atlassian_points_spent_total',
      help: 'Estimated Atlassian quota points spent by OAuth calls (1 per request + 1 per object listed), by product.',
      labelNames: ['product'],
      registers: [this.registry],
    });
    this.quotaRemaining = new Gauge({
      name: 'connector_atlassian_quota_remaining',
      help: 'The last remaining points Atlassian reported for a quota (sent only once about 80 % is spent), by scope.',
      labelNames: ['scope'],
      registers: [this.registry],
    });
    this.listingAnswers = new Counter({
      name: 'connector_listing_cache_answers_total',
      help: 'Listings answered, by product and outcome: hit (cached, within the TTL), miss (read from Atlassian) or stale.',
      labelNames: ['product', 'outcome'],
      registers: [this.registry],
    });
    if (liveSessions !== undefined) {
      new Gauge({
        name: 'connector_live_sessions',
        help: 'Sessions held by this instance (memory store only).',
        registers: [this.registry],
        collect() {
          this.set(liveSessions());
        },
      });
    }
    if (store !== undefined) {
      new Gauge({
        name: 'connector_store_up',
        help: 'Whether this instance is connected to its Redis (1) or not (0), by topology: single, sentinel or cluster.',
        labelNames: ['topology'],
        registers: [this.registry],
        collect() {
          this.set({ topology: store.topology }, store.up() ? 1 : 0);
        },
      });
      new Counter({
        name: 'connector_store_replication_shortfalls_total',
        help: 'Writes of OAuth tokens that no replica acknowledged within REDIS_WAIT_TIMEOUT_MS (they stand on the primary).',
        registers: [this.registry],
        collect() {
          this.reset();
          this.inc(store.replicationShortfalls());
        },
      });
    }
  }

  requestFinished(request: { method: string; route: string; status: number; durationMs: number }): void {
    const { method, route } = request;
    const status = String(request.status);
    seriesOf(this.requestSeries, `${method} ${route} ${status}`, () => this.requests.labels(method, route, status)).observe(request.durationMs / 1000);
  }

  upstreamCall(call: { product: string; outcome: string; retries: number; durationMs: number }): void {
    const { product, outcome } = call;
    seriesOf(this.upstreamSeries, `${product} ${outcome}`, () => this.upstream.labels(product, outcome)).observe(call.durationMs / 1000);
    if (call.retries > 0) this.upstreamRetries.inc({ product: call.product }, call.retries);
  }

  tokenRefresh(outcome: 'refreshed' | 'refused' | 'failed'): void {
    this.refreshes.inc({ outcome });
  }

  requestShed(route: string): void {
    this.shed.inc({ route });
  }

  quotaBlocked(scope: 'global' | 'tenant'): void {
    this.quotaBlocks.inc({ scope });
  }

  quotaRefusedCall(product: string): void {
    this.quotaRefusals.inc({ product });
  }

  atlassianPointsSpent(product: string, points: number): void {
    this.pointsSpent.inc({ product }, points);
  }

  atlassianQuotaRemaining(scope: 'global' | 'tenant', points: number): void {
    this.quotaRemaining.set({ scope }, points);
  }

  listingCacheAnswer(answer: { product: string; outcome: 'hit' | 'miss' | 'stale' }): void {
    this.listingAnswers.inc({ product: answer.product, outcome: answer.outcome });
  }

  /** The Prometheus text exposition of everything counted: what GET /metrics serves. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

/** The series of one label set, made on first use and kept (see `requestSeries`). */
function seriesOf<T>(series: Map<string, T>, key: string, make: () => T): T {
  let found = series.get(key);
  if (found === undefined) {
    found = make();
    series.set(key, found);
  }
  return found;
}

/** For METRICS_ENABLED=false: counts nothing. */
export class NoMetrics implements Metrics {
  requestFinished(): void {}
  upstreamCall(): void {}
  tokenRefresh(): void {}
  requestShed(): void {}
  quotaBlocked(): void {}
  quotaRefusedCall(): void {}
  atlassianPointsSpent(): void {}
  atlassianQuotaRemaining(): void {}
  listingCacheAnswer(): void {}
}
