import type { Connection } from '../../domain/session.js';
import { listingKey } from '../cached-listings.js';
import type { ListingCache } from '../ports/listing-cache.js';
import type { SessionStore } from '../ports/session-store.js';
import { loadSession } from '../session-access.js';

export interface EndSessionInput {
  readonly sessionToken?: string;
}

/** Logs out: the session, every credential in it and every listing read with them are deleted. */
export class EndSession {
  constructor(
    private readonly store: SessionStore,
    private readonly listings: ListingCache,
  ) {}

  async execute(input: EndSessionInput): Promise<void> {
    const session = await loadSession(this.store, input.sessionToken);
    const connections = Object.values(session.connections).filter((c): c is Connection => c !== undefined);
    await Promise.all(connections.map((connection) => this.listings.delete(listingKey(session.id, connection))));
    await this.store.delete(session.id);
  }
}
