import Router from '@koa/router';

export function healthRoutes(version: string): Router {
  const router = new Router();
  router.get('/', (ctx) => {
    ctx.body = { status: 'ok', version };
  });
  return router;
}
