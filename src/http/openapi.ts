import { OpenAPIRegistry, OpenApiGeneratorV3, type ResponseConfig } from '@asteasolutions/zod-to-openapi';
import { EXAMPLE_MESSAGE } from './error-examples.js';
import { STATUS_OF } from './error-answers.js';
import type { ErrorCode } from '../domain/errors.js';
import {
  ApiTokenLoginBody,
  ApiTokenLoginResponse,
  ErrorResponse,
  HealthResponse,
  LivenessResponse,
  ListingQuery,
  OAuthCallbackQuery,
  OAuthCallbackResponse,
  OAuthCompleteBody,
  OAuthStartQuery,
  OAuthStartResponse,
  ProductParam,
  ProjectsResponse,
  ReadinessResponse,
  SessionResponse,
  SpacesResponse,
} from './schemas.js';
import { SESSION_HEADER } from './session-header.js';
import { z } from './zod-openapi.js';

const json = (schema: z.ZodType) => ({ 'application/json': { schema } });

const retryAfterHeader = {
  'Retry-After': {
    description: 'Seconds to wait before retrying; sent with `rate_limited`, `overloaded` and `upstream_unavailable`.',
    schema: { type: 'integer' as const, minimum: 1 },
  },
};

/** The error body of each code, as the example of that code under its status. */
function errorExamples(codes: readonly ErrorCode[]) {
  return Object.fromEntries(codes.map((code) => [code, { value: { error: { code, message: EXAMPLE_MESSAGE[code] } } }]));
}

