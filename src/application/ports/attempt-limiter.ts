/**
 * Counts failed attempts per client key (credential stuffing through the login endpoints).
 * `blockedFor` answers the seconds to wait when the key has used up its attempts, undefined otherwise.
 */
export interface AttemptLimiter {
  blockedFor(key: string): Promise<number | undefined>;
  recordFailure(key: string): Promise<void>;
}
