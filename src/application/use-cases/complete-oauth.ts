import { AppError } from '../../domain/errors.js';
import type { Product } from '../../domain/product.js';
import { PRODUCT_NAMES } from '../../domain/product.js';
import { siteHostOf, type ConnectedSite, type OAuthConnection } from '../../domain/session.js';
import { completionIdOf, stateIdOf } from '../../domain/session-token.js';
import type { AccessibleResource, AtlassianOAuthGateway } from '../ports/atlassian-oauth-gateway.js';
import type { Clock } from '../ports/clock.js';
import type { SessionStore } from '../ports/session-store.js';
import type { TokenGenerator } from '../ports/token-generator.js';
import { invalidSession } from '../session-access.js';

export interface CompleteOAuthInput {
  /** The product whose callback was called; absent on the shared callback, where the state names it. */
  readonly product?: Product;
  readonly code?: string;
  readonly state?: string;
  /** Atlassian's `error` parameter, present when the user declined or authorization failed. */
  readonly error?: string;
  /**
   * Keep the grant under a one-time completion value for the browser that started the flow (FinishOAuth)
   * instead of attaching it to the flow's session: whoever consents is not necessarily whoever started.
   */
  readonly bindToBrowser?: boolean;
}

export interface CompleteOAuthOutput {
  readonly sessionToken: string;
  readonly product: Product;
  readonly site: Required<ConnectedSite>;
  /** Every site the grant covers for this product. */
  readonly sites: readonly Required<ConnectedSite>[];
}

/**
 * RFC 6749 §4.1.2.1's error codes: the only `error` values shown back. The callback URL can be crafted by anyone,
 * so any other word (`call_support_at_evil_example`) would put an attacker's text in the service's answer.
 */
const OAUTH_ERRORS: ReadonlySet<string> = new Set([
  'access_denied',
  'invalid_request',
  'unauthorized_client',
  'unsupported_response_type',
  'invalid_scope',
  'server_error',
  'temporarily_unavailable',
]);

/** With `bindToBrowser`: the value the browser hands to POST /auth/oauth/complete, nothing attached yet. */
export interface AwaitingCompletionOutput {
  readonly product: Product;
  readonly completion: string;
}

export class CompleteOAuth {
  constructor(
    private readonly store: SessionStore,
    private readonly oauth: AtlassianOAuthGateway,
    private readonly tokens: TokenGenerator,
    private readonly clock: Clock,
    private readonly settings: { readonly completionTtlSeconds: number },
  ) {}

  execute(input: CompleteOAuthInput & { readonly bindToBrowser: true }): Promise<AwaitingCompletionOutput>;
  execute(input: CompleteOAuthInput & { readonly bindToBrowser?: false }): Promise<CompleteOAuthOutput>;
  async execute(input: CompleteOAuthInput): Promise<CompleteOAuthOutput | AwaitingCompletionOutput> {
    if (input.error !== undefined) {
      // Burn the state so the same flow cannot be completed later with a code.
      const burnt = input.state ? await this.store.takePendingOAuth(stateIdOf(input.state)) : undefined;
      const product = input.product ?? burnt?.product;
      const what = product === undefined ? 'Atlassian' : PRODUCT_NAMES[product];
      const reason = OAUTH_ERRORS.has(input.error) ? ` (${input.error})` : '';
      throw new AppError('oauth_denied', `Access to ${what} was not granted on Atlassian's consent page${reason}.`);
    }
    if (!input.code || !input.state) {
      throw new AppError('invalid_request', 'The callback needs both the "code" and "state" query parameters.');
    }
    const pending = await this.store.takePendingOAuth(stateIdOf(input.state));
    const productMatches = input.product === undefined || pending?.product === input.product;
    if (pending === undefined || !productMatches || pending.expiresAt <= this.clock.now()) {
      throw new AppError('invalid_state', 'The OAuth state is unknown, expired or already used. Start the sign-in again.');
    }
    const product = pending.product;
    const name = PRODUCT_NAMES[product];
    // Logged out (or expired) since the start: do not redeem a grant nobody can use.
    if ((await this.store.get(pending.sessionId)) === undefined) throw invalidSession();

    const granted = await this.oauth.exchangeCode(product, input.code, pending.codeVerifier);
    const usable = usableSites(await this.oauth.accessibleResources(granted.accessToken), product);
    const chosen = pending.preferredSite === undefined
      ? usable[0]
      : usable.find((site) => siteHostOf(site) === pending.preferredSite);
    if (chosen === undefined) {
      const which = pending.preferredSite === undefined ? 'any site' : `the site ${pending.preferredSite}`;
      throw new AppError('no_accessible_site', `The ${name} authorization does not cover ${which}.`);
    }

    const now = this.clock.now();
    const connection: OAuthConnection = {
      product,
      method: 'oauth',
      site: chosen,
      connectedAt: now,
      version: this.tokens.id(),
      accessToken: granted.accessToken,
      ...(granted.refreshToken === undefined ? {} : { refreshToken: granted.refreshToken }),
      accessTokenExpiresAt: now + granted.expiresInSeconds * 1000,
      scopes: granted.scopes,
    };
    if (input.bindToBrowser === true) {
      const completion = this.tokens.oauthCompletion();
      await this.store.putCompletion({
        completionId: completionIdOf(completion),
        sessionId: pending.sessionId,
        connection,
        site: chosen,
        sites: usable,
        expiresAt: now + this.settings.completionTtlSeconds * 1000,
      });
      return { product, completion };
    }
    // false: the session ended meanwhile, and the store refuses to bring it back.
    if (!(await this.store.putConnection(pending.sessionId, connection))) throw invalidSession();
    return { sessionToken: pending.sessionToken, product, site: chosen, sites: usable };
  }
}

/**
 * The sites of a grant that carry scopes of this product, de-duplicated by cloudId (Atlassian does not say
 * whether a site with both products appears once or twice). A resource without a scope list is kept: the
 * list is informative, and the listing call will tell if the site is not usable.
 */
function usableSites(resources: readonly AccessibleResource[], product: Product): Required<ConnectedSite>[] {
  const seen = new Set<string>();
  const sites: Required<ConnectedSite>[] = [];
  for (const resource of resources) {
    const carriesProduct = resource.scopes.length === 0 || resource.scopes.some((scope) => scope.includes(product));
    if (!carriesProduct || seen.has(resource.id)) continue;
    seen.add(resource.id);
    sites.push({ id: resource.id, url: resource.url, name: resource.name });
  }
  return sites;
}
