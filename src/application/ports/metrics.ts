/**
 * What the service counts. Implementations must be cheap and never throw: they sit on every request.
 */
export interface Metrics {
  requestFinished(request: { method: string; route: string; status: number; durationMs: number }): void;
  upstreamCall(call: { product: string; outcome: string; retries: number; durationMs: number }): void;
  tokenRefresh(outcome: 'refreshed' | 'refused' | 'failed'): void;
  /** A request refused with `overloaded` (load shedding), by route template. */
  requestShed(route: string): void;
  /** The Prometheus text exposition of everything counted. */
  render(): Promise<{ contentType: string; body: string }>;
}
