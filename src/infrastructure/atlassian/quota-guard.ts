import type { Clock } from '../../application/ports/clock.js';
import type { Logger } from '../../application/ports/logger.js';
import type { Metrics } from '../../application/ports/metrics.js';
import { RetryableError } from '../../domain/errors.js';
import type { QuotaBlocks } from '../quota/quota-blocks.js';
import { readBetaExhausted, readRateLimit, readRemaining, type HeaderSource } from './rate-limit-headers.js';

export interface QuotaGuardSettings {
  /** The OAuth app (client id) whose points a Bearer call of each product spends; the same app may serve both. */
  readonly clientIds: Readonly<Partial<Record<string, string>>>;
  /** The longest a call waits for an endpoint paused after a burst 429; a longer pause answers 429 at once. */
  readonly maxBurstWaitMs: number;
}

/** What AtlassianHttp knows about a call: enough to tell whose quota it spends. */
export interface QuotaTarget {
  readonly url: string;
  readonly authorization?: string;
  readonly product?: string;
}

export interface QuotaVerdict {
  /** A points quota is spent: retrying cannot help before the reset, up to an hour away. */
  readonly final: true;
  /** Until the reset: what the client is told to wait. */
  readonly retryAfterMs: number;
}

type QuotaMetrics = Pick<Metrics, 'quotaBlocked' | 'quotaRefusedCall' | 'atlassianPointsSpent' | 'atlassianQuotaRemaining'>;

/** Pauses are per endpoint and site; stale ones are swept once the map grows past this. */
const MAX_PAUSES = 1_000;
/** A Beta- limit, once passed, is reported on every answer until the reset: one log line a minute says it. */
const BETA_LOG_INTERVAL_MS = 60_000;

/**
 * Keeps the service within Atlassian's 2026 limits (docs/atlassian.md, "Rate limits and the 2026 points quota").
 * A quota reason on a 429 records a block in the shared `QuotaBlocks` for the whole OAuth app (`global`) or one
 * cloudId (`tenant`); until the reset no OAuth call in that scope is made and each answers `rate_limited` with the
 * seconds left. API-token calls spend no points, so no quota block ever stops them. A burst reason pauses that
 * endpoint of that site in this process only: the pause is a second or two, not worth a Redis round trip per call.
 */
