/**
 * What the page says for every error the connector can answer (`error.code`, see the error table in the service's docs/frontend.md),
 * plus the two that only a browser sees: the service cannot be reached, or it answered something that is not
 * the API's JSON. The server's own `message` is safe to show too, but it is written for developers; these are
 * written for the person at the page and say what to do next.
 *
 * This module has no DOM dependency, so it can be reused (and tested) anywhere.
 */

/** Error codes of the connector's API, as listed in its docs/frontend.md. */
export const API_ERROR_CODES = [
  'validation_error',
  'invalid_request',
  'invalid_cursor',
  'invalid_site',
  'invalid_state',
  'invalid_completion',
  'completion_session_mismatch',
  'oauth_denied',
  'invalid_grant',
  'invalid_credentials',
  'missing_session',
  'invalid_session',
  'reauth_required',
  'upstream_unauthorized',
  'not_connected',
  'no_accessible_site',
  'insufficient_scope',
  'not_found',
  'method_not_allowed',
  'payload_too_large',
  'unsupported_media_type',
  'rate_limited',
  'internal_error',
  'upstream_error',
  'oauth_not_configured',
  'upstream_unavailable',
  'store_unavailable',
  'not_ready',
  'overloaded',
  'upstream_timeout',
  'not_ready',
  'overloaded',
] as const;

export type ApiErrorCode = (typeof API_ERROR_CODES)[number];

/** Failures detected in the browser, not answered by the API. */
export type ClientErrorCode = 'network_error' | 'unexpected_response';

export type ErrorCode = ApiErrorCode | ClientErrorCode;

export interface ErrorContext {
  /** "Jira" or "Confluence" when the failed call concerned one product. */
  readonly product?: string;
  /** From the `Retry-After` header (rate_limited, upstream_unavailable). */
  readonly retryAfterSeconds?: number;
  /** From a validation_error body. */
  readonly fields?: readonly { readonly field: string; readonly message: string }[];
  /** The HTTP status, for unexpected answers. */
  readonly status?: number;
  /** The service's base URL, for network errors. */
  readonly serviceUrl?: string;
  /** From a rate_limited body: which of the service's own limits refused; absent when Atlassian's did. */
  readonly limit?: string;
  /** The site host that refused the credentials (invalid_credentials). */
  readonly site?: string;
}

/**
 * What to do about each request field the API can refuse (validation_error), in plain words: the server's own
 * field messages are a validator's ("Invalid email address", "Too small: expected string to have >=1 characters").
 */
const FIELD_HELP: Readonly<Record<string, string>> = {
  email: 'enter the email address of your Atlassian account, such as ada@example.com',
  api_token: 'paste an API token created at id.atlassian.com',
  site: 'enter your Atlassian site, such as your-company or your-company.atlassian.net',
  completion: 'the sign-in did not come back complete; start it again',
};

/** A field the page does not know (a newer server): its name and the server's message, still readable. */
const fieldHelp = (f: { field: string; message: string }): string => FIELD_HELP[f.field] ?? `${f.field.replace(/_/g, ' ')}: ${f.message.toLowerCase()}`;

const seconds = (n: number): string => `${n} second${n === 1 ? '' : 's'}`;

/** The scope a scoped API token needs to list each product (insufficient_scope). */
const LISTING_SCOPES: Readonly<Record<string, string>> = { Jira: 'read:jira-work', Confluence: 'read:space:confluence' };

const later = (c: ErrorContext, fallback: string): string => (c.retryAfterSeconds !== undefined ? `in ${seconds(c.retryAfterSeconds)}` : fallback);
const product = (c: ErrorContext): string => c.product ?? 'the product';

