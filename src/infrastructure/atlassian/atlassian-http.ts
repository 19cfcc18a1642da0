import http from 'node:http';
import https from 'node:https';
import fetch, { type RequestInit, type Response } from 'node-fetch';
import type { Logger } from '../../application/ports/logger.js';
import { deadlineAfter, type Deadline } from '../../domain/deadline.js';
import { AppError, RetryableError, UpstreamUnauthorizedError } from '../../domain/errors.js';
import { atlassianMessage, upstreamText } from './atlassian-errors.js';
import { AttemptSignal } from './attempt-signal.js';
import type { UpstreamSpan, UpstreamTracing } from '../observability/otel-tracing.js';
import type { QuotaGuard } from './quota-guard.js';
import { decideRetry, isRetryableStatus, retryAfterMs, type AttemptOutcome, type RetrySettings } from './retry-policy.js';

export interface AtlassianHttpOptions {
  /** Bound on one attempt. */
  readonly timeoutMs: number;
  /** Bound on one call with all its retries and waits, unless the caller passes its client request's deadline. */
  readonly deadlineMs: number;
  readonly retry: RetrySettings;
  readonly userAgent: string;
  /** Sockets kept per Atlassian host; more requests queue for a free one. */
  readonly maxSockets?: number;
  /** A span per call when tracing is on; absent, a call pays nothing for it. */
  readonly tracing?: UpstreamTracing;
  /** Requests in flight to Atlassian at once (all hosts); one more is refused with `overloaded`. 0 or unset: no bound. */
  readonly maxInFlight?: number;
  /** The service's clock (epoch ms), which deadlines are read on; default Date.now. */
  readonly now?: () => number;
}

export interface RequestOptions {
  readonly authorization?: string;
  /** The client request's deadline, shared by every call made for it; absent, the call gets its own. */
  readonly deadline?: Deadline;
  /** For logs and metrics: which product the call serves. */
  readonly product?: string;
}

export interface UpstreamResponse {
  readonly status: number;
  readonly headers: Response['headers'];
  /** Parsed JSON when the body is JSON, the text otherwise, undefined when empty. */
  readonly body: unknown;
  /** A 429 without Retry-After: the wait Atlassian's backoff guidance implies after the retries made. */
  readonly impliedRetryAfterMs?: number;
  /** A points quota is spent: the wait until its reset, which the client is told (not retried: up to an hour). */
  readonly quotaRetryAfterMs?: number;
}

/** What one finished call looked like, for whoever measures (metrics). */
export interface UpstreamCallRecord {
  readonly product: string;
  readonly method: string;
  /** HTTP status, or `timeout` / `network_error`. */
  readonly outcome: string;
  readonly retries: number;
  readonly durationMs: number;
}

/** Upstream bodies larger than this are refused rather than buffered. */
const MAX_BODY_BYTES = 32 * 1024 * 1024;
const DEFAULT_RETRY_AFTER_SECONDS = 5;

/**
 * The deadline had passed before the request was sent: Atlassian saw nothing. A token grant can tell this from
 * a lost answer, after which Atlassian may have rotated the refresh token.
 */
export class NotSentError extends AppError {
  constructor() {
    super('upstream_timeout', 'Atlassian did not answer in time. Try again later.');
  }
}

class NoAnswer extends Error {
  constructor(readonly timedOut: boolean, readonly detail: string) {
    super(detail);
  }
}

/**
 * The one way the service talks to Atlassian: keep-alive connections, a timeout on every attempt and a deadline
 * on every call, retries of idempotent calls that follow Atlassian's rate-limit guidance, no redirects followed
 * (a redirect could lead anywhere), and network failures turned into the service's error vocabulary.
 * `get` and `postJson` return non-2xx answers, not throw them, because what a 401 means depends on the call;
 * `getJson` is the call for the usual case: the parsed body of a 200, or `failure()`'s translation thrown.
 *
 * Bound: a call ends by `deadline`, the client request's (default now + deadlineMs): no attempt outlives it and
 * no wait crosses it.
 */
export class AtlassianHttp {
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;
  private inFlight = 0;

  constructor(
    private readonly options: AtlassianHttpOptions,
    private readonly logger: Logger,
    private readonly observe: (record: UpstreamCallRecord) => void = () => undefined,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    /** Atlassian's points quotas and burst limits; absent, calls are limited only by the retry policy. */
    private readonly quota?: QuotaGuard,
  ) {
    const agent = { keepAlive: true, maxSockets: options.maxSockets ?? 64, maxFreeSockets: 16 };
    this.httpAgent = new http.Agent(agent);
    this.httpsAgent = new https.Agent(agent);
  }

  /** The parsed body of a 200 answer; any other answer thrown as `failure()` maps it. */
  async getJson(url: string, options: RequestOptions = {}, reading: FailureReading = {}): Promise<unknown> {
    return (await this.getOk(url, options, reading)).body;
  }

