import type Router from '@koa/router';

export function healthRoutes(router: Router, version: string): void {
  router.get('/', (ctx) => {
    ctx.body = { status: 'ok', version };
  });
}
