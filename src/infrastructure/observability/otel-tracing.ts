import type { OtelTracer } from './otel-implementation.js';
import type { TracingSettings, UpstreamSpan, UpstreamTracing } from './tracing.js';

export type { TracingSettings, UpstreamSpan, UpstreamTracing } from './tracing.js';

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