  /** `getJson` for a caller that also reads the headers (a Link header): the 200 answer, or the failure thrown. */
  async getOk(url: string, options: RequestOptions = {}, reading: FailureReading = {}): Promise<UpstreamResponse> {
    const response = await this.get(url, options);
    if (response.status !== 200) throw failure(response, reading);
    return response;
  }

  /** GET is idempotent: retried on 429/502/503/504 and on connection failures. */
  get(url: string, options: RequestOptions = {}): Promise<UpstreamResponse> {
    const tracing = this.options.tracing;
    if (tracing === undefined) return this.getWithRetries(url, options);
    return tracing.inUpstreamCall({ method: 'GET', url, product: options.product }, (span) => this.getWithRetries(url, options, span));
  }

  private async getWithRetries(url: string, options: RequestOptions, span?: UpstreamSpan): Promise<UpstreamResponse> {
    const deadline = this.deadlineOf(options);
    const started = performance.now();
    const target = { url, authorization: options.authorization, product: options.product };
    for (let retries = 0; ; retries++) {
      // A spent quota answers here, with no request: Atlassian would refuse it and may lengthen the wait.
      const pauseMs = (await this.quota?.admit(target, deadline - this.now())) ?? 0;
      if (pauseMs > 0) await this.sleep(pauseMs);
      let outcome: AttemptOutcome;
      let response: UpstreamResponse | undefined;
      let failed: NoAnswer | undefined;
      try {
        response = await this.attempt(url, { method: 'GET', headers: this.headers(options.authorization, span) }, deadline);
        // Read only where the policy would use it: each read of node-fetch's headers costs a proxy trap and a copy.
        const retryAfter = isRetryableStatus(response.status) ? response.headers.get('retry-after') : null;
        outcome = { kind: 'answer', status: response.status, retryAfter };
        const verdict = await this.quota?.observe(target, response);
        if (verdict !== undefined) {
          this.record(url, 'GET', options.product, outcome, retries, started, span);
          return { ...response, quotaRetryAfterMs: verdict.retryAfterMs };
        }
      } catch (error) {
        if (!(error instanceof NoAnswer)) throw error;
        failed = error;
        outcome = { kind: error.timedOut ? 'timeout' : 'network-error' };
      }
      const decision = decideRetry(retries, outcome, this.options.retry, deadline - this.now());
      if (!decision.retry) {
        this.record(url, 'GET', options.product, outcome, retries, started, span);
        if (failed !== undefined) throw noAnswerError(failed);
        const implied = decision.impliedRetryAfterMs;
        return implied === undefined ? response! : { ...response!, impliedRetryAfterMs: implied };
      }
      this.logger.debug({ product: options.product, status: response?.status, retry: retries + 1, waitMs: decision.waitMs }, 'retrying upstream call');
      span?.retry(retries + 1, decision.waitMs, outcomeLabel(outcome));
      await this.sleep(decision.waitMs);
    }
  }

  /** Not idempotent (token grants): one attempt, never retried — a repeated refresh would burn a rotated token. */
  postJson(url: string, body: unknown, options: RequestOptions = {}): Promise<UpstreamResponse> {
    const tracing = this.options.tracing;
    if (tracing === undefined) return this.postOnce(url, body, options);
    return tracing.inUpstreamCall({ method: 'POST', url, product: options.product }, (span) => this.postOnce(url, body, options, span));
  }

