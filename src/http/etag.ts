import { createHash } from 'node:crypto';
import type { Context } from 'koa';

/**
 * Answers with an entity tag derived from the body, or 304 when the client already holds that body
 * (`If-None-Match`, weak comparison as RFC 9110 prescribes for it). The upstream calls still happen — the
 * listing must be fresh to be compared — but an unchanged listing costs the client no transfer.
 */
export function sendWithEtag(ctx: Context, body: unknown): void {
  const json = JSON.stringify(body);
  const etag = `"${createHash('sha256').update(json).digest('base64url').slice(0, 32)}"`;
  ctx.set('ETag', etag);
  if (matches(ctx.get('If-None-Match'), etag)) {
    ctx.status = 304;
    return;
  }
  ctx.type = 'application/json';
  ctx.body = json;
}

function matches(header: string, etag: string): boolean {
  if (header === '') return false;
  if (header.trim() === '*') return true;
  return header.split(',').some((candidate) => candidate.trim().replace(/^W\//, '') === etag);
}
