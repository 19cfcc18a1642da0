import type { Middleware } from 'koa';
import type bodyParser from 'koa-bodyparser';

type BodyParserFactory = typeof bodyParser;

let library: Promise<BodyParserFactory> | undefined;

/**
 * koa-bodyparser, imported on the first request that reads a body, not at start: it and what it pulls in (co-body,
 * raw-body, iconv-lite, qs) are about 60 ms of module loading. The service also calls this in the background once
 * it listens, so the first such request rarely waits.
 */
export function loadBodyParser(): Promise<BodyParserFactory> {
  return (library ??= import('koa-bodyparser').then((loaded) => loaded.default));
}

/** Parses a JSON request body of at most `limitBytes` (koa-bodyparser: 413 above it, 400 on invalid JSON). */
export function jsonBodyParser(limitBytes: number): Middleware {
  let parser: Promise<Middleware> | undefined;
  return async (ctx, next) => {
    parser ??= loadBodyParser().then((create) => create({ enableTypes: ['json'], jsonLimit: String(limitBytes), strict: true }));
    return (await parser)(ctx, next);
  };
}
