import type { SpanExporter } from '@opentelemetry/sdk-trace-base';

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