  private async postOnce(url: string, body: unknown, options: RequestOptions, span?: UpstreamSpan): Promise<UpstreamResponse> {
    const started = performance.now();
    const init = { method: 'POST', headers: { ...this.headers(undefined, span), 'Content-Type': 'application/json' }, body: JSON.stringify(body) };
    const deadline = this.deadlineOf(options);
    if (deadline <= this.now()) throw new NotSentError();
    try {
      const response = await this.attempt(url, init, deadline);
      this.record(url, 'POST', options.product, { kind: 'answer', status: response.status, retryAfter: null }, 0, started, span);
      return response;
    } catch (error) {
      if (!(error instanceof NoAnswer)) throw error;
      this.record(url, 'POST', options.product, { kind: error.timedOut ? 'timeout' : 'network-error' }, 0, started, span);
      throw noAnswerError(error);
    }
  }

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  private deadlineOf(options: RequestOptions): Deadline {
    return options.deadline ?? deadlineAfter(this.now(), this.options.deadlineMs);
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  private headers(authorization?: string, span?: UpstreamSpan): Record<string, string> {
    return {
      Accept: 'application/json',
      'User-Agent': this.options.userAgent,
      ...(authorization === undefined ? {} : { Authorization: authorization }),
      ...span?.headers,
    };
  }

  private async attempt(url: string, init: RequestInit, deadline: Deadline): Promise<UpstreamResponse> {
    const timeoutMs = Math.min(this.options.timeoutMs, deadline - this.now());
    if (timeoutMs <= 0) throw new NoAnswer(true, 'deadline passed');
    // Refused at once, not queued: a queue would hold the client's request open while the backlog drains.
    if (this.options.maxInFlight && this.inFlight >= this.options.maxInFlight) {
      throw new RetryableError('overloaded', 'This service is busy with other calls to Atlassian. Retry after the time in the Retry-After header.', 1);
    }
    this.inFlight++;
    const signal = new AttemptSignal();
    const timer = setTimeout(() => signal.abort(), timeoutMs);
    try {
      const response = await fetch(url, {
        ...init,
        redirect: 'manual',
        size: MAX_BODY_BYTES,
        agent: url.startsWith('https:') ? this.httpsAgent : this.httpAgent,
        signal,
      });
      const body = parseBody(await response.text(), response.headers);
      return { status: response.status, headers: response.headers, body };
    } catch (error) {
      throw new NoAnswer(signal.aborted, errorName(error));
    } finally {
      clearTimeout(timer);
      this.inFlight--;
    }
  }

  private record(url: string, method: string, product: string | undefined, outcome: AttemptOutcome, retries: number, started: number, span?: UpstreamSpan): void {
    const durationMs = Math.round(performance.now() - started);
    const result = outcomeLabel(outcome);
    span?.outcome(result, retries);
    const query = url.indexOf('?');
    this.logger.debug({ product, url: query < 0 ? url : url.slice(0, query), method, outcome: result, retries, ms: durationMs }, 'upstream call');
    this.observe({ product: product ?? 'atlassian', method, outcome: result, retries, durationMs });
  }
}

/** The status of an answer, or `timeout` / `network_error`. */
function outcomeLabel(outcome: AttemptOutcome): string {
  return outcome.kind === 'answer' ? String(outcome.status) : outcome.kind.replace('-', '_');
}

function noAnswerError(failed: NoAnswer): AppError {
  if (failed.timedOut) return new AppError('upstream_timeout', 'Atlassian did not answer in time. Try again later.');
  return new AppError('upstream_error', 'Atlassian could not be reached. Try again later.');
}

export interface FailureReading {
  /** False for a call that sent no user credentials: its 401 is an upstream fault, not a refusal of the user's. */
  readonly userCredentials?: boolean;
}

/**
 * The default meaning of a non-2xx Atlassian answer, for calls that have no special reading of it. A 401 means
 * the user's credentials were refused only on a call that carried them (`userCredentials`, the default); on one
 * that did not (tenant_info, the token endpoint) it is an upstream fault like any other status.
 */
export function failure(response: UpstreamResponse, { userCredentials = true }: FailureReading = {}): AppError {
  if (response.status === 401 && userCredentials) return new UpstreamUnauthorizedError(isScopeMismatch(response));
  // Atlassian: some 503s (resource limits) carry Retry-After and mean the same as a 429.
  if (response.status === 429 || (response.status === 503 && response.headers.has('retry-after'))) {
    const quota = response.quotaRetryAfterMs;
    const waitMs = quota ?? retryAfterMs(response.headers.get('retry-after')) ?? response.impliedRetryAfterMs;
    return new RetryableError(
      'rate_limited',
      quota === undefined
        ? 'Atlassian is rate-limiting these requests. Retry after the time in the Retry-After header.'
        : "Atlassian's hourly request quota for this app is used up. Retry after the time in the Retry-After header.",
      waitMs === undefined ? DEFAULT_RETRY_AFTER_SECONDS : Math.ceil(waitMs / 1000),
    );
  }
  if (response.status >= 300 && response.status < 400) {
    return new AppError('upstream_error', 'Atlassian redirected the request; the site may have been renamed or moved.');
  }
  const detail = atlassianMessage(response.body);
  const suffix = detail === undefined ? '.' : `: ${detail}`;
  return new AppError('upstream_error', `Atlassian answered with status ${response.status}${suffix}`);
}

/**
 * The gateway's `{"code":401,"message":"Unauthorized; scope does not match"}`: the credentials were accepted,
 * but their scopes do not allow this call. Refreshing or retrying cannot change that.
 */
export function isScopeMismatch(response: UpstreamResponse): boolean {
  return response.status === 401 && /scope does not match/i.test(upstreamText(response.body) ?? '');
}

function parseBody(text: string, headers: Response['headers']): unknown {
  if (text === '') return undefined;
  // A body that looks like JSON is parsed whatever its type says, so the type is read only for the others.
  if (/^\s*[[{]/.test(text) || headers.get('content-type')?.includes('json') === true) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }
  return text;
}

function errorName(error: unknown): string {
  return error instanceof Error ? ((error as { code?: string }).code ?? error.name) : 'unknown';
}
