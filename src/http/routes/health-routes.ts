import type Router from '@koa/router';
import { AppError } from '../../domain/errors.js';
import type { Readiness } from '../readiness.js';
import { respond } from '../respond.js';
import { HealthResponse, LivenessResponse, ReadinessResponse } from '../schemas.js';

const DESCRIPTIONS: Readonly<Record<string, string>> = {
  draining: 'the instance is shutting down',
  session_store: 'the session store did not answer a ping within 1 s',
};

export function healthRoutes(router: Router, version: string, readiness: Readiness): void {
  router.get('/', (ctx) => {
    respond(ctx, HealthResponse, { status: 'ok', version });
  });

  // Liveness asks only "does the process answer": a dependency outage must not get healthy instances restarted.
  router.get('/health/live', (ctx) => {
    respond(ctx, LivenessResponse, { status: 'ok' });
  });

  router.get('/health/ready', async (ctx) => {
    const failing = await readiness.failing();
    if (failing.length > 0) {
      throw new AppError('not_ready', `Not ready: ${failing.map((name) => DESCRIPTIONS[name] ?? name).join('; ')}.`, { failing });
    }
    respond(ctx, ReadinessResponse, { status: 'ready' });
  });
}
