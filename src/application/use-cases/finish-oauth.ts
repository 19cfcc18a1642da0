import { AppError } from '../../domain/errors.js';
import { completionIdOf, isWellFormedSessionToken, sessionIdOf } from '../../domain/session-token.js';
import type { Clock } from '../ports/clock.js';
import type { SessionStore } from '../ports/session-store.js';
import { invalidSession } from '../session-access.js';
import type { CompleteOAuthOutput } from './complete-oauth.js';

export interface FinishOAuthInput {
  /** The value the callback put into the return URL. */
  readonly completion: string;
  /** The X-Session-Token of the browser presenting it. */
  readonly sessionToken?: string;
}

/** The same answer the JSON callback gives. */
export type FinishOAuthOutput = CompleteOAuthOutput;

/**
 * The last step of an OAuth sign-in with OAUTH_RETURN_URL: the browser that landed on the frontend presents the
 * completion value with its session token, and the grant is attached only if that session started the flow. A
 * link to Atlassian's consent page that someone else opened therefore connects nobody's account to the sender.
 */
export class FinishOAuth {
  constructor(
    private readonly store: SessionStore,
    private readonly clock: Clock,
  ) {}

  async execute(input: FinishOAuthInput): Promise<FinishOAuthOutput> {
    // Taken before any check, so a refused attempt burns it: nobody gets a second try with the same value.
    const finished = await this.store.takeCompletion(completionIdOf(input.completion));
    if (finished === undefined || finished.expiresAt <= this.clock.now()) {
      throw new AppError('invalid_completion', 'The sign-in completion is unknown, expired or already used. Start the sign-in again.');
    }
    const token = input.sessionToken;
    if (token === undefined || !isWellFormedSessionToken(token) || sessionIdOf(token) !== finished.sessionId) {
      throw new AppError(
        'completion_session_mismatch',
        'This sign-in was started in another browser or session, so it was not connected here. Start the sign-in again from this page.',
      );
    }
    // false: the session ended (logout, expiry) after the callback, and the store refuses to bring it back.
    if (!(await this.store.putConnection(finished.sessionId, finished.connection))) throw invalidSession();
    return { sessionToken: token, product: finished.connection.product, site: finished.site, sites: finished.sites };
  }
}
