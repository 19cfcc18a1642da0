import type { Product } from '../../domain/product.js';
import { listingKey } from '../cached-listings.js';
import type { ListingCache } from '../ports/listing-cache.js';
import type { SessionStore } from '../ports/session-store.js';
import { loadSession } from '../session-access.js';

export interface DisconnectProductInput {
  readonly sessionToken?: string;
  readonly product: Product;
}

/**
 * Forgets one product's credentials, and the listing read with them, and keeps the session. Disconnecting what is
 * not connected is not an error.
 */
export class DisconnectProduct {
  constructor(
    private readonly store: SessionStore,
    private readonly listings: ListingCache,
  ) {}

  async execute(input: DisconnectProductInput): Promise<void> {
    const session = await loadSession(this.store, input.sessionToken);
    const connection = session.connections[input.product];
    if (connection !== undefined) await this.listings.delete(listingKey(session.id, connection));
    await this.store.removeConnection(session.id, input.product);
  }
}
