import { AppError } from '../domain/errors.js';

/** A store or lock backend (Redis) failed: the service's fault, not the client's — 503, never a driver message. */
export function storeUnavailable(): AppError {
  return new AppError('store_unavailable', 'The session store is unavailable. Try again shortly.');
}

/**
 * Runs one store operation: the service's own errors pass through, anything the backend throws (a driver error, a
 * timeout, a refused connection) becomes `store_unavailable` — never a 500 with a driver message, never a hang.
 */
export async function guardStore<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof AppError) throw error;
    throw storeUnavailable();
  }
}
