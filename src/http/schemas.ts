import { z } from './zod-openapi.js';

/** Limits on what a client can send; generous for real values, small enough to refuse abuse cheaply. */
const MAX_EMAIL = 254;
const MAX_API_TOKEN = 2048;
const MAX_SITE = 300;
const MAX_OAUTH_PARAM = 4096;
const MAX_QUERY = 200;
const MAX_CURSOR = 200;

export const ProductParam = z.enum(['jira', 'confluence']).openapi({ param: { name: 'product', in: 'path' } });

export const ApiTokenLoginBody = z
  .object({
    email: z.string().trim().max(MAX_EMAIL).pipe(z.email()).openapi({ example: 'ada@example.com' }),
    api_token: z.string().min(1).max(MAX_API_TOKEN).openapi({ description: 'Atlassian API token (id.atlassian.com).' }),
    site: z
      .string()
      .max(MAX_SITE)
      .optional()
      .openapi({ description: 'acme, acme.atlassian.net or https://acme.atlassian.net; defaults to ATLASSIAN_DEFAULT_SITE.', example: 'acme' }),
  })
  .openapi('ApiTokenLoginRequest');

export const OAuthStartQuery = z.object({
  site: z.string().max(MAX_SITE).optional().openapi({ description: 'Site host to connect when the grant covers several.' }),
});

export const OAuthCallbackQuery = z.object({
  code: z.string().max(MAX_OAUTH_PARAM).optional(),
  state: z.string().max(MAX_OAUTH_PARAM).optional(),
  error: z.string().max(MAX_OAUTH_PARAM).optional(),
  error_description: z.string().max(MAX_OAUTH_PARAM).optional(),
});

export const OAuthCompleteBody = z
  .object({
    completion: z
      .string()
      .min(1)
      .max(MAX_OAUTH_PARAM)
      .openapi({ description: 'The `completion` parameter the callback put into the OAUTH_RETURN_URL address.' }),
  })
  .openapi('OAuthCompleteRequest');

const SiteRef = z.object({ id: z.string(), url: z.string(), name: z.string() }).openapi('Site');

export const HealthResponse = z.object({ status: z.literal('ok'), version: z.string() }).openapi('Health');
export const LivenessResponse = z.object({ status: z.literal('ok') }).openapi('Liveness');
export const ReadinessResponse = z.object({ status: z.literal('ready') }).openapi('Readiness');
export const OAuthStartResponse = z.object({ auth_url: z.string() }).openapi('OAuthStartResponse');
export const OAuthCallbackResponse = z
  .object({ session_token: z.string(), product: ProductParam, site: SiteRef, sites: z.array(SiteRef) })
  .openapi('OAuthCallbackResponse');
export const ApiTokenLoginResponse = z
  .object({ session_token: z.string(), product: ProductParam, site: z.object({ url: z.string() }) })
  .openapi('ApiTokenLoginResponse');

export const Project = z
  .object({
    id: z.string(),
    key: z.string(),
    name: z.string().openapi({ description: "The project's name; its key when Atlassian gives none." }),
    type: z.string().optional().openapi({ description: 'Jira projectTypeKey: software, service_desk, business, …' }),
    style: z.string().optional(),
    avatar_url: z.string().optional(),
    url: z.string().optional().openapi({ description: 'Browser link to the project.' }),
  })
  .openapi('Project');
const nextCursor = z.string().optional().openapi({ description: 'Present while more matches remain: send it as `cursor` for the next page.' });
const listingTotal = z.number().int().openapi({ description: 'How many items matched `q` (every item without it), across all pages.' });
export const ProjectsResponse = z.object({ projects: z.array(Project), total: listingTotal, next_cursor: nextCursor }).openapi('ProjectsResponse');

export const Space = z
  .object({
    id: z.string(),
    key: z.string(),
    name: z.string().openapi({ description: "The space's name; its key when Atlassian gives none." }),
    type: z.string().optional(),
    status: z.string().optional(),
    url: z.string().optional().openapi({ description: 'Browser link to the space.' }),
  })
  .openapi('Space');
export const SpacesResponse = z.object({ spaces: z.array(Space), total: listingTotal, next_cursor: nextCursor }).openapi('SpacesResponse');

/** Search and paging for pickers; without any of them a listing answers every item, as it always did. */
export const ListingQuery = z.object({
  q: z.string().max(MAX_QUERY).optional().openapi({ description: 'Keeps items whose key or name contains this text, ignoring case and accents.' }),
  limit: z.coerce.number().int().min(1).max(1000).optional().openapi({ description: 'Items per page (1–1000); every match when absent.' }),
  cursor: z
    .string()
    .min(1)
    .max(MAX_CURSOR)
    .regex(/^[A-Za-z0-9_-]+$/, 'must be a next_cursor from an earlier answer')
    .optional()
    .openapi({ description: '`next_cursor` of the previous page, with the same `q`.' }),
});

export const ErrorResponse = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: 'invalid_session' }),
      message: z.string(),
      fields: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
      failing: z.array(z.string()).optional().openapi({ description: 'With `not_ready`: the checks that failed.' }),
      limit: z.enum(['failed_sign_ins', 'requests']).optional().openapi({
        description: "With `rate_limited`: which of this service's own limits refused the request; absent when Atlassian's limit did.",
      }),
      site: z.string().optional().openapi({ description: 'With `invalid_credentials`: the site host that refused the credentials.' }),
    }),
  })
  .openapi('Error');

const ProductStatus = z
  .object({
    connected: z.boolean(),
    method: z.enum(['oauth', 'api_token']).optional(),
    site: z.object({ id: z.string().optional(), url: z.string(), name: z.string().optional() }).optional(),
    since: z.string().optional().openapi({ description: 'When the product was connected (ISO 8601).' }),
  })
  .openapi('ProductStatus');
export const SessionResponse = z
  .object({
    created_at: z.string(),
    expires_at: z.string().openapi({
      description:
        'When the session ends unless used again: its idle expiry (every use of a session with a connection extends it; ' +
        'a session without one is not extended) or ends_at, whichever is earlier.',
    }),
    ends_at: z
      .string()
      .openapi({ description: 'Absolute end of the session (creation + SESSION_MAX_AGE_SECONDS): no use extends it past this.' }),
    products: z.object({ jira: ProductStatus, confluence: ProductStatus }),
  })
  .openapi('Session');
