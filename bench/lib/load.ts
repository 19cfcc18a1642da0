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

/** One GET, its answer read to the end: the milliseconds it took when it answered 200, undefined otherwise. */
function timedGet(agent: http.Agent, url: string, headers: Record<string, string>): Promise<number | undefined> {
  return new Promise((resolve) => {
    const started = performance.now();
    http
      .get(url, { agent, headers }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode === 200 ? performance.now() - started : undefined));
      })
      .on('error', () => resolve(undefined));
  });
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
  const once = async () => {
    const ms = await timedGet(agent, url, headers);
    if (ms === undefined) errors++;
    else latencies.push(ms);
  };
  const client = async () => {
    while (performance.now() < end) await once();
  };
  const began = performance.now();
  await Promise.all(Array.from({ length: connections }, client));
  const elapsed = performance.now() - began;
  agent.destroy();
  return summarise(latencies, errors, elapsed);
}

/**
 * An open-loop load: requests sent at `ratePerSecond` whatever the answers' pace (at most `maxInFlight` waiting;
 * beyond that a request is skipped and counted as an error, so a target that cannot keep up shows it), for
 * `durationMs`. Two targets under the same paced load do the same work in the same pattern of arrivals, so
 * their CPU per request compares the cost of a request alone; under a closed-loop load the faster target also
 * handles more requests per event-loop turn, which lowers its CPU per request by itself.
 */
export async function runPacedLoad(
  url: string,
  headers: Record<string, string>,
  ratePerSecond: number,
  durationMs: number,
  maxInFlight = 64,
): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: maxInFlight });
  const latencies: number[] = [];
  let errors = 0;
  let inFlight = 0;
  let sent = 0;
  const began = performance.now();
  const send = () => {
    inFlight++;
    void timedGet(agent, url, headers).then((ms) => {
      inFlight--;
      if (ms === undefined) errors++;
      else latencies.push(ms);
    });
  };
  await new Promise<void>((resolve) => {
    const tick = () => {
      const elapsed = performance.now() - began;
      const due = Math.min(Math.floor((elapsed / 1000) * ratePerSecond), Math.floor((durationMs / 1000) * ratePerSecond));
      for (; sent < due; sent++) {
        if (inFlight < maxInFlight) send();
        else errors++;
      }
      // A timer, not setImmediate: a spinning load generator would take a core from the processes it measures.
      if (elapsed < durationMs || inFlight > 0) setTimeout(tick, 1);
      else resolve();
    };
    tick();
  });
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
