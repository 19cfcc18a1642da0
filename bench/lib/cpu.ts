import { readFileSync } from 'node:fs';

/** Linux reports process CPU in clock ticks of 1/100 s (USER_HZ, fixed at 100 by the kernel's ABI). */
const MS_PER_TICK = 10;

/**
 * CPU time (user + system) a process has used so far, in milliseconds, from /proc; undefined where there is no
 * /proc (the bench then prints throughput without CPU figures).
 */
export function cpuMsOf(pid: number): number | undefined {
  try {
    // Fields after the command name, which is in parentheses and may itself contain spaces.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * MS_PER_TICK;
  } catch {
    return undefined;
  }
}
