/**
 * Reading fields out of Atlassian JSON on the listing hot path, where a schema library's per-item cost showed in
 * profiles. Each helper answers undefined for a missing or mistyped field; callers decide what is required.
 */
export type JsonRecord = Readonly<Record<string, unknown>>;

export function record(value: unknown): JsonRecord | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as JsonRecord) : undefined;
}

export function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

export function count(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** Longer than any avatar or site link Atlassian serves; a longer one is no link a browser should load. */
const MAX_URL_LENGTH = 2048;

/**
 * `https://`, a host of letters, digits, dots and hyphens, an optional port below 10000 (a larger one may be out of
 * range), then a path, query or fragment free of whitespace, control characters and backslashes: an https URL with
 * a host and no userinfo, whatever a parser makes of the rest.
 */
const PLAIN_HTTPS_URL = /^https:\/\/[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::\d{1,4})?(?:[/?#][^\s\u0000-\u001f\u007f\\]*)?$/;

/**
 * A URL the service passes on for a browser to load (an avatar): only `https:`, with a host, without userinfo,
 * whitespace or control characters, and of sane length. Anything else answers undefined and the field is left out:
 * a `javascript:`, `data:` or `http:` value from a hostile or broken answer must never reach a frontend's `<img>`.
 */
export function httpsUrl(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length > MAX_URL_LENGTH) return undefined;
  // What Atlassian serves (a host name, a path): checked by pattern, without a URL object per avatar on the listing
  // path. Anything else takes the parser's word.
  if (PLAIN_HTTPS_URL.test(value)) return value;
  if (!/^https:\/\//i.test(value)) return undefined;
  // The URL parser silently drops tabs and newlines, so they are refused before it sees them.
  if (/[\s\u0000-\u001f\u007f]/.test(value)) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  return url.protocol === 'https:' && url.hostname !== '' && url.username === '' && url.password === '' ? value : undefined;
}

/** Atlassian ids are strings in the spec, but numbers have been seen; both become strings. */
export function id(value: unknown): string | undefined {
  if (typeof value === 'string' && value !== '') return value;
  return typeof value === 'number' && Number.isFinite(value) ? String(value) : undefined;
}

/**
 * An item under construction: the gateways add its optional fields only when present, so no `undefined` key
 * reaches the JSON the service returns (and no `delete` turns it into a slow dictionary-mode object).
 */
export type Mutable<T> = { -readonly [K in keyof T]: T[K] };
