import { AsyncLocalStorage } from 'node:async_hooks';
import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  defaultTextMapGetter,
  defaultTextMapSetter,
  trace,
  type Attributes,
  type Context,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { TracingSettings, UpstreamSpan, UpstreamTracing } from './tracing.js';

/**
 * Traces on OpenTelemetry without touching its globals: the provider, the propagator and the active context are
 * this object's own, so several services in one process (the tests) never share spans, and nothing is installed
 * process-wide. It also serves the HTTP adapter's RequestTracing (matched by shape: the layers do not import each
 * other; the composition root checks the fit). Only route templates, methods, statuses, hosts, paths without query and counts become attributes:
 * never a header, a query string or a body, which is where tokens, codes and secrets travel.
 */
export class OtelTracer implements UpstreamTracing {
  private readonly provider: BasicTracerProvider;
  private readonly tracer: Tracer;
  private readonly propagator = new W3CTraceContextPropagator();
  private readonly active = new AsyncLocalStorage<Context>();

  constructor(settings: TracingSettings) {
    const exporting = 'exporter' in settings.export
      ? new SimpleSpanProcessor(settings.export.exporter)
      : new BatchSpanProcessor(new OTLPTraceExporter({ url: `${settings.export.endpoint}/v1/traces` }));
    this.provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': settings.serviceName, 'service.version': settings.serviceVersion }),
      spanProcessors: [exporting],
    });
    this.tracer = this.provider.getTracer(settings.serviceName, settings.serviceVersion);
  }

  async inRequest(
    request: { readonly method: string; readonly headers: Readonly<Record<string, string | string[] | undefined>> },
    work: () => Promise<void>,
    outcome: () => { readonly route: string; readonly status: number },
  ): Promise<void> {
    const tracer = this.tracer;
    const parent = this.propagator.extract(ROOT_CONTEXT, request.headers, defaultTextMapGetter);
    const span = tracer.startSpan(request.method, { kind: SpanKind.SERVER, attributes: { 'http.request.method': request.method } }, parent);
    try {
      await this.active.run(trace.setSpan(parent, span), work);
    } finally {
      const { route, status } = outcome();
      span.updateName(`${request.method} ${route}`);
      span.setAttributes({ 'http.route': route, 'http.response.status_code': status });
      if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    }
  }

  async inUpstreamCall<T>(
    call: { readonly method: string; readonly url: string; readonly product: string | undefined },
    work: (span: UpstreamSpan) => Promise<T>,
  ): Promise<T> {
    const tracer = this.tracer;
    const parent = this.active.getStore() ?? ROOT_CONTEXT;
    const url = new URL(call.url);
    const span = tracer.startSpan(
      `${call.method} ${url.host}`,
      { kind: SpanKind.CLIENT, attributes: upstreamAttributes(call.method, url, call.product) },
      parent,
    );
    const headers: Record<string, string> = {};
    this.propagator.inject(trace.setSpan(parent, span), headers, defaultTextMapSetter);
    try {
      return await work(upstreamSpan(span, headers));
    } catch (error) {
      span.setStatus({ code: SpanStatusCode.ERROR });
      throw error;
    } finally {
      span.end();
    }
  }

  /** An event on the span of the request being served, if any (token refreshes, cache outcomes). */
  event(name: string, attributes: Attributes): void {
    const context = this.active.getStore();
    if (context !== undefined) trace.getSpan(context)?.addEvent(name, attributes);
  }

  /** Sends what is buffered; called on shutdown so the last requests' spans are not lost. */
  async shutdown(): Promise<void> {
    await this.provider.shutdown();
  }
}

function upstreamAttributes(method: string, url: URL, product: string | undefined): Attributes {
  return {
    'http.request.method': method,
    'server.address': url.hostname,
    // The path names a cloudId and an endpoint; the query (cursors, filters) is left out like every other input.
    'url.path': url.pathname,
    ...(product === undefined ? {} : { 'atlassian.product': product }),
  };
}

function upstreamSpan(span: Span, headers: Record<string, string>): UpstreamSpan {
  return {
    headers,
    retry(attempt, waitMs, reason) {
      span.addEvent('retry', { attempt, 'wait.ms': waitMs, reason });
    },
    outcome(outcome, retries) {
      const status = Number(outcome);
      span.setAttributes({ 'atlassian.outcome': outcome, 'atlassian.retries': retries, ...(Number.isInteger(status) ? { 'http.response.status_code': status } : {}) });
      if (!Number.isInteger(status) || status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    },
  };
}
