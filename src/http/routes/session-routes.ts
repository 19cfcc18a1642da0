import type Router from '@koa/router';
import type { DisconnectProduct } from '../../application/use-cases/disconnect-product.js';
import type { EndSession } from '../../application/use-cases/end-session.js';
import type { GetSession, ProductStatus } from '../../application/use-cases/get-session.js';
import { productParam } from '../product-param.js';
import { respond, type WireOf } from '../respond.js';
import { SessionResponse } from '../schemas.js';
import { sessionTokenOf } from '../session-header.js';

export interface SessionRouteDeps {
  readonly getSession: GetSession;
  readonly endSession: EndSession;
  readonly disconnectProduct: DisconnectProduct;
}

export function sessionRoutes(router: Router, deps: SessionRouteDeps): void {

  router.get('/auth/session', async (ctx) => {
    const session = await deps.getSession.execute({ sessionToken: sessionTokenOf(ctx) });
    respond(ctx, SessionResponse, {
      created_at: iso(session.createdAt),
      expires_at: iso(session.expiresAt),
      ends_at: iso(session.endsAt),
      products: { jira: status(session.products.jira), confluence: status(session.products.confluence) },
    });
  });

  router.delete('/auth/session', async (ctx) => {
    await deps.endSession.execute({ sessionToken: sessionTokenOf(ctx) });
    ctx.status = 204;
  });

  router.delete('/auth/:product', async (ctx) => {
    const product = productParam(ctx.params['product']);
    await deps.disconnectProduct.execute({ sessionToken: sessionTokenOf(ctx), product });
    ctx.status = 204;
  });

}

function status(product: ProductStatus): WireOf<typeof SessionResponse>['products']['jira'] {
  return product.connected ? { connected: true, method: product.method, site: product.site, since: iso(product.since) } : { connected: false };
}

function iso(epochMs: number): string {
  return new Date(epochMs).toISOString();
}
