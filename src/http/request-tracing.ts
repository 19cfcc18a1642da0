import type { Middleware } from 'koa';

/**
 * What the HTTP adapter asks of tracing: run one request inside a server span continued from the caller's W3C
 * `traceparent`. `outcome` is read when the request ends, so the span carries the matched route and final status.
 * Implemented by the OpenTelemetry adapter; absent when tracing is off, so a request pays nothing for it.
 */
export interface RequestTracing {
  inRequest(
    request: { readonly method: string; readonly headers: Readonly<Record<string, string | string[] | undefined>> },
    work: () => Promise<void>,
    outcome: () => { readonly route: string; readonly status: number },
  ): Promise<void>;
}

export function tracingMiddleware(tracing: RequestTracing): Middleware {
  return (ctx, next) =>
    tracing.inRequest({ method: ctx.method, headers: ctx.headers }, next, () => {
      const route = (ctx as { _matchedRoute?: unknown })._matchedRoute;
      return { route: typeof route === 'string' ? route : 'unmatched', status: ctx.status };
    });
}
