import { retryAfterMs } from './retry-policy.js';

/** Whose points are spent: the whole OAuth app (Tier 1) or one tenant of it (Tier 2). */
export type QuotaScope = 'global' | 'tenant';
/** What an answer says is used up: an hourly points quota, or a per-second burst limit of one endpoint. */
export type LimitKind = QuotaScope | 'burst';

export interface LimitReading {
  /** The limit the answer says is used up, from the reason header; absent when it names none we know. */
  readonly exhausted?: LimitKind;
  /** Points left per quota, where Atlassian said (`r`: sent only once about 80 % of a quota is spent). */
  readonly remaining: Partial<Record<QuotaScope, number>>;
}

export interface RateLimitReading extends LimitReading {
  /**
   * Epoch ms when the exhausted limit resets. For a quota: the latest credible value among RateLimit's `t`,
   * Retry-After and X-RateLimit-Reset, else the top of the next UTC hour (when quotas reset). For a burst: the
   * first credible of Retry-After, `t`, X-RateLimit-Reset; absent when none is.
   */
  readonly resetAt?: number;
  /** The `Beta-` forms: limits not yet enforced that would have applied. A warning, never a block. */
  readonly beta: LimitReading;
}

export interface HeaderSource {
  get(name: string): string | null;
}

const HOUR_MS = 3_600_000;
/** Clocks differ: a reset up to a minute past the quota window still counts as credible. */
const SKEW_MS = 60_000;
/** Headers can repeat or be huge in a hostile answer; nothing useful is longer. */
const MAX_HEADER_LENGTH = 4_096;

const ENFORCED = {
  rateLimit: ['RateLimit'],
  policy: ['RateLimit-Policy'],
  reason: ['RateLimit-Reason', 'X-RateLimit-Reason'],
  retryAfter: ['Retry-After'],
  reset: ['X-RateLimit-Reset'],
};
const BETA = {
  rateLimit: ['Beta-RateLimit', 'X-Beta-RateLimit'],
  policy: ['Beta-RateLimit-Policy', 'X-Beta-RateLimit-Policy'],
  reason: ['X-Beta-RateLimit-Reason', 'Beta-RateLimit-Reason'],
};

/**
 * Reads Atlassian's 2026 rate-limit headers (docs/atlassian.md, "Rate limits and the 2026 points quota").
 * Each header is a list whose entries may come in any order, with parameters that may be missing (`r` appears
 * only near the limit); un-prefixed headers report a limit that is enforced, `Beta-` ones a limit that would have
 * been. Pure and total: any header values, however malformed, give a reading and never throw.
 */
export function readRateLimit(headers: HeaderSource, now: number): RateLimitReading {
  const entries = listEntries(header(headers, ENFORCED.rateLimit));
  const policies = listEntries(header(headers, ENFORCED.policy));
  const exhausted = strongestReason(header(headers, ENFORCED.reason));
  const reading = { exhausted, remaining: remainingOf(entries), beta: readBeta(headers) };
  if (exhausted === undefined) return reading;

  const quotaName = exhausted === 'burst' ? undefined : `${exhausted}-app-quota`;
  const seconds = (name: string | undefined) =>
    entries.filter((entry) => (name === undefined ? /burst/.test(entry.name) : entry.name === name)).map((entry) => entry.params['t']);
  const fromT = seconds(quotaName).filter(isCount).map((t) => now + t * 1000);
  const retryAfter = retryAfterMs(header(headers, ENFORCED.retryAfter), now);
  const fromRetryAfter = retryAfter === undefined ? [] : [now + retryAfter];
  const fromReset = [isoInstant(header(headers, ENFORCED.reset))].filter((at): at is number => at !== undefined);

  const windowSeconds = quotaName === undefined ? undefined : policies.find((policy) => policy.name === quotaName)?.params['w'];
  const horizon = now + (isCount(windowSeconds) && windowSeconds > 0 ? windowSeconds * 1000 : HOUR_MS) + SKEW_MS;
  const credible = (at: number) => at > now && at <= horizon;
  if (exhausted === 'burst') {
    const first = [...fromRetryAfter, ...fromT, ...fromReset].find(credible);
    return first === undefined ? reading : { ...reading, resetAt: first };
  }
  // After exhaustion `t` has been seen wrong: of the announced resets, trust the latest one that is plausible.
  const latest = Math.max(...[...fromT, ...fromRetryAfter, ...fromReset].filter(credible));
  return { ...reading, resetAt: Number.isFinite(latest) ? latest : nextUtcHour(now) };
}

