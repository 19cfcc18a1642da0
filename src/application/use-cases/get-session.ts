import { PRODUCTS, type Product } from '../../domain/product.js';
import type { AuthMethod, ConnectedSite } from '../../domain/session.js';
import type { SessionStore } from '../ports/session-store.js';
import { loadSession } from '../session-access.js';

export interface GetSessionInput {
  readonly sessionToken?: string;
}

export type ProductStatus =
  | { readonly connected: false }
  | { readonly connected: true; readonly method: AuthMethod; readonly site: ConnectedSite; readonly since: number };

/** What a session holds, without a single credential. */
export interface GetSessionOutput {
  readonly createdAt: number;
  /** When the session ends unless used again: the idle (or empty-session) expiry or the absolute end, the earlier. */
  readonly expiresAt: number;
  /** The absolute end: no use extends the session past it. */
  readonly endsAt: number;
  readonly products: Readonly<Record<Product, ProductStatus>>;
}

export class GetSession {
  constructor(private readonly store: SessionStore) {}

  async execute(input: GetSessionInput): Promise<GetSessionOutput> {
    const session = await loadSession(this.store, input.sessionToken);
    const products = {} as Record<Product, ProductStatus>;
    for (const product of PRODUCTS) {
      const connection = session.connections[product];
      products[product] =
        connection === undefined
          ? { connected: false }
          : { connected: true, method: connection.method, site: connection.site, since: connection.connectedAt };
    }
    return {
      createdAt: session.createdAt,
      expiresAt: Math.min(session.expiresAt, session.endsAt),
      endsAt: session.endsAt,
      products,
    };
  }
}
