import { InvalidSiteError } from './errors.js';

/** Atlassian Cloud sites are `<name>.atlassian.net`; anything else would let a caller point us at any host (SSRF). */
const CLOUD_SUFFIX = '.atlassian.net';
// A DNS label: letters, digits and inner hyphens, at most 63 characters.
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const MAX_INPUT_LENGTH = 300;

/**
 * Normalises what a user typed as their site into the site's host (`acme.atlassian.net`).
 * Accepts `acme`, `acme.atlassian.net` and `https://acme.atlassian.net` (with or without a trailing slash),
 * case-insensitively. Refuses every other form — other domains, IPs, ports, paths, queries, userinfo, whitespace —
 * so no request can leave the service for a host the user chose.
 */
export function normaliseSite(input: string): string {
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
  return `${name}${CLOUD_SUFFIX}`;
}

export function siteUrl(host: string): string {
  return `https://${host}`;
}
