/**
 * What the service counts. Implementations must be cheap and never throw: they sit on every request.
 */
export interface Metrics {
  requestFinished(request: { method: string; route: string; status: number; durationMs: number }): void;
  upstreamCall(call: { product: string; outcome: string; retries: number; durationMs: number }): void;
  tokenRefresh(outcome: 'refreshed' | 'refused' | 'failed'): void;
  /** A listing answered from the cache (`hit`), read for the request (`miss`) or answered past its TTL (`stale`). */
  listingCacheAnswer(answer: { product: string; outcome: 'hit' | 'miss' | 'stale' }): void;
  /** The Prometheus text exposition of everything counted. */
  render(): Promise<{ contentType: string; body: string }>;
}
