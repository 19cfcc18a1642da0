/**
 * How long a shared store keeps a lease at a time when its holder stops renewing it: three of the store's command
 * timeouts, at least 1 s. Renewed every third of that, so a renewal that times out still leaves one more before the
 * term ends. A listing's lease may be held for 35 s (the upstream deadline and a margin) and a token refresh's for
 * 15 s; stored for that long in one go, a lease whose holder is gone would block every other request for the same
 * listing or refresh until it ends. A holder is gone more often than a crash suggests: when a Redis primary dies,
 * the release is sent to the dead primary and lost, while the lease itself was already copied to the replica that
 * takes over.
 */
export function leaseTermMs(storeTimeoutMs: number): number {
  return Math.max(1_000, 3 * storeTimeoutMs);
}

/** The term for the stores' default command timeout (1 s). */
export const DEFAULT_LEASE_TERM_MS = leaseTermMs(1_000);

/** A shared store's side of one lease: extend it to `ms` from now if still ours (answers whether it was), and end it. */
export interface LeaseHandle {
  renew(ms: number): Promise<boolean>;
  release(): Promise<void>;
}

/**
 * The watchdog pattern (as Redisson's lock watchdog does it): a lease taken for `ttlMs` is stored for at most
 * `termMs` at a time, and renewed every third of a term while its holder works, until `ttlMs` has passed or the
 * holder releases it. A holder that stops renewing — its process ended, or it lost the store — blocks the others
 * for at most one term. The holder is never interrupted: a renewal that finds the lease taken over stops renewing,
 * and the work it guarded finishes as it would have after a plain expiry.
 *
 * Call it right after the lease was stored for `firstTermMs(ttlMs, termMs)`; answers the release function.
 */
export function keepLease(handle: LeaseHandle, ttlMs: number, termMs: number): () => Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  if (ttlMs > termMs) {
    const endsAt = performance.now() + ttlMs;
    let renewing = false;
    const stop = () => clearInterval(timer);
    timer = setInterval(() => {
      const left = endsAt - performance.now();
      if (left <= 0) return stop();
      // One renewal at a time: a slow store must not pile them up.
      if (renewing) return;
      renewing = true;
      handle
        .renew(Math.ceil(Math.min(termMs, left)))
        .then((held) => {
          if (!held) stop();
        })
        // The store failed this once: the lease is good until its term ends, and the next tick tries again.
        .catch(() => undefined)
        .finally(() => (renewing = false));
    }, Math.max(1, Math.floor(termMs / 3)));
    // A lease being kept is no reason for the process to stay up.
    timer.unref();
  }
  return async () => {
    clearInterval(timer);
    // A failed release must not hide the work it guarded: the lease ends by itself within a term.
    await handle.release().catch(() => undefined);
  };
}

/** What to store a newly taken lease for: the whole TTL when it is short, one term otherwise. */
export function firstTermMs(ttlMs: number, termMs: number): number {
  return Math.max(1, Math.ceil(Math.min(ttlMs, termMs)));
}
