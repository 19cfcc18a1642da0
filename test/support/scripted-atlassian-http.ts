import { Headers } from 'node-fetch';
import { AtlassianHttp, type RequestOptions, type UpstreamResponse } from '../../src/infrastructure/atlassian/atlassian-http.js';
import { silentLogger } from './port-fakes.js';

export interface ScriptedRequest {
  readonly method: 'GET' | 'POST';
  readonly url: string;
  readonly authorization?: string;
  readonly body?: unknown;
  /** The deadline the caller passed, if any. */
  readonly deadline?: number;
}

/** Answers one request: an upstream response, or a thrown error (what AtlassianHttp throws for no answer). */
export type Responder = (request: ScriptedRequest) => UpstreamResponse;

/**
 * AtlassianHttp for adapter unit tests: each call is answered by `respond` at once, without a socket, retries or
 * sleeps (AtlassianHttp's own tests cover those against a real server). Every request is kept for assertions.
 */
export class ScriptedAtlassianHttp extends AtlassianHttp {
  readonly requests: ScriptedRequest[] = [];

  constructor(private readonly respond: Responder) {
    super({ timeoutMs: 1_000, deadlineMs: 1_000, retry: { maxRetries: 0, maxRetryWaitMs: 0, baseDelayMs: 1, rateLimitBaseMs: 1 }, userAgent: 'test' }, silentLogger());
  }

  override async get(url: string, options: RequestOptions = {}): Promise<UpstreamResponse> {
    return this.answer({
      method: 'GET',
      url,
      ...(options.authorization === undefined ? {} : { authorization: options.authorization }),
      ...(options.deadline === undefined ? {} : { deadline: options.deadline }),
    });
  }

  override async postJson(url: string, body: unknown, options: RequestOptions = {}): Promise<UpstreamResponse> {
    return this.answer({ method: 'POST', url, body, ...(options.deadline === undefined ? {} : { deadline: options.deadline }) });
  }

  private answer(request: ScriptedRequest): UpstreamResponse {
    this.requests.push(request);
    return this.respond(request);
  }
}

/** An upstream answer; an object body is what AtlassianHttp would have parsed from JSON. */
export function upstream(status: number, body?: unknown, headers: Record<string, string> = {}): UpstreamResponse {
  return { status, headers: new Headers(headers), body };
}

/** Answers by the first entry whose path fragment the URL contains; anything else is a test bug. */
export function byPath(routes: Record<string, UpstreamResponse | (() => UpstreamResponse)>): Responder {
  return (request) => {
    const path = new URL(request.url).pathname;
    for (const [fragment, answer] of Object.entries(routes)) {
      if (path.includes(fragment)) return typeof answer === 'function' ? answer() : answer;
    }
    throw new Error(`unscripted request: ${request.method} ${request.url}`);
  };
}
