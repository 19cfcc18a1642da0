/**
 * Renders the metrics exposition served at GET /metrics. Given to the HTTP adapter by the composition root,
 * apart from the Metrics port: the application counts, it never formats Prometheus text.
 */
export type MetricsEndpoint = () => Promise<{ contentType: string; body: string }>;
