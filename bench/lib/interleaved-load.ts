import { cpuMsOf } from './cpu.js';
import { combine, runLoad, runPacedLoad, type LoadResult } from './load.js';

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
  /** The same, turn by turn (one per round, in round order): for ratios of turns run side by side. */
  readonly turnCpuUsPerRequest?: readonly number[];
  /** Answered requests per second, turn by turn. */
  readonly turnRps: readonly number[];
}

export interface LoadShape {
  /** Closed loop: this many clients, each sending its next request when the previous answer is read. */
  readonly connections: number;
  /** Open loop instead: this many requests a second, to every target alike (runPacedLoad). */
  readonly ratePerSecond?: number;
  /** Closed-loop load on each target, in turns, before anything is counted. */
  readonly warmupSeconds?: number;
}

/**
 * Load against several targets in turns of one second, the order reversed every round, so a slow spell of the
 * shared machine falls on all of them alike; each target's CPU is counted over its own turns only.
 * The warm-up matters: on a 2-vCPU machine every process here (load generator, fake Atlassian, target) keeps
 * getting cheaper per request for 10 to 20 s of load (JIT tiers, heap sizing, socket pools), so a short one
 * measures the warming, not the code.
 */
export async function interleavedLoad(targets: readonly LoadTarget[], shape: LoadShape, seconds: number): Promise<TargetFigures[]> {
  const { connections, ratePerSecond, warmupSeconds = 1 } = shape;
  for (let round = 0; round < warmupSeconds; round++) {
    for (const target of targets) await runLoad(target.url, target.headers, connections, 1_000);
  }
  const turn = (target: LoadTarget) =>
    ratePerSecond === undefined
      ? runLoad(target.url, target.headers, connections, 1_000)
      : runPacedLoad(target.url, target.headers, ratePerSecond, 1_000);
  const slices = targets.map(() => [] as LoadResult[]);
  const cpuMs = targets.map(() => 0 as number | undefined);
  const turns = targets.map(() => [] as number[]);
  for (let round = 0; round < seconds; round++) {
    const order = targets.map((_, index) => index);
    if (round % 2 === 1) order.reverse();
    for (const index of order) {
      const target = targets[index]!;
      const before = cpuMsOf(target.pid);
      const slice = await turn(target);
      slices[index]!.push(slice);
      const after = cpuMsOf(target.pid);
      cpuMs[index] = before === undefined || after === undefined || cpuMs[index] === undefined ? undefined : cpuMs[index]! + after - before;
      if (before !== undefined && after !== undefined) turns[index]!.push(((after - before) * 1000) / slice.requests);
    }
  }
  return slices.map((results, index) => {
    const load = combine(results);
    const used = cpuMs[index];
    const turnRps = results.map((result) => result.rps);
    return used === undefined ? { load, turnRps } : { load, turnRps, cpuUsPerRequest: (used * 1000) / load.requests, turnCpuUsPerRequest: turns[index]! };
  });
}
