import { readFileSync } from 'node:fs';

/** Linux's USER_HZ: /proc/<pid>/stat counts CPU time in ticks of 10 ms. */
const TICK_S = 0.01;

/** utime + stime (s) of a line of /proc/<pid>/stat (fields after the command, which may hold spaces). */
export function statCpuSeconds(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_S;
}

/** CPU time (user + system, s) a process has spent, all its threads; null when it cannot be read. */
export function pidCpuSeconds(pid: number | null | undefined): number | null {
  if (pid === null || pid === undefined) return null;
  try {
    return statCpuSeconds(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return null;
  }
}
