import http from 'node:http';
import https from 'node:https';
import fetch, { type RequestInit, type Response } from 'node-fetch';
import type { Logger } from '../../application/ports/logger.js';
import { AppError, RetryableError, UpstreamUnauthorizedError } from '../../domain/errors.js';
import { atlassianMessage } from './atlassian-errors.js';

export interface AtlassianHttpOptions {
  readonly timeoutMs: number;
  readonly userAgent: string;
}

export interface UpstreamResponse {
  readonly status: number;
  readonly headers: Response['headers'];
  /** Parsed JSON when the body is JSON, the text otherwise, undefined when empty. */
  readonly body: unknown;
}

/** Upstream bodies larger than this are refused rather than buffered. */
const MAX_BODY_BYTES = 32 * 1024 * 1024;
const DEFAULT_RETRY_AFTER_SECONDS = 5;

/**
 * The one way the service talks to Atlassian: keep-alive connections, a timeout on every call, no redirects
 * followed (a redirect could lead anywhere), and network failures turned into the service's error vocabulary.
 * Non-2xx answers are returned, not thrown, because what a 401 means depends on the call; `failure()` gives the
 * default translation.
 */
export class AtlassianHttp {
  private readonly httpAgent = new http.Agent({ keepAlive: true });
  private readonly httpsAgent = new https.Agent({ keepAlive: true });

  constructor(
    private readonly options: AtlassianHttpOptions,
    private readonly logger: Logger,
  ) {}

  get(url: string, authorization?: string): Promise<UpstreamResponse> {
    return this.send(url, { method: 'GET', headers: this.headers(authorization) });
  }

  postJson(url: string, body: unknown): Promise<UpstreamResponse> {
    return this.send(url, {
      method: 'POST',
      headers: { ...this.headers(), 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  private headers(authorization?: string): Record<string, string> {
    return {
      Accept: 'application/json',
      'User-Agent': this.options.userAgent,
      ...(authorization === undefined ? {} : { Authorization: authorization }),
    };
  }

  private async send(url: string, init: RequestInit): Promise<UpstreamResponse> {
    const started = performance.now();
    const target = new URL(url);
    let response: Response;
    let body: unknown;
    try {
      response = await fetch(url, {
        ...init,
        redirect: 'manual',
        size: MAX_BODY_BYTES,
        agent: target.protocol === 'https:' ? this.httpsAgent : this.httpAgent,
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
      body = parseBody(await response.text(), response.headers.get('content-type'));
    } catch (error) {
      const timedOut = error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError');
      this.logger.warn(
        { upstream: target.host, path: target.pathname, method: init.method, ms: elapsed(started), failure: timedOut ? 'timeout' : errorName(error) },
        'upstream call failed',
      );
      if (timedOut) throw new AppError('upstream_timeout', 'Atlassian did not answer in time. Try again later.');
      throw new AppError('upstream_error', 'Atlassian could not be reached. Try again later.');
    }
    this.logger.debug(
      { upstream: target.host, path: target.pathname, method: init.method, status: response.status, ms: elapsed(started) },
      'upstream call',
    );
    return { status: response.status, headers: response.headers, body };
  }
}

/** The default meaning of a non-2xx Atlassian answer, for calls that have no special reading of it. */
export function failure(response: UpstreamResponse): AppError {
  const detail = atlassianMessage(response.body);
  if (response.status === 401) {
    return new UpstreamUnauthorizedError(/scope does not match/i.test(detail ?? ''));
  }
  if (response.status === 429 || (response.status === 503 && response.headers.has('retry-after'))) {
    return new RetryableError(
      'rate_limited',
      'Atlassian is rate-limiting these requests. Retry after the time in the Retry-After header.',
      retryAfterSeconds(response.headers.get('retry-after')) ?? DEFAULT_RETRY_AFTER_SECONDS,
    );
  }
  if (response.status >= 300 && response.status < 400) {
    return new AppError('upstream_error', 'Atlassian redirected the request; the site may have been renamed or moved.');
  }
  const suffix = detail === undefined ? '' : `: ${detail}`;
  return new AppError('upstream_error', `Atlassian answered with status ${response.status}${suffix}`);
}

/** Retry-After is seconds in Atlassian's docs; an HTTP date is accepted too, as RFC 9110 allows. */
export function retryAfterSeconds(value: string | null, now: number = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, Math.ceil((date - now) / 1000));
}

function parseBody(text: string, contentType: string | null): unknown {
  if (text === '') return undefined;
  if (contentType?.includes('json') || /^\s*[[{]/.test(text)) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }
  return text;
}

function elapsed(started: number): number {
  return Math.round(performance.now() - started);
}

function errorName(error: unknown): string {
  return error instanceof Error ? ((error as { code?: string }).code ?? error.name) : 'unknown';
}
