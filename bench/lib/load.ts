import http from 'node:http';

export interface LoadResult {
  readonly requests: number;
  readonly errors: number;
  readonly elapsedMs: number;
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Latency of every successful request, sorted. */
  readonly latenciesMs: readonly number[];
}

/**
 * A closed-loop load: `connections` clients, each sending its next request when the previous answer is read,
 * for `durationMs`, over keep-alive sockets. Bounded in time and count by construction.
 */
export async function runLoad(url: string, headers: Record<string, string>, connections: number, durationMs: number): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const latencies: number[] = [];
  let errors = 0;
  const end = performance.now() + durationMs;
  const once = () =>
    new Promise<void>((resolve) => {
      const started = performance.now();
      const req = http.get(url, { agent, headers }, (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode === 200) latencies.push(performance.now() - started);
          else errors++;
          resolve();
        });
      });
      req.on('error', () => {
        errors++;
        resolve();
      });
    });
  const client = async () => {
    while (performance.now() < end) await once();
  };
  const began = performance.now();
  await Promise.all(Array.from({ length: connections }, client));
  const elapsed = performance.now() - began;
  agent.destroy();
  return summarise(latencies, errors, elapsed);
}

/** One result from several slices of load against the same target (interleaved runs). */
export function combine(results: readonly LoadResult[]): LoadResult {
  const latencies = results.flatMap((result) => result.latenciesMs);
  const errors = results.reduce((sum, result) => sum + result.errors, 0);
  return summarise(latencies, errors, results.reduce((sum, result) => sum + result.elapsedMs, 0));
}

function summarise(latencies: number[], errors: number, elapsedMs: number): LoadResult {
  latencies.sort((a, b) => a - b);
  return {
    requests: latencies.length,
    errors,
    elapsedMs,
    rps: latencies.length / (elapsedMs / 1000),
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
    latenciesMs: latencies,
  };
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

export function median(values: readonly number[]): number {
  return percentile([...values].sort((a, b) => a - b), 0.5);
}
