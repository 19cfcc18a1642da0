import { createHash } from 'node:crypto';
import { AppError } from '../domain/errors.js';

/** What a picker asks for: a search, a page size and where the previous page ended. Absent means "everything". */
export interface PageRequest {
  readonly q?: string;
  readonly limit?: number;
  readonly cursor?: string;
}

export interface Page<T> {
  readonly items: readonly T[];
  /** How many items matched `q` (all of them without `q`), across every page. */
  readonly total: number;
  /** Present while more matches remain after this page. */
  readonly nextCursor?: string;
}

/** Case- and accent-insensitive form for matching: "Équipe" and "equipe" compare equal. */
export function foldText(text: string): string {
  return text.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
}

/**
 * One page of a listing: the items whose key or name contains `q`, in the listing's order, from the cursor's offset.
 * A cursor carries a fingerprint of the listing version and the search it was cut from, so a cursor from a listing
 * that has changed since, or from another search, is refused instead of silently skipping or repeating items.
 */
export function pageOf<T extends { readonly key: string; readonly name: string }>(
  items: readonly T[],
  listingVersion: string,
  request: PageRequest,
): Page<T> {
  const q = foldText((request.q ?? '').trim());
  const matched = q === '' ? items : items.filter((item) => foldText(item.key).includes(q) || foldText(item.name).includes(q));
  const fingerprint = createHash('sha256').update(`${listingVersion}\n${q}`).digest('base64url').slice(0, 16);
  const offset = request.cursor === undefined ? 0 : offsetOf(request.cursor, fingerprint);
  const end = request.limit === undefined ? matched.length : Math.min(matched.length, offset + request.limit);
  const next = end < matched.length ? { nextCursor: Buffer.from(`${end}.${fingerprint}`, 'utf8').toString('base64url') } : {};
  return { items: matched.slice(offset, end), total: matched.length, ...next };
}

function offsetOf(cursor: string, fingerprint: string): number {
  const match = /^(\d{1,9})\.([A-Za-z0-9_-]{16})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (match === null) throw new AppError('invalid_cursor', 'cursor is not one this service issued. Start again without cursor.');
  if (match[2] !== fingerprint) {
    throw new AppError('invalid_cursor', 'The listing or the search changed since this cursor was issued. Start again without cursor.');
  }
  return Number(match[1]);
}