/**
 * What an answer other than a 429 needs read: the points left of each quota (`RateLimit`). `readRateLimit` reads
 * every header; on the answers that are not refusals, which are nearly all, the rest would be read for nothing.
 */
export function readRemaining(headers: HeaderSource): LimitReading['remaining'] {
  return remainingOf(listEntries(header(headers, ENFORCED.rateLimit)));
}

/** The `Beta-` reason alone: a limit not yet enforced that this answer would have passed, on any status. */
export function readBetaExhausted(headers: HeaderSource): LimitKind | undefined {
  return strongestReason(header(headers, BETA.reason));
}

/** Quotas reset at the top of each UTC hour. */
export function nextUtcHour(now: number): number {
  return Math.floor(now / HOUR_MS) * HOUR_MS + HOUR_MS;
}

function readBeta(headers: HeaderSource): LimitReading {
  const exhausted = readBetaExhausted(headers);
  const remaining = remainingOf(listEntries(header(headers, BETA.rateLimit)));
  return exhausted === undefined ? { remaining } : { exhausted, remaining };
}

function header(headers: HeaderSource, names: readonly string[]): string {
  // Fetch joins repeated headers with ", ", which is also how a list is written: both forms read the same.
  const values = names.map((name) => headers.get(name)).filter((value): value is string => value !== null);
  return values.join(', ').slice(0, MAX_HEADER_LENGTH);
}

const SEVERITY: readonly LimitKind[] = ['global', 'tenant', 'burst'];

/** `jira-quota-global-based`, `confluence-quota-tenant-based`, `jira-burst-based`; several: the widest wins. */
function strongestReason(value: string): LimitKind | undefined {
  const kinds = new Set<LimitKind>();
  for (const raw of splitList(value)) {
    const reason = unquote(raw).toLowerCase();
    if (/-quota-global-based$/.test(reason)) kinds.add('global');
    else if (/-quota-tenant-based$/.test(reason)) kinds.add('tenant');
    else if (/-burst-based$/.test(reason)) kinds.add('burst');
  }
  return SEVERITY.find((kind) => kinds.has(kind));
}

function remainingOf(entries: readonly Entry[]): Partial<Record<QuotaScope, number>> {
  const remaining: Partial<Record<QuotaScope, number>> = {};
  for (const entry of entries) {
    const r = entry.params['r'];
    if (!isCount(r)) continue;
    if (entry.name === 'global-app-quota') remaining.global = r;
    if (entry.name === 'tenant-app-quota') remaining.tenant = r;
  }
  return remaining;
}

interface Entry {
  readonly name: string;
  readonly params: Readonly<Record<string, number | string>>;
}

/** `"global-app-quota";r=12;t=300, "tenant-app-quota";q=100100;w=3600` → entries with their parameters. */
function listEntries(value: string): Entry[] {
  return splitList(value).map((item) => {
    const [first = '', ...rest] = splitOutsideQuotes(item, ';');
    const params: Record<string, number | string> = {};
    for (const part of rest) {
      const eq = part.indexOf('=');
      const key = (eq < 0 ? part : part.slice(0, eq)).trim().toLowerCase();
      const raw = eq < 0 ? '' : unquote(part.slice(eq + 1));
      if (key !== '' && !Object.hasOwn(params, key)) params[key] = /^\d{1,15}$/.test(raw) ? Number(raw) : raw;
    }
    return { name: unquote(first).toLowerCase(), params };
  });
}

function splitList(value: string): string[] {
  return splitOutsideQuotes(value, ',').map((item) => item.trim()).filter((item) => item !== '');
}

function splitOutsideQuotes(value: string, separator: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const char = value[i]!;
    if (quoted && char === '\\' && i + 1 < value.length) {
      current += char + value[++i]!;
      continue;
    }
    if (char === '"') quoted = !quoted;
    if (char === separator && !quoted) {
      parts.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  parts.push(current);
  return parts;
}

function unquote(value: string): string {
  const trimmed = value.trim();
  return trimmed.length >= 2 && trimmed.startsWith('"') && trimmed.endsWith('"') ? trimmed.slice(1, -1).replace(/\\(.)/g, '$1') : trimmed;
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** X-RateLimit-Reset is ISO 8601 (`2026-03-02T11:00Z`), not epoch seconds; Date.parse alone would take garbage. */
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;

function isoInstant(value: string): number | undefined {
  const trimmed = splitList(value)[0] ?? '';
  if (!ISO_INSTANT.test(trimmed)) return undefined;
  const at = Date.parse(trimmed);
  return Number.isFinite(at) ? at : undefined;
}
