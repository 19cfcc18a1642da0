/** The answer to `reserve`: a granted attempt that may be given back, or the seconds to wait. */
export type Reservation =
  | { readonly granted: true; release(): Promise<void> }
  | { readonly granted: false; readonly retryAfterSeconds: number };

/**
 * Counts attempts per client key (credential stuffing through the login endpoints, unbounded OAuth starts).
 * `reserve` takes one attempt before the work starts, so parallel requests cannot all pass a check made before any
 * of them is counted; `release` gives a granted attempt back (a login that did not fail). An attempt that is never
 * released stays counted for the rest of the window. A store failure rejects: callers refuse the request then.
 */
export interface AttemptLimiter {
  reserve(key: string): Promise<Reservation>;
}