export const ERROR_MESSAGES: Readonly<Record<ErrorCode, (c: ErrorContext) => string>> = {
  validation_error: (c) =>
    c.fields !== undefined && c.fields.length > 0
      ? `Please check the form: ${[...new Set(c.fields.map(fieldHelp))].join('; ')}.`
      : 'Please check the form: a field is missing or invalid.',
  invalid_request: () => 'The answer from Atlassian was incomplete, so nothing was connected. Please start the connection again.',
  invalid_cursor: () => 'The list changed while you were paging through it. Please search again.',
  invalid_site: () => 'That is not an Atlassian Cloud site. Enter a site such as "acme" or "acme.atlassian.net".',
  invalid_state: () => 'This sign-in has expired or was already used. Please start the connection again.',
  invalid_completion: (c) => `This sign-in has expired or was already used, so ${product(c)} was not connected. Please start the connection again.`,
  completion_session_mismatch: (c) =>
    `This sign-in was started in another browser or by someone else, so ${product(c)} was not connected here. ` +
    'If you did not start it, ignore it; otherwise start the connection again from this page.',
  oauth_denied: (c) => `Access was not granted on Atlassian's consent page, so ${product(c)} was not connected.`,
  invalid_grant: () => 'Atlassian refused the sign-in (it expired or was already used). Please connect again.',
  invalid_credentials: (c) =>
    `Atlassian did not accept this email and API token for ${product(c)} on ${c.site ?? 'the site'}. ` +
    'Check the site, the email and the token, and try again (API tokens are created at id.atlassian.com).',
  missing_session: () => 'You have no session yet. Connect Jira or Confluence first.',
  invalid_session: () => 'Your session has expired or was ended. Connect again to start a new one.',
  reauth_required: (c) => `The ${product(c)} authorization has expired or was revoked. Please connect ${product(c)} again.`,
  upstream_unauthorized: (c) => `Atlassian no longer accepts the saved ${product(c)} credentials. Please connect ${product(c)} again.`,
  not_connected: (c) => `${c.product ?? 'This product'} is not connected in this session. Connect it first.`,
  no_accessible_site: (c) =>
    `The Atlassian authorization does not cover that site for ${product(c)}. Choose the right site on the consent page, or leave the site empty.`,
  insufficient_scope: (c) => {
    const scope = LISTING_SCOPES[c.product ?? ''] ?? 'read:jira-work or read:space:confluence';
    return `This API token works but lacks the scope ${scope} that ${product(c)} needs here. Create a token with that scope and try again.`;
  },
  not_found: () => 'The connector does not know this request. The page and the service may be out of date with each other.',
  method_not_allowed: () => 'The connector does not accept this request. The page and the service may be out of date with each other.',
  payload_too_large: () => 'What you entered is too long. Please shorten it and try again.',
  unsupported_media_type: () => 'The connector could not read the request. Please reload the page and try again.',
  rate_limited: (c) => {
    if (c.limit === 'failed_sign_ins') {
      return `Too many failed sign-in attempts from this address — this is the connector's own limit, not Atlassian's. ` +
        `Please try again ${later(c, 'in a minute')}.`;
    }
    if (c.limit !== undefined) return `Too many requests from this address — this is the connector's own limit. Please try again ${later(c, 'in a minute')}.`;
    return `Atlassian is limiting requests${c.product !== undefined ? ` to ${c.product}` : ''} (its rate limit or this app's hourly quota). ` +
      `Please try again ${later(c, 'in a few seconds')}.`;
  },
  internal_error: () => 'Something went wrong in the connector. Please try again later.',
  upstream_error: () => 'Atlassian could not be reached or gave an unexpected answer. Please try again later.',
  oauth_not_configured: (c) => `Signing in with Atlassian is not set up for ${product(c)} on this server. Use an API token instead.`,
  upstream_unavailable: (c) => `Atlassian could not renew the access right now. Please try again ${later(c, 'shortly')}.`,
  store_unavailable: () => 'The connector cannot reach its session storage right now. Please try again shortly.',
  upstream_timeout: () => 'Atlassian took too long to answer. Please try again.',
  not_ready: () => 'The connector is starting or shutting down. Please try again in a moment.',
  overloaded: (c) => `The connector is busy with other requests of this session. Please try again ${later(c, 'in a second')}.`,
  network_error: (c) => `The connector${c.serviceUrl !== undefined ? ` at ${c.serviceUrl}` : ''} cannot be reached. Is it running?`,
  unexpected_response: (c) => `The connector gave an unexpected answer${c.status !== undefined ? ` (HTTP ${c.status})` : ''}. Please try again later.`,
};

function isKnown(code: string): code is ErrorCode {
  return Object.prototype.hasOwnProperty.call(ERROR_MESSAGES, code);
}

/** The sentence to show for an error: ours for a known code, else the server's own message. */
export function describeError(code: string, serverMessage: string, context: ErrorContext = {}): string {
  return isKnown(code) ? ERROR_MESSAGES[code](context) : serverMessage;
}