/** An error answer listing `codes`, each with its own example; 429 and 503 declare Retry-After. */
function errorResponse(status: number, codes: readonly ErrorCode[]): ResponseConfig {
  return {
    description: `Error: ${codes.map((c) => `\`${c}\``).join(', ')}`,
    ...(status === 429 || status === 503 ? { headers: retryAfterHeader } : {}),
    content: { 'application/json': { schema: ErrorResponse, examples: errorExamples(codes) } },
  };
}

/** One response entry per status, listing every error code that can produce it. */
function errors(...codes: ErrorCode[]): Record<number, ResponseConfig> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codes) byStatus.set(STATUS_OF[code], [...(byStatus.get(STATUS_OF[code]) ?? []), code]);
  const responses: Record<number, ResponseConfig> = {};
  for (const [status, list] of byStatus) responses[status] = errorResponse(status, list);
  return responses;
}

const sessionTokenHeader = {
  [SESSION_HEADER]: { description: 'The session token; send it on every later request.', schema: { type: 'string' as const } },
};
const etagHeader = { ETag: { description: 'Tag of this listing; send it back in If-None-Match.', schema: { type: 'string' as const } } };
const conditionalHeaders = z.object({ 'if-none-match': z.string().optional().openapi({ description: 'An ETag from an earlier answer.' }) });
const listingRequestHeaders = conditionalHeaders.extend({
  'cache-control': z.string().optional().openapi({ description: '`no-cache` waits for a listing read from Atlassian now instead of a cached one.' }),
});
const listingHeaders = {
  ...etagHeader,
  Age: { description: 'Seconds since the listing was read from Atlassian (it may be cached for LISTING_CACHE_TTL_SECONDS).', schema: { type: 'integer' as const } },
  'X-Listing-Stale': {
    description: 'Present when the listing is older than usual and why: `rate_limited` (Atlassian refuses calls; the last listing read is answered).',
    schema: { type: 'string' as const },
  },
};
const upstreamErrors: ErrorCode[] = ['rate_limited', 'upstream_error', 'upstream_timeout', 'overloaded'];
const listingErrors: ErrorCode[] = [
  'validation_error', 'invalid_cursor', 'missing_session', 'invalid_session', 'not_connected', 'upstream_unauthorized', 'reauth_required', 'upstream_unavailable',
  'store_unavailable', ...upstreamErrors,
];

/** Built from the same schemas the routes validate with, so the document cannot drift from the code. */
export function buildOpenApiDocument(version: string): object {
  const registry = new OpenAPIRegistry();
  const session = registry.registerComponent('securitySchemes', 'sessionToken', {
    type: 'apiKey',
    in: 'header',
    name: SESSION_HEADER,
    description: 'Opaque session token returned by the login endpoints.',
  });
  const product = z.object({ product: ProductParam });
  const optionalSession = [{}, { [session.name]: [] }];

  registry.registerPath({
    method: 'get', path: '/', operationId: 'getHealth', security: [], summary: 'Health check', tags: ['health'],
    responses: { 200: { description: 'The service is up.', content: json(HealthResponse) } },
  });
  registry.registerPath({
    method: 'get', path: '/health/live', operationId: 'getLiveness', security: [], summary: 'Liveness probe', tags: ['health'],
    description: 'Answers while the process can serve HTTP; checks no dependency, so a store outage never gets instances restarted.',
    responses: { 200: { description: 'The process answers.', content: json(LivenessResponse) } },
  });
  registry.registerPath({
    method: 'get', path: '/health/ready', operationId: 'getReadiness', security: [], summary: 'Readiness probe', tags: ['health'],
    description: 'Ready when the session store answers a ping within 1 s and the instance is not draining (draining starts on SIGTERM).',
    responses: {
      200: { description: 'Ready for traffic.', content: json(ReadinessResponse) },
      ...errors('not_ready'),
    },
  });
  registry.registerPath({
    method: 'get', path: '/auth/{product}/oauth/start', operationId: 'startOAuth', tags: ['auth'], security: optionalSession,
    summary: 'Start an OAuth 2.0 (3LO) sign-in',
    description: 'Creates a session (or adds the product to the session named by X-Session-Token) and returns the Atlassian consent URL to send the browser to.',
    request: { params: product, query: OAuthStartQuery },
    responses: {
      200: { description: 'Consent URL; the session token is in the X-Session-Token header.', headers: sessionTokenHeader, content: json(OAuthStartResponse) },
      ...errors('invalid_site', 'validation_error', 'oauth_not_configured', 'not_found', 'rate_limited', 'store_unavailable'),
    },
  });
  const callbackCodes: ErrorCode[] = [
    'invalid_request', 'invalid_state', 'oauth_denied', 'invalid_grant', 'validation_error', 'no_accessible_site', 'invalid_session',
    'store_unavailable', ...upstreamErrors,
  ];
  const callbackResponses = (...codes: ErrorCode[]) => ({
    200: { description: 'Connected.', headers: sessionTokenHeader, content: json(OAuthCallbackResponse) },
    302: {
      description:
        'With OAUTH_RETURN_URL: redirect to it with `product`, `status=pending` and `completion` (finish with POST /auth/oauth/complete), ' +
        'or `status=error&code=…`. Nothing is attached to a session yet.',
    },
    ...errors(...codes),
  });
  registry.registerPath({
    method: 'get', path: '/auth/{product}/oauth/callback', operationId: 'oauthCallback', security: [], tags: ['auth'],
    summary: "Atlassian's redirect target after consent",
    description:
      'Exchanges the code (with the PKCE verifier of the flow), finds the site and, without OAUTH_RETURN_URL, stores the tokens in the session bound to `state` ' +
      '(not bound to a browser: for development and API tools). With OAUTH_RETURN_URL set, it keeps the grant under a one-time completion value and answers 302 ' +
      'to OAUTH_RETURN_URL with `product`, `status=pending` and `completion`, or `status=error&code=…`.',
    request: { params: product, query: OAuthCallbackQuery },
    responses: callbackResponses(...callbackCodes, 'not_found'),
  });
  registry.registerPath({
    method: 'get', path: '/auth/oauth/callback', operationId: 'oauthSharedCallback', security: [], tags: ['auth'],
    summary: 'The same callback for apps that register one callback URL for both products',
    description: 'The product is the one the `state` was issued for.',
    request: { query: OAuthCallbackQuery },
    responses: callbackResponses(...callbackCodes),
  });
  registry.registerPath({
    method: 'post', path: '/auth/oauth/complete', operationId: 'completeOAuth', tags: ['auth'], security: [{ [session.name]: [] }],
    summary: 'Finish an OAuth sign-in in the browser that started it (OAUTH_RETURN_URL mode)',
    description:
      'Send the `completion` value from the return URL with the X-Session-Token that `start` answered. The grant is attached only to the session ' +
      'that started the flow. A completion is single use and expires after OAUTH_COMPLETION_TTL_SECONDS; a request from another session (or none) ' +
      'burns it (403 completion_session_mismatch: the sign-in was started in another browser).',
    request: { body: { content: json(OAuthCompleteBody), required: true } },
    responses: {
      200: { description: 'Connected.', headers: sessionTokenHeader, content: json(OAuthCallbackResponse) },
      ...errors(
        'invalid_completion', 'validation_error', 'completion_session_mismatch', 'invalid_session', 'payload_too_large', 'unsupported_media_type',
        'store_unavailable',
      ),
    },
  });
  registry.registerPath({
    method: 'post', path: '/auth/{product}/api-token', operationId: 'loginWithApiToken', tags: ['auth'], security: optionalSession,
    summary: 'Connect with an email and API token',
    description:
      'Checks the credentials against Atlassian, then stores them in a new session or in the session named by X-Session-Token. ' +
      'A scoped token that lacks the identity scope is accepted when it can list (read:jira-work / read:space:confluence); ' +
      'one that cannot answers 403 insufficient_scope.',
    request: { params: product, body: { content: json(ApiTokenLoginBody), required: true } },
    responses: {
      200: { description: 'Connected.', headers: sessionTokenHeader, content: json(ApiTokenLoginResponse) },
      ...errors(
        'validation_error', 'invalid_site', 'invalid_credentials', 'insufficient_scope', 'payload_too_large', 'unsupported_media_type',
        'not_found', 'store_unavailable', ...upstreamErrors,
      ),
    },
  });
  registry.registerPath({
    method: 'get', path: '/jira/projects', operationId: 'listJiraProjects', tags: ['listings'], security: [{ [session.name]: [] }],
    summary: 'Every Jira project the connected account can see',
    request: { headers: listingRequestHeaders, query: ListingQuery },
    responses: {
      200: { description: 'All projects across all upstream pages, or the page of matches asked for.', headers: listingHeaders, content: json(ProjectsResponse) },
      304: { description: 'Unchanged since the ETag sent in If-None-Match.' },
      ...errors(...listingErrors),
    },
  });
  registry.registerPath({
    method: 'get', path: '/confluence/spaces', operationId: 'listConfluenceSpaces', tags: ['listings'], security: [{ [session.name]: [] }],
    summary: 'Every Confluence space the connected account can see',
    request: { headers: listingRequestHeaders, query: ListingQuery },
    responses: {
      200: { description: 'All spaces across all upstream pages, or the page of matches asked for.', headers: listingHeaders, content: json(SpacesResponse) },
      304: { description: 'Unchanged since the ETag sent in If-None-Match.' },
      ...errors(...listingErrors),
    },
  });

  const sessionErrors = errors('missing_session', 'invalid_session', 'store_unavailable');
  registry.registerPath({
    method: 'get', path: '/auth/session', operationId: 'getSession', tags: ['session'], security: [{ [session.name]: [] }],
    summary: 'What the session holds',
    description: 'Per product: connected or not, how, to which site and since when; and when the session expires. Never a token.',
    responses: { 200: { description: 'The session.', content: json(SessionResponse) }, ...sessionErrors },
  });
  registry.registerPath({
    method: 'delete', path: '/auth/session', operationId: 'endSession', tags: ['session'], security: [{ [session.name]: [] }],
    summary: 'Log out: delete the session and every credential in it',
    responses: { 204: { description: 'The session is gone.' }, ...sessionErrors },
  });
  registry.registerPath({
    method: 'delete', path: '/auth/{product}', operationId: 'disconnectProduct', tags: ['session'], security: [{ [session.name]: [] }],
    summary: "Disconnect one product; the session and the other product's connection stay",
    request: { params: product },
    responses: {
      204: { description: 'The product is no longer connected.' },
      ...errors('missing_session', 'invalid_session', 'not_found', 'store_unavailable'),
    },
  });
  registry.registerPath({
    method: 'get', path: '/metrics', operationId: 'getMetrics', security: [], tags: ['health'],
    summary: 'Prometheus metrics (METRICS_ENABLED)',
    description: 'The Prometheus text exposition of the counters; absent (404) with METRICS_ENABLED=false. Keep it off the public network.',
    responses: {
      200: {
        description: 'Prometheus text format 0.0.4.',
        content: { 'text/plain': { schema: { type: 'string', example: '# TYPE connector_http_request_duration_seconds histogram' } } },
      },
      ...errors('not_found'),
    },
  });

  // Answers to no operation: the router's 405 (with Allow) for a method a path does not have, 404 for no path.
  registry.registerComponent('responses', 'MethodNotAllowed', {
    description: 'The path exists but not for this method (`method_not_allowed`); the `Allow` header lists the methods it has.',
    headers: { Allow: { description: 'The methods this path answers.', schema: { type: 'string', example: 'GET, HEAD' } } },
    content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' }, examples: errorExamples(['method_not_allowed']) } },
  });
  registry.registerComponent('responses', 'NotFound', {
    description: 'No endpoint at this path (`not_found`).',
    content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' }, examples: errorExamples(['not_found']) } },
  });

  return new OpenApiGeneratorV3(registry.definitions).generateDocument({
    openapi: '3.0.3',
    info: {
      title: 'Atlassian connector',
      version,
      description: 'Connects a user\'s Jira Cloud and Confluence Cloud accounts and lists projects and spaces. Every error is `{"error":{"code","message"}}`; ' +
        'a method a path does not have answers 405 `method_not_allowed` with `Allow` (components.responses.MethodNotAllowed), ' +
        'an unknown path 404 `not_found` (components.responses.NotFound).',
    },
  });
}
