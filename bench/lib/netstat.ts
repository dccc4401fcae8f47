/**
 * Kernel TCP counters from /proc/net/netstat (machine-wide): a listen queue that overflows drops
 * connection attempts, and clients then wait for SYN retransmission (1 s, then 3 s, ...).
 */
import { readFileSync } from 'node:fs';

export interface TcpCounters {
  ListenOverflows: number;
  ListenDrops: number;
  TCPSynRetrans: number;
}

export function readTcpCounters(): TcpCounters {
  const counters: TcpCounters = { ListenOverflows: 0, ListenDrops: 0, TCPSynRetrans: 0 };
  try {
    const lines = readFileSync('/proc/net/netstat', 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('TcpExt:'));
    const names = lines[0]?.split(/\s+/) ?? [];
    const values = lines[1]?.split(/\s+/) ?? [];
    for (const key of Object.keys(counters) as (keyof TcpCounters)[]) {
      const i = names.indexOf(key);
      if (i > 0) counters[key] = Number(values[i]);
    }
  } catch {
    // not Linux: zeros
  }
  return counters;
}

export function tcpDelta(from: TcpCounters, to: TcpCounters): TcpCounters {
  return {
    ListenOverflows: to.ListenOverflows - from.ListenOverflows,
    ListenDrops: to.ListenDrops - from.ListenDrops,
    TCPSynRetrans: to.TCPSynRetrans - from.TCPSynRetrans,
  };
}