export class QuotaGuard {
  private readonly pauses = new Map<string, number>();
  private betaLoggedAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly blocks: QuotaBlocks,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly metrics: QuotaMetrics,
    private readonly settings: QuotaGuardSettings,
  ) {}

  /**
   * Before each attempt: throws `rate_limited` without any call when the call's quota scope is blocked, or when
   * its endpoint is paused for longer than may be waited; otherwise answers how long to wait first (0 or a pause).
   */
  async admit(target: QuotaTarget, remainingMs: number): Promise<number> {
    const now = this.clock.now();
    const scopes = scopesOf(target, this.settings.clientIds);
    if (scopes !== undefined) {
      const until = await this.blocks.blockedUntil(scopes.all).catch((error: unknown) => this.storeFailed(error));
      if (until !== undefined && until > now) {
        this.metrics.quotaRefusedCall(target.product ?? 'atlassian');
        throw quotaSpent(until - now);
      }
    }
    if (this.pauses.size === 0) return 0;
    const pausedUntil = this.pauses.get(endpointOf(target.url));
    if (pausedUntil === undefined || pausedUntil <= now) return 0;
    const waitMs = pausedUntil - now;
    if (waitMs > this.settings.maxBurstWaitMs || waitMs >= remainingMs) throw burstLimited(waitMs);
    return waitMs;
  }

  /**
   * After each answer: counts the points it cost and the quota left, and on a 429 reads why. A quota reason
   * records the block and ends the call (`final`); a burst reason pauses the endpoint and leaves the retry to
   * the retry policy.
   */
  async observe(target: QuotaTarget, response: { status: number; headers: HeaderSource; body: unknown }): Promise<QuotaVerdict | undefined> {
    const now = this.clock.now();
    // Only a refusal is read whole. Any other answer can say only how many points are left (which matters to an
    // OAuth call alone) and that a Beta- limit was passed: two or three header reads, not eight, on nearly every answer.
    const reading = response.status === 429 ? readRateLimit(response.headers, now) : undefined;
    const scopes = scopesOf(target, this.settings.clientIds);
    if (scopes !== undefined) {
      if (reading === undefined) this.metrics.atlassianPointsSpent(target.product ?? 'atlassian', 1 + objectsIn(response.body));
      const remaining = reading?.remaining ?? readRemaining(response.headers);
      for (const [scope, points] of Object.entries(remaining)) this.metrics.atlassianQuotaRemaining(scope as 'global' | 'tenant', points);
    }
    const betaExhausted = reading === undefined ? readBetaExhausted(response.headers) : reading.beta.exhausted;
    if (betaExhausted !== undefined && now - this.betaLoggedAt >= BETA_LOG_INTERVAL_MS) {
      this.betaLoggedAt = now;
      this.logger.info({ product: target.product, limit: betaExhausted }, 'Atlassian would have rate-limited this call under a limit not yet enforced (Beta- headers)');
    }
    if (reading?.exhausted === undefined || reading.resetAt === undefined) return undefined;
    if (reading.exhausted === 'burst') {
      this.pause(endpointOf(target.url), reading.resetAt);
      return undefined;
    }
    const scope = reading.exhausted === 'global' ? scopes?.global : scopes?.tenant;
    if (scope !== undefined) {
      await this.blocks.block(scope, reading.resetAt).catch((error: unknown) => this.storeFailed(error));
      this.metrics.quotaBlocked(reading.exhausted);
      this.logger.warn(
        { product: target.product, scope: reading.exhausted, until: new Date(reading.resetAt).toISOString() },
        'Atlassian points quota spent: no call in this scope until the reset',
      );
    }
    return { final: true, retryAfterMs: reading.resetAt - now };
  }

  private pause(endpoint: string, until: number): void {
    if (this.pauses.size >= MAX_PAUSES) {
      const now = this.clock.now();
      for (const [key, end] of this.pauses) if (end <= now) this.pauses.delete(key);
      if (this.pauses.size >= MAX_PAUSES) this.pauses.clear();
    }
    this.pauses.set(endpoint, Math.max(until, this.pauses.get(endpoint) ?? 0));
  }

  /** A store that cannot be reached blocks nothing: Atlassian still enforces its quota, so the worst case is a refused call. */
  private storeFailed(error: unknown): undefined {
    this.logger.warn({ err: { message: error instanceof Error ? error.message : String(error) } }, 'quota block store unavailable');
    return undefined;
  }
}

/** Quota scopes exist only for OAuth (Bearer) calls of a product whose app is known; API tokens spend no points. */
function scopesOf(target: QuotaTarget, clientIds: QuotaGuardSettings['clientIds']): { global: string; tenant?: string; all: string[] } | undefined {
  if (target.authorization?.startsWith('Bearer ') !== true || target.product === undefined) return undefined;
  const clientId = clientIds[target.product];
  if (clientId === undefined) return undefined;
  const global = `global:${clientId}`;
  const cloudId = /\/ex\/[a-z]+\/([^/?#]+)/.exec(target.url)?.[1];
  if (cloudId === undefined) return { global, all: [global] };
  const tenant = `tenant:${clientId}:${cloudId}`;
  return { global, tenant, all: [global, tenant] };
}

/** An endpoint of a site: the URL without its query (the cloudId is in the path through the gateway, the host otherwise). */
function endpointOf(url: string): string {
  const query = url.indexOf('?');
  return query < 0 ? url : url.slice(0, query);
}

/** Points as Atlassian counts them for a listing: one per object on the page (Jira `values`, Confluence `results`). */
function objectsIn(body: unknown): number {
  if (body === null || typeof body !== 'object') return 0;
  const record = body as Record<string, unknown>;
  const list = Array.isArray(record['values']) ? record['values'] : record['results'];
  return Array.isArray(list) ? list.length : 0;
}

function quotaSpent(waitMs: number): RetryableError {
  return new RetryableError(
    'rate_limited',
    "Atlassian's hourly request quota for this app is used up. Retry after the time in the Retry-After header.",
    Math.max(1, Math.ceil(waitMs / 1000)),
  );
}

function burstLimited(waitMs: number): RetryableError {
  return new RetryableError(
    'rate_limited',
    'Atlassian is rate-limiting these requests. Retry after the time in the Retry-After header.',
    Math.max(1, Math.ceil(waitMs / 1000)),
  );
}
