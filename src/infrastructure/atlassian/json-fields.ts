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
