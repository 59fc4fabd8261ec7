/**
 * CPU time of another process from outside it, for a process with no /metrics of ours (the
 * benchmark peer): user + system time of all its threads, as `process.cpuUsage()` counts inside
 * the gateway. Linux only (/proc); resolution one clock tick (10 ms at the usual 100 Hz).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

let ticksPerSecond: number | undefined;

/** CPU seconds process `pid` has used so far. */
export function processCpuSeconds(pid: number): number {
  ticksPerSecond ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' })) || 100;
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) is in parentheses and may hold spaces: split after it, so that
  // fields[0] is field 3 (state) and utime and stime (fields 14 and 15) are fields[11] and [12].
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
}
