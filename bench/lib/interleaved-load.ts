import { cpuMsOf } from './cpu.js';
import { combine, runLoad, type LoadResult } from './load.js';

export interface LoadTarget {
  readonly name: string;
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly pid: number;
}

export interface TargetFigures {
  readonly load: LoadResult;
  /** CPU the target process used per answered request, undefined without /proc. */
  readonly cpuUsPerRequest?: number;
}

/**
 * Load against several targets in turns of one second, the order reversed every round, so a slow spell of the
 * shared machine falls on all of them alike; each target's CPU is counted over its own turns only.
 */
export async function interleavedLoad(targets: readonly LoadTarget[], connections: number, seconds: number): Promise<TargetFigures[]> {
  for (const target of targets) await runLoad(target.url, target.headers, connections, 1_000); // JIT, sockets
  const slices = targets.map(() => [] as LoadResult[]);
  const cpuMs = targets.map(() => 0 as number | undefined);
  for (let round = 0; round < seconds; round++) {
    const order = targets.map((_, index) => index);
    if (round % 2 === 1) order.reverse();
    for (const index of order) {
      const target = targets[index]!;
      const before = cpuMsOf(target.pid);
      slices[index]!.push(await runLoad(target.url, target.headers, connections, 1_000));
      const after = cpuMsOf(target.pid);
      cpuMs[index] = before === undefined || after === undefined || cpuMs[index] === undefined ? undefined : cpuMs[index]! + after - before;
    }
  }
  return slices.map((results, index) => {
    const load = combine(results);
    const used = cpuMs[index];
    return used === undefined ? { load } : { load, cpuUsPerRequest: (used * 1000) / load.requests };
  });
}
