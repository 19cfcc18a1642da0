import type { Metrics } from '../../application/ports/metrics.js';
import type { OtelTracing } from './otel-tracing.js';

/**
 * Metrics that also mark the current request's span: what the application reports through the Metrics port
 * (a token refresh and its outcome) shows up in the trace of the request that caused it, without the
 * application knowing about tracing.
 */
export class TracedMetrics implements Metrics {
  constructor(
    private readonly inner: Metrics,
    private readonly tracing: Pick<OtelTracing, 'event'>,
  ) {}

  requestFinished(request: Parameters<Metrics['requestFinished']>[0]): void {
    this.inner.requestFinished(request);
  }

  upstreamCall(call: Parameters<Metrics['upstreamCall']>[0]): void {
    this.inner.upstreamCall(call);
  }

  requestShed(route: string): void {
    this.inner.requestShed(route);
  }

  quotaBlocked(scope: Parameters<Metrics['quotaBlocked']>[0]): void {
    this.inner.quotaBlocked(scope);
    this.tracing.event('quota_blocked', { scope });
  }

  quotaRefusedCall(product: string): void {
    this.inner.quotaRefusedCall(product);
  }

  atlassianPointsSpent(product: string, points: number): void {
    this.inner.atlassianPointsSpent(product, points);
  }

  atlassianQuotaRemaining(scope: Parameters<Metrics['atlassianQuotaRemaining']>[0], points: number): void {
    this.inner.atlassianQuotaRemaining(scope, points);
  }

  listingCacheAnswer(answer: Parameters<Metrics['listingCacheAnswer']>[0]): void {
    this.inner.listingCacheAnswer(answer);
    this.tracing.event('listing_cache', { outcome: answer.outcome });
  }

  tokenRefresh(outcome: Parameters<Metrics['tokenRefresh']>[0]): void {
    this.inner.tokenRefresh(outcome);
    this.tracing.event('token_refresh', { outcome });
  }
}
