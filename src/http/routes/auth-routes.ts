import type Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import type {} from 'koa-bodyparser'; // declares ctx.request.body
import type { AuthenticateWithToken } from '../../application/use-cases/authenticate-with-token.js';
import type { CompleteOAuth, CompleteOAuthInput, CompleteOAuthOutput } from '../../application/use-cases/complete-oauth.js';
import type { FinishOAuth } from '../../application/use-cases/finish-oauth.js';
import type { StartOAuth } from '../../application/use-cases/start-oauth.js';
import type { Product } from '../../domain/product.js';
import type { AttemptLimiter } from '../../application/ports/attempt-limiter.js';
import type { Logger } from '../../application/ports/logger.js';
import { toAppError } from '../error-answers.js';
import { failedAttemptLimit, requestRateLimit } from '../failed-attempt-limit.js';
import { jsonOnly } from '../security-middleware.js';
import { productParam } from '../product-param.js';
import { respond } from '../respond.js';
import {
  ApiTokenLoginBody,
  ApiTokenLoginResponse,
  OAuthCallbackQuery,
  OAuthCallbackResponse,
  OAuthCompleteBody,
  OAuthStartQuery,
  OAuthStartResponse,
} from '../schemas.js';
import { sendSessionToken, sessionTokenOf } from '../session-header.js';
import { validate } from '../validate.js';

export interface AuthRouteDeps {
  readonly startOAuth: StartOAuth;
  readonly completeOAuth: CompleteOAuth;
  readonly finishOAuth: FinishOAuth;
  readonly authenticateWithToken: AuthenticateWithToken;
  /**
   * When set, the OAuth callback redirects the browser here with a completion value instead of answering JSON,
   * and POST /auth/oauth/complete attaches the grant.
   */
  readonly oauthReturnUrl?: string;
  readonly authLimiter: AttemptLimiter;
  readonly oauthStartLimiter: AttemptLimiter;
  readonly logger: Logger;
  /** Parses a JSON request body within the size limit (koa-bodyparser). */
  readonly jsonBody: Middleware;
}

export function authRoutes(router: Router, deps: AuthRouteDeps): void {

  // Anonymous callers could otherwise start flows without end, each able to send the client secret to Atlassian's
  // token endpoint with a made-up code. Callbacks need no limit: an unknown state is refused before any upstream call.
  router.get('/auth/:product/oauth/start', requestRateLimit(deps.oauthStartLimiter, deps.logger, 'oauth-start'), async (ctx) => {
    const product = productParam(ctx.params['product']);
    const query = validate(OAuthStartQuery, ctx.query, 'query');
    const result = await deps.startOAuth.execute({
      product,
      sessionToken: sessionTokenOf(ctx),
      site: query.site,
    });
    sendSessionToken(ctx, result.sessionToken);
    respond(ctx, OAuthStartResponse, { auth_url: result.authUrl });
  });

  // The shared callback serves apps that register a single callback URL for both products: the state says which.
  router.get('/auth/oauth/callback', (ctx) => callback(ctx, undefined));
  router.get('/auth/:product/oauth/callback', (ctx) => callback(ctx, productParam(ctx.params['product'])));

  async function callback(ctx: Context, product: Product | undefined): Promise<void> {
    if (deps.oauthReturnUrl === undefined) {
      respondWithSession(ctx, await deps.completeOAuth.execute(callbackInput(ctx, product)));
      return;
    }
    // The browser is on this URL, not the frontend: send it back to the frontend with the outcome either way.
    // Nothing is attached yet: the frontend finishes with POST /auth/oauth/complete and its own session token.
    const target = new URL(deps.oauthReturnUrl);
    if (product !== undefined) target.searchParams.set('product', product);
    try {
      const result = await deps.completeOAuth.execute({ ...callbackInput(ctx, product), bindToBrowser: true });
      target.searchParams.set('product', result.product);
      target.searchParams.set('status', 'pending');
      target.searchParams.set('completion', result.completion);
    } catch (thrown) {
      const error = toAppError(thrown);
      if (error.code === 'internal_error') ctx.app.emit('error', thrown, ctx);
      target.searchParams.set('status', 'error');
      target.searchParams.set('code', error.code);
    }
    ctx.redirect(target.toString());
  }

  router.post('/auth/oauth/complete', jsonOnly(), deps.jsonBody, async (ctx) => {
    const body = validate(OAuthCompleteBody, ctx.request.body ?? {}, 'request body');
    respondWithSession(ctx, await deps.finishOAuth.execute({ completion: body.completion, sessionToken: sessionTokenOf(ctx) }));
  });

  router.post('/auth/:product/api-token', failedAttemptLimit(deps.authLimiter, deps.logger, 'api-token'), jsonOnly(), deps.jsonBody, async (ctx) => {
    const product = productParam(ctx.params['product']);
    const body = validate(ApiTokenLoginBody, ctx.request.body ?? {}, 'request body');
    const result = await deps.authenticateWithToken.execute({
      product,
      email: body.email,
      apiToken: body.api_token,
      site: body.site,
      sessionToken: sessionTokenOf(ctx),
    });
    sendSessionToken(ctx, result.sessionToken);
    respond(ctx, ApiTokenLoginResponse, { session_token: result.sessionToken, product: result.product, site: result.site });
  });

}

function callbackInput(ctx: Context, product: Product | undefined): Omit<CompleteOAuthInput, 'bindToBrowser'> {
  const query = validate(OAuthCallbackQuery, ctx.query, 'query');
  return { product, code: query.code, state: query.state, error: query.error };
}

function respondWithSession(ctx: Context, result: CompleteOAuthOutput): void {
  sendSessionToken(ctx, result.sessionToken);
  respond(ctx, OAuthCallbackResponse, { session_token: result.sessionToken, product: result.product, site: result.site, sites: result.sites });
}
