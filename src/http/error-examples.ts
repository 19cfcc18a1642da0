import type { ErrorCode } from '../domain/errors.js';

/**
 * A typical message per error code, for the examples of the OpenAPI document (one example per code under its
 * status). A `Record` over every code: a new code does not compile until it has one.
 */
export const EXAMPLE_MESSAGE: Readonly<Record<ErrorCode, string>> = {
  validation_error: 'The request body is invalid: email: Invalid email address.',
  invalid_request: 'The request could not be read.',
  invalid_site: 'The site must be an Atlassian Cloud site such as acme or acme.atlassian.net.',
  invalid_state: 'This sign-in link is unknown or has expired. Start the sign-in again.',
  invalid_cursor: 'The listing or the search changed since this cursor was issued. Start again without cursor.',
  invalid_completion: 'This completion value is unknown, used or expired. Start the sign-in again.',
  completion_session_mismatch: 'This sign-in was started in another browser. Start it again here.',
  oauth_denied: 'The Atlassian account did not grant access.',
  invalid_grant: 'Atlassian refused the authorization code. Start the sign-in again.',
  oauth_not_configured: 'OAuth sign-in is not configured for jira on this service.',
  invalid_credentials: 'Atlassian refused this email and API token for acme.atlassian.net.',
  insufficient_scope: 'This API token cannot list Jira projects (it needs read:jira-work).',
  missing_session: 'Send the X-Session-Token header.',
  invalid_session: 'The session is unknown or has expired. Sign in again.',
  not_connected: 'This session is not connected to Jira.',
  no_accessible_site: 'The Atlassian account can reach no site of this product.',
  reauth_required: 'Atlassian no longer accepts the stored grant. Sign in again.',
  upstream_unauthorized: 'Atlassian refused the stored credentials. Sign in again.',
  rate_limited: 'Too many requests. Retry after the time in the Retry-After header.',
  upstream_error: 'Jira answered with an unexpected error.',
  upstream_unavailable: 'Atlassian could not renew the access token right now. Try again shortly.',
  upstream_timeout: 'Jira did not answer in time.',
  store_unavailable: 'The session store is unavailable. Try again shortly.',
  not_ready: 'Not ready: the session store did not answer a ping within 1 s.',
  overloaded: 'Too many requests of this session are running. Retry after the time in the Retry-After header.',
  not_found: 'No endpoint at GET /nowhere.',
  method_not_allowed: 'PUT is not allowed on /jira/projects.',
  payload_too_large: 'The request body is too large.',
  unsupported_media_type: 'The request body must be JSON (Content-Type: application/json).',
  internal_error: 'Something went wrong on our side. Try again later.',
};
