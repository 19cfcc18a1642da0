import { InvalidSiteError } from './errors.js';

/** Atlassian Cloud sites are `<name>.atlassian.net`; anything else would let a caller point us at any host (SSRF). */
const CLOUD_SUFFIX = '.atlassian.net';
// A DNS label: letters, digits and inner hyphens, at most 63 characters.
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const MAX_INPUT_LENGTH = 300;

declare const siteHostBrand: unique symbol;
declare const cloudIdBrand: unique symbol;

/**
 * A host that `normaliseSite` accepted (`acme.atlassian.net`). The brand makes the SSRF rule a type: every URL
 * builder, the credentials and the site directory take only a SiteHost, and `normaliseSite` is the only way to
 * make one, so a string the user typed cannot reach a URL without a compile error.
 */
export type SiteHost = string & { readonly [siteHostBrand]: true };

/** A cloudId that `isCloudId` accepted: safe in a URL path. The same guarantee as SiteHost, for the gateway route. */
export type CloudId = string & { readonly [cloudIdBrand]: true };

/**
 * Normalises what a user typed as their site into the site's host (`acme.atlassian.net`).
 * Accepts `acme`, `acme.atlassian.net` and `https://acme.atlassian.net` (with or without a trailing slash),
 * case-insensitively. Refuses every other form — other domains, IPs, ports, paths, queries, userinfo, whitespace —
 * so no request can leave the service for a host the user chose.
 */
export function normaliseSite(input: string): SiteHost {
  if (input.length === 0) throw new InvalidSiteError('it is empty');
  if (input.length > MAX_INPUT_LENGTH) throw new InvalidSiteError('it is too long');
  if (/[\s\u0000-\u001f\u007f]/u.test(input)) throw new InvalidSiteError('it contains whitespace or control characters');
  // Before lower-casing: some non-ASCII letters lower-case into ASCII (U+212A KELVIN SIGN becomes "k").
  if (/[^\x21-\x7e]/.test(input)) throw new InvalidSiteError('it contains characters that are not plain ASCII');

  let rest = input.toLowerCase();
  if (rest.startsWith('https://')) {
    rest = rest.slice('https://'.length);
    if (rest.endsWith('/')) rest = rest.slice(0, -1);
  }
  if (/[^a-z0-9.-]/.test(rest)) {
    throw new InvalidSiteError('only a host name is allowed, without scheme other than https, port, path, query or credentials');
  }
  const name = rest.endsWith(CLOUD_SUFFIX) ? rest.slice(0, -CLOUD_SUFFIX.length) : rest;
  if (name.includes('.')) throw new InvalidSiteError('it is not an atlassian.net site');
  if (!LABEL.test(name)) throw new InvalidSiteError('the site name is not a valid host label');
  return `${name}${CLOUD_SUFFIX}` as SiteHost;
}

export function siteUrl(host: SiteHost): string {
  return `https://${host}`;
}

/** CloudIds are UUIDs; anything else in a URL path would be a corrupted record or a hostile answer. */
export function isCloudId(value: string): value is CloudId {
  return /^[A-Za-z0-9-]{1,64}$/.test(value);
}

/** For values known to be cloudIds (configuration, tests); data from outside is checked with `isCloudId`. */
export function parseCloudId(value: string): CloudId {
  if (!isCloudId(value)) throw new TypeError('not a cloudId');
  return value;
}
