/** Machine-wide CPU time by kind, from /proc/stat: to tell a saturated machine from a slow process. */
import { readFileSync } from 'node:fs';

export type CpuTimes = Record<string, number[]>;

const KINDS = ['user', 'nice', 'system', 'idle', 'iowait', 'irq', 'softirq', 'steal'] as const;

/** Jiffies per CPU line of /proc/stat (`cpu` is the total, `cpu0`, `cpu1`, ... each core). */
export function readCpuTimes(): CpuTimes {
  const times: CpuTimes = {};
  try {
    for (const line of readFileSync('/proc/stat', 'utf8').split('\n')) {
      if (!line.startsWith('cpu')) continue;
      const [name, ...values] = line.trim().split(/\s+/);
      times[name!] = values.slice(0, KINDS.length).map(Number);
    }
  } catch {
    // not Linux: no figures
  }
  return times;
}

/** Share of each kind of CPU time between two readings, in percent, per CPU line. */
export function cpuShares(
  from: CpuTimes,
  to: CpuTimes,
): Record<string, { busy: number; user: number; system: number; softirq: number }> {
  const shares: Record<string, { busy: number; user: number; system: number; softirq: number }> =
    {};
  for (const [name, end] of Object.entries(to)) {
    const start = from[name];
    if (!start) continue;
    const delta = end.map((v, i) => v - (start[i] ?? 0));
    const total = delta.reduce((a, b) => a + b, 0) || 1;
    const pct = (i: number) => Math.round(((delta[i] ?? 0) / total) * 1000) / 10;
    shares[name] = {
      busy: Math.round((1 - ((delta[3] ?? 0) + (delta[4] ?? 0)) / total) * 1000) / 10,
      user: pct(0) + pct(1),
      system: pct(2),
      softirq: pct(5) + pct(6),
    };
  }
  return shares;
}
