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
 * A URL the service passes on for a browser to load (an avatar): only `https:`, with a host, without userinfo,
 * whitespace or control characters, and of sane length. Anything else answers undefined and the field is left out:
 * a `javascript:`, `data:` or `http:` value from a hostile or broken answer must never reach a frontend's `<img>`.
 */
export function httpsUrl(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length > MAX_URL_LENGTH || !/^https:\/\//i.test(value)) return undefined;
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

/** Only the fields that are present: keeps `undefined` keys out of the JSON the service returns. */
export function defined<T extends Record<string, unknown>>(fields: T): T {
  for (const key of Object.keys(fields)) if (fields[key] === undefined) delete fields[key];
  return fields;
}
