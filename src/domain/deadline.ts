declare const deadlineBrand: unique symbol;

/**
 * The moment (epoch ms on the service's Clock) after which no upstream attempt starts and no wait begins. One is
 * made per client request, where the request enters, and passed down to every page, retry and token refresh, so
 * the whole request is bounded by one UPSTREAM_DEADLINE_MS. Branded so a duration cannot be passed by mistake.
 */
export type Deadline = number & { readonly [deadlineBrand]: true };

export function deadlineAfter(now: number, ms: number): Deadline {
  return (now + ms) as Deadline;
}
