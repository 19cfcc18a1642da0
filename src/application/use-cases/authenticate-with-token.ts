import { deadlineAfter, type Deadline } from '../../domain/deadline.js';
import { AppError } from '../../domain/errors.js';
import type { Product } from '../../domain/product.js';
import type { ApiTokenConnection } from '../../domain/session.js';
import { normaliseSite, siteUrl, type CloudId } from '../../domain/site.js';
import type { ApiTokenCredentials, AtlassianIdentity } from '../ports/atlassian-credentials.js';
import type { Clock } from '../ports/clock.js';
import type { ConfluenceGateway } from '../ports/confluence-gateway.js';
import type { JiraGateway } from '../ports/jira-gateway.js';
import type { SessionStore } from '../ports/session-store.js';
import type { SiteDirectory } from '../ports/site-directory.js';
import type { TokenGenerator } from '../ports/token-generator.js';
import { existingOrNewSession, invalidSession } from '../session-access.js';

export interface AuthenticateWithTokenInput {
  readonly product: Product;
  readonly email: string;
  readonly apiToken: string;
  readonly site?: string;
  readonly sessionToken?: string;
}

export interface AuthenticateWithTokenOutput {
  readonly sessionToken: string;
  readonly product: Product;
  readonly site: { readonly url: string };
}

export class AuthenticateWithToken {
  constructor(
    private readonly store: SessionStore,
    private readonly jira: JiraGateway,
    private readonly confluence: ConfluenceGateway,
    private readonly sites: SiteDirectory,
    private readonly tokens: TokenGenerator,
    private readonly clock: Clock,
    /** `deadlineMs` (UPSTREAM_DEADLINE_MS) bounds all the upstream calls of one login together. */
    private readonly settings: { readonly defaultSite?: string; readonly deadlineMs: number },
  ) {}

  async execute(input: AuthenticateWithTokenInput): Promise<AuthenticateWithTokenOutput> {
    const deadline = deadlineAfter(this.clock.now(), this.settings.deadlineMs);
    const requested = input.site ?? this.settings.defaultSite;
    if (requested === undefined) {
      throw new AppError('validation_error', 'site is required: this server has no default Atlassian site.', {
        fields: [{ field: 'site', message: 'Required' }],
      });
    }
    // Validated before anything leaves the service: the host is the only part of an upstream URL a caller controls.
    const host = normaliseSite(requested);
    const credentials: ApiTokenCredentials = { kind: 'api_token', host, email: input.email, apiToken: input.apiToken };
    const cloudId = await this.verifySiteOrGateway(input.product, credentials, deadline).catch((error: unknown) => {
      // The site refused is named apart from the message, so a client can say which one it was (the default?).
      throw error instanceof AppError && error.code === 'invalid_credentials' ? new AppError(error.code, error.message, { site: host }) : error;
    });

    const session = await existingOrNewSession(this.store, this.tokens, input.sessionToken);
    if (session.isNew) await this.store.create(session.sessionId);
    const connection: ApiTokenConnection = {
      product: input.product,
      method: 'api_token',
      site: cloudId === undefined ? { url: siteUrl(host) } : { id: cloudId, url: siteUrl(host) },
      connectedAt: this.clock.now(),
      version: this.tokens.id(),
      email: input.email,
      apiToken: input.apiToken,
      route: cloudId === undefined ? 'site' : 'gateway',
    };
    // False only when the session ended (logout, expiry) since we found it: that must stay ended.
    if (!(await this.store.putConnection(session.sessionId, connection))) throw invalidSession();
    return { sessionToken: session.sessionToken, product: input.product, site: { url: connection.site.url } };
  }

  /**
   * Classic API tokens work on the site; scoped ones (Atlassian's newer kind, the only kind service accounts get)
   * are refused there and work only through the gateway, and nothing in the token tells which it is. So: try the
   * site, and when it refuses, find the site's cloudId and try the gateway. Answers the cloudId when the gateway
   * route is the one that worked. A gateway failure other than a refusal (`insufficient_scope`, a rate limit, an
   * outage, also while looking up the cloudId) is the answer: it says more than the site's refusal.
   */
  private async verifySiteOrGateway(product: Product, credentials: ApiTokenCredentials, deadline: Deadline): Promise<CloudId | undefined> {
    try {
      await this.verify(product, credentials, deadline);
      return undefined;
    } catch (refused) {
      if (!(refused instanceof AppError) || refused.code !== 'invalid_credentials') throw refused;
      const cloudId = await this.sites.cloudIdOf(credentials.host, deadline);
      if (cloudId === undefined) throw refused;
      try {
        await this.verify(product, { ...credentials, gatewayCloudId: cloudId }, deadline);
        return cloudId;
      } catch (error) {
        throw error instanceof AppError && error.code === 'invalid_credentials' ? refused : error;
      }
    }
  }

  private verify(product: Product, credentials: ApiTokenCredentials, deadline: Deadline): Promise<AtlassianIdentity | undefined> {
    return product === 'jira' ? this.jira.verifyCredentials(credentials, deadline) : this.confluence.verifyCredentials(credentials, deadline);
  }
}
