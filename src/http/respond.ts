import type { Context } from 'koa';
import type { z } from './zod-openapi.js';

/** The answer a response schema describes, read-only all the way down so the use-cases' readonly data fits. */
export type WireOf<S extends z.ZodType> = DeepReadonly<z.infer<S>>;

type DeepReadonly<T> = T extends readonly (infer U)[]
  ? readonly DeepReadonly<U>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

/**
 * Sends `body` as the answer, typed by the route's response schema: a body of the wrong shape does not compile.
 * Type-only on purpose: nothing is parsed per request; the integration tests check every JSON answer against
 * the OpenAPI document instead.
 */
export function respond<S extends z.ZodType>(ctx: Context, _schema: S, body: WireOf<S>): void {
  ctx.body = body;
}
