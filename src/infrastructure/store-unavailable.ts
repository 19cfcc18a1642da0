import { AppError } from '../domain/errors.js';

/** A store or lock backend (Redis) failed: the service's fault, not the client's — 503, never a driver message. */
export function storeUnavailable(): AppError {
  return new AppError('store_unavailable', 'The session store is unavailable. Try again shortly.');
}
