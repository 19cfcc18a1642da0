import type { Product } from '../../domain/product.js';
import type { SessionStore } from '../ports/session-store.js';
import { loadSession } from '../session-access.js';

export interface DisconnectProductInput {
  readonly sessionToken?: string;
  readonly product: Product;
}

/** Forgets one product's credentials and keeps the session. Disconnecting what is not connected is not an error. */
export class DisconnectProduct {
  constructor(private readonly store: SessionStore) {}

  async execute(input: DisconnectProductInput): Promise<void> {
    const session = await loadSession(this.store, input.sessionToken);
    await this.store.removeConnection(session.id, input.product);
  }
}
