/**
 * The abort signal of one upstream attempt, made for node-fetch: it needs `aborted` and the 'abort' listeners
 * (its types declare AbortSignal by that shape, and at run time it accepts any object tagged 'AbortSignal', as its
 * advice to use a polyfill relies on). Node 20's own AbortController and EventTarget cost about 7 % of the
 * service's CPU on a listing request (measured with `npm run bench:compare`); this does the same job for next to
 * nothing.
 */
export class AttemptSignal {
  aborted = false;
  private readonly listeners = new Set<(this: AttemptSignal) => void>();

  get [Symbol.toStringTag](): string {
    return 'AbortSignal';
  }

  addEventListener(type: 'abort', listener: (this: AttemptSignal) => void): void {
    if (type === 'abort' && !this.aborted) this.listeners.add(listener);
  }

  removeEventListener(type: 'abort', listener: (this: AttemptSignal) => void): void {
    if (type === 'abort') this.listeners.delete(listener);
  }

  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    const listeners = [...this.listeners];
    this.listeners.clear();
    for (const listener of listeners) listener.call(this);
  }
}
