/**
 * What the HTTP adapter asks of tracing: run one request inside a server span continued from the caller's W3C
 * `traceparent`. `outcome` is read when the request ends, so the span carries the matched route and final status.
 * Implemented by the OpenTelemetry adapter; absent when tracing is off, so a request pays nothing for it.
 */
export interface RequestTracing {
  inRequest(
    request: { readonly method: string; readonly headers: Readonly<Record<string, string | string[] | undefined>> },
    work: () => Promise<void>,
    outcome: () => { readonly route: string; readonly status: number },
  ): Promise<void>;
}
