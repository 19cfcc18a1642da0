/**
 * A short mutual-exclusion lease, shared by every instance that shares the session store.
 * `tryAcquire` tries once: it returns a release function when the lease was taken, undefined when someone else
 * holds it. A lease ends by itself after `ttlMs`, so a crashed holder cannot block others for longer; an adapter
 * shared by several instances ends it much sooner when its holder is gone (crashed, or its release lost), by
 * keeping it in short terms that the holder renews while it works.
 */
export interface Lock {
  tryAcquire(name: string, ttlMs: number): Promise<(() => Promise<void>) | undefined>;
}
