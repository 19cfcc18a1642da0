/**
 * HTTP and crypto helpers for the fake Atlassian server.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

import type { AuthKind, FakeRequestMatch } from './types.js';

export type ParsedAuth =
  | { kind: 'none' }
  | { kind: 'bearer'; token: string }
  | { kind: 'basic'; email: string; secret: string; valid: boolean }
  | { kind: 'other' };

export function parseAuthorization(header: string | undefined): ParsedAuth {
  if (header === undefined || header.trim() === '') return { kind: 'none' };
  const m = /^\s*(\S+)\s+(.*)$/.exec(header);
  if (!m) return { kind: 'other' };
  const scheme = (m[1] ?? '').toLowerCase();
  const value = (m[2] ?? '').trim();
  if (scheme === 'bearer') return { kind: 'bearer', token: value };
  if (scheme === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const idx = decoded.indexOf(':');
    if (idx < 0) return { kind: 'basic', email: '', secret: '', valid: false };
    return { kind: 'basic', email: decoded.slice(0, idx), secret: decoded.slice(idx + 1), valid: true };
  }
  return { kind: 'other' };
}

export function authKindOf(auth: ParsedAuth): AuthKind {
  return auth.kind === 'other' ? 'none' : auth.kind;
}

export function matches(match: FakeRequestMatch, method: string, path: string): boolean {
  if (match.method !== undefined && match.method.toUpperCase() !== method.toUpperCase()) return false;
  if (typeof match.path === 'string') return path.includes(match.path);
  match.path.lastIndex = 0; // a /g or /y regexp would otherwise be stateful
  return match.path.test(path);
}

export function traceHeaders(): Record<string, string> {
  return { 'atl-traceid': randomBytes(16).toString('hex') };
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  send(res, status, JSON.stringify(body), { 'Content-Type': 'application/json;charset=UTF-8', ...headers });
}

export function sendText(
  res: ServerResponse,
  status: number,
  text: string,
  contentType = 'text/plain;charset=UTF-8',
  headers: Record<string, string> = {},
): void {
  send(res, status, text, { 'Content-Type': contentType, ...headers });
}

export function send(res: ServerResponse, status: number, body: string, headers: Record<string, string>): void {
  if (res.headersSent || res.destroyed) return;
  const buf = Buffer.from(body, 'utf8');
  res.writeHead(status, { ...traceHeaders(), ...headers, 'Content-Length': String(buf.length) });
  res.end(buf);
}

export function htmlPage(title: string, message: string): string {
  const esc = (s: string): string =>
    s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
  return `<!DOCTYPE html><html><head><meta charset="utf-8"><title>${esc(title)}</title></head>` +
    `<body><h1>${esc(title)}</h1><p>${esc(message)}</p></body></html>`;
}

export function readBody(req: IncomingMessage, limit = 1_048_576): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(new Error('body too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export function headerRecord(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined) continue;
    out[k] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

export function queryRecord(q: URLSearchParams): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of q) out[k] = v;
  return out;
}

// ---------------------------------------------------------------------------------------------
// ids and tokens

/** Deterministic v4-shaped UUID derived from a seed. */
export function uuidFrom(seed: string): string {
  const h = createHash('sha256').update(seed).digest('hex');
  const variant = ((parseInt(h.charAt(16), 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function randomString(bytes: number): string {
  return randomBytes(bytes).toString('base64url');
}

function b64json(v: unknown): string {
  return Buffer.from(JSON.stringify(v), 'utf8').toString('base64url');
}

/**
 * Atlassian-looking JWT (`eyJ...`.`eyJ...`.`<RS256 signature>`), random and opaque.
 * `padBytes` random bytes are embedded in the payload to reach the real tokens' size (~2–3 KB for access tokens).
 * Carries no cloudId (the real one does not either).
 */
export function makeJwt(claims: Record<string, unknown>, padBytes: number): string {
  const header = { kid: `auth.atlassian.io/${randomBytes(8).toString('hex')}`, typ: 'JWT', alg: 'RS256' };
  const payload = { jti: randomUUID(), ...claims, 'https://id.atlassian.com/session_id': randomUUID(), 'https://id.atlassian.com/ujt': randomString(padBytes) };
  return `${b64json(header)}.${b64json(payload)}.${randomString(256)}`;
}

export function sleep(ms: number, timers: Set<NodeJS.Timeout>): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(() => {
      timers.delete(t);
      resolve();
    }, ms);
    timers.add(t);
  });
}

/** Everything a route handler needs about one request. */
export interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  method: string;
  url: URL;
  path: string;
  query: URLSearchParams;
  auth: ParsedAuth;
  body: string;
  /** Told how many objects a listing answer holds, before it is sent (the points quota charges them). */
  onListed?: (objects: number) => void;
}

export const GATEWAY_UNAUTHORIZED = { code: 401, message: 'Unauthorized' } as const;
export const GATEWAY_SCOPE_MISMATCH = { code: 401, message: 'Unauthorized; scope does not match' } as const;

export function methodNotAllowed(ctx: Ctx, allow: string): void {
  sendJson(ctx.res, 405, { code: 405, message: 'Method Not Allowed' }, { Allow: allow });
}
