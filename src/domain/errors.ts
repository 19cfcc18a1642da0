/**
 * Every failure the service reports to a client. The code is the API's snake_case error code; the message is
 * safe to show a user (it never carries a token, a secret or an upstream stack). HTTP statuses are assigned in
 * exactly one place: src/http/error-answers.ts.
 */
export type ErrorCode =
  | 'validation_error'
  | 'invalid_request'
  | 'invalid_cursor'
  | 'invalid_site'
  | 'invalid_state'
  | 'invalid_completion'
  | 'completion_session_mismatch'
  | 'oauth_denied'
  | 'invalid_grant'
  | 'oauth_not_configured'
  | 'invalid_credentials'
  | 'insufficient_scope'
  | 'missing_session'
  | 'invalid_session'
  | 'not_connected'
  | 'no_accessible_site'
  | 'reauth_required'
  | 'upstream_unauthorized'
  | 'rate_limited'
  | 'upstream_error'
  | 'upstream_unavailable'
  | 'upstream_timeout'
  | 'store_unavailable'
  | 'not_ready'
  | 'overloaded'
  | 'not_found'
  | 'method_not_allowed'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'internal_error';

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Readonly<Record<string, unknown>>,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** An answer the client may retry after a wait; the HTTP layer turns `retryAfterSeconds` into `Retry-After`. */
export class RetryableError extends AppError {
  constructor(
    code: 'rate_limited' | 'upstream_unavailable' | 'overloaded',
    message: string,
    readonly retryAfterSeconds: number,
    details?: Readonly<Record<string, unknown>>,
  ) {
    super(code, message, details);
  }
}

export class InvalidSiteError extends AppError {
  constructor(reason: string) {
    super('invalid_site', `site must be an Atlassian Cloud site such as "acme" or "acme.atlassian.net": ${reason}.`);
  }
}

/** Atlassian refused credentials we hold. A scope mismatch cannot be fixed by refreshing; an expired token can. */
export class UpstreamUnauthorizedError extends AppError {
  constructor(readonly scopeMismatch: boolean) {
    super(
      'upstream_unauthorized',
      scopeMismatch
        ? 'Atlassian refused the stored credentials: the granted scopes do not allow this call. Connect the product again.'
        : 'Atlassian refused the stored credentials. Connect the product again.',
    );
  }
}
