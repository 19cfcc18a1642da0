import type { Context } from 'koa';

export const SESSION_HEADER = 'X-Session-Token';

export function sessionTokenOf(ctx: Context): string | undefined {
  const value = ctx.get(SESSION_HEADER);
  return value === '' ? undefined : value;
}

export function sendSessionToken(ctx: Context, token: string): void {
  ctx.set(SESSION_HEADER, token);
}
