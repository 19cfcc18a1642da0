import { AppError } from '../../domain/errors.js';
import type { Product } from '../../domain/product.js';
import { PRODUCT_NAMES } from '../../domain/product.js';
import { pkceChallengeOf } from '../../domain/pkce.js';
import { stateIdOf } from '../../domain/session-token.js';
import { normaliseSite } from '../../domain/site.js';
import type { AtlassianOAuthGateway } from '../ports/atlassian-oauth-gateway.js';
import type { Clock } from '../ports/clock.js';
import type { SessionStore } from '../ports/session-store.js';
import type { TokenGenerator } from '../ports/token-generator.js';
import { existingOrNewSession } from '../session-access.js';

export interface StartOAuthInput {
  readonly product: Product;
  readonly sessionToken?: string;
  /** Site the user wants to connect, when the grant may cover several. */
  readonly site?: string;
}

export interface StartOAuthOutput {
  readonly authUrl: string;
  readonly sessionToken: string;
}

export class StartOAuth {
  constructor(
    private readonly store: SessionStore,
    private readonly oauth: AtlassianOAuthGateway,
    private readonly tokens: TokenGenerator,
    private readonly clock: Clock,
    private readonly settings: {
      readonly stateTtlSeconds: number;
      /** Send a PKCE challenge (S256) and keep its verifier for the exchange. */
      readonly pkce: boolean;
    },
  ) {}

  async execute(input: StartOAuthInput): Promise<StartOAuthOutput> {
    if (!this.oauth.isConfigured(input.product)) {
      throw new AppError(
        'oauth_not_configured',
        `OAuth sign-in for ${PRODUCT_NAMES[input.product]} is not configured on this server.`,
      );
    }
    const preferredSite = input.site === undefined ? undefined : normaliseSite(input.site);
    const session = await existingOrNewSession(this.store, this.tokens, input.sessionToken);
    if (session.isNew) await this.store.create(session.sessionId);

    const state = this.tokens.oauthState();
    const codeVerifier = this.settings.pkce ? this.tokens.pkceVerifier() : undefined;
    await this.store.putPendingOAuth({
      stateId: stateIdOf(state),
      product: input.product,
      sessionId: session.sessionId,
      sessionToken: session.sessionToken,
      ...(preferredSite === undefined ? {} : { preferredSite }),
      ...(codeVerifier === undefined ? {} : { codeVerifier }),
      expiresAt: this.clock.now() + this.settings.stateTtlSeconds * 1000,
    });
    const challenge = codeVerifier === undefined ? undefined : pkceChallengeOf(codeVerifier);
    return { authUrl: this.oauth.authorizationUrl(input.product, state, challenge), sessionToken: session.sessionToken };
  }
}
