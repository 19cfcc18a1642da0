import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { OtelTracer } from './otel-implementation.js';

/** What the Atlassian client asks of tracing: one client span per upstream call, its context sent on. */
export interface UpstreamTracing {
  inUpstreamCall<T>(
    call: { readonly method: string; readonly url: string; readonly product: string | undefined },
    work: (span: UpstreamSpan) => Promise<T>,
  ): Promise<T>;
}

export interface UpstreamSpan {
  /** Headers to add to every attempt of the call: the W3C `traceparent` (and `tracestate`). */
  readonly headers: Readonly<Record<string, string>>;
  retry(attempt: number, waitMs: number, reason: string): void;
  /** The answer's status, or `timeout` / `network_error`. */
  outcome(outcome: string, retries: number): void;
}

export interface TracingSettings {
  readonly serviceName: string;
  readonly serviceVersion: string;
  /** Where spans go: an OTLP/HTTP endpoint, or an exporter (tests use an in-memory one). */
  readonly export: { readonly endpoint: string } | { readonly exporter: SpanExporter };
}

/**
 * Traces on OpenTelemetry (see OtelTracer). This facade imports nothing of OpenTelemetry: the API, the SDK and the
 * exporter load in the background when it is built, which happens only with tracing on, so an instance without
 * tracing never loads them. The first span waits for them; later ones do not. It also serves the HTTP adapter's
 * RequestTracing (matched by shape: the layers do not import each other; the composition root checks the fit).
 */
export class OtelTracing implements UpstreamTracing {
  private tracer: OtelTracer | undefined;
  private readonly loading: Promise<OtelTracer>;

  constructor(settings: TracingSettings) {
    this.loading = import('./otel-implementation.js').then(({ OtelTracer }) => (this.tracer = new OtelTracer(settings)));
  }

  async inRequest(...args: Parameters<OtelTracer['inRequest']>): Promise<void> {
    return (this.tracer ?? (await this.loading)).inRequest(...args);
  }

  async inUpstreamCall<T>(
    call: { readonly method: string; readonly url: string; readonly product: string | undefined },
    work: (span: UpstreamSpan) => Promise<T>,
  ): Promise<T> {
    return (this.tracer ?? (await this.loading)).inUpstreamCall(call, work);
  }

  /** An event on the span of the request being served, if any (token refreshes, cache outcomes). */
  event(name: string, attributes: Readonly<Record<string, string | number | boolean>>): void {
    this.tracer?.event(name, attributes);
  }

  /** Sends what is buffered; called on shutdown so the last requests' spans are not lost. */
  async shutdown(): Promise<void> {
    await (await this.loading).shutdown();
  }
}
