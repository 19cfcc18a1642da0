/**
 * Work that must be finished after the request that started it has been answered: one chain of attempts per key,
 * each after the next of `delaysMs`, until an attempt answers true or the delays run out. The number of attempts
 * and the time they take are bounded by `delaysMs`; timers do not keep the process alive, and `cancelAll` stops
 * every chain (at shutdown).
 */
export class BackgroundRetries {
  /** A key stays here from `start` until its chain ends, also while an attempt runs. */
  private readonly chains = new Map<string, ReturnType<typeof setTimeout> | 'running'>();

  constructor(private readonly delaysMs: readonly number[]) {}

  /** Starts a chain for `key` unless one is already going (its attempts then serve this caller too). */
  start(key: string, attempt: () => Promise<boolean>, onGiveUp: () => void): void {
    if (!this.chains.has(key)) this.step(key, 0, attempt, onGiveUp);
  }

  cancel(key: string): void {
    const chain = this.chains.get(key);
    if (chain !== undefined && chain !== 'running') clearTimeout(chain);
    this.chains.delete(key);
  }

  cancelAll(): void {
    for (const key of [...this.chains.keys()]) this.cancel(key);
  }

  private step(key: string, index: number, attempt: () => Promise<boolean>, onGiveUp: () => void): void {
    const delay = this.delaysMs[index];
    if (delay === undefined) {
      this.chains.delete(key);
      onGiveUp();
      return;
    }
    const timer = setTimeout(() => {
      this.chains.set(key, 'running');
      attempt().then(
        (done) => this.next(key, done, index, attempt, onGiveUp),
        () => this.next(key, false, index, attempt, onGiveUp),
      );
    }, delay);
    // A pending retry must not hold a shutting-down process open.
    (timer as { unref?: () => void }).unref?.();
    this.chains.set(key, timer);
  }

  private next(key: string, done: boolean, index: number, attempt: () => Promise<boolean>, onGiveUp: () => void): void {
    // Cancelled while the attempt ran: the chain is over.
    if (this.chains.get(key) !== 'running') return;
    if (done) this.chains.delete(key);
    else this.step(key, index + 1, attempt, onGiveUp);
  }
}
