/**
 * Checks one subscriber's view of a job's stream: the opening snapshot, progress 1..count in
 * order with nothing missing or repeated, an id on every logged event, and `done` last.
 */
import type { LiteEvent } from './lite-sse.js';

export interface StreamFigures {
  /** Progress values never received. */
  missing: number;
  /** Progress values received after a later one, or twice. */
  outOfOrder: number;
  /** Logged events (everything but the opening snapshot) without an `id:` line. */
  missingIds: number;
  /** Events received after `done`. */
  afterDone: number;
  gotSnapshot: boolean;
  gotDone: boolean;
  doneStatus: string | undefined;
  progressEvents: number;
}

export interface ProgressData {
  progress: number;
  message: string | null;
}

export class StreamCheck {
  readonly count: number;
  /** The next progress value expected. */
  next: number;
  missing = 0;
  outOfOrder = 0;
  missingIds = 0;
  afterDone = 0;
  progressEvents = 0;
  gotSnapshot = false;
  gotDone = false;
  doneStatus: string | undefined;
  lastId: string | undefined;

  /** Expects progress `from`..`count` (`from` > 1 after a resume). */
  constructor(count: number, from = 1) {
    this.count = count;
    this.next = from;
  }

  /** Takes one event; returns the parsed progress data for `progress` events. */
  onEvent(event: LiteEvent): ProgressData | undefined {
    if (this.gotDone) this.afterDone++;
    if (event.id === undefined) {
      if (event.event === 'status' && !this.gotSnapshot) this.gotSnapshot = true;
      else this.missingIds++;
    } else {
      this.lastId = event.id;
    }
    if (event.event === 'progress') {
      this.progressEvents++;
      const data = JSON.parse(event.data) as ProgressData;
      const p = data.progress;
      if (p === this.next) this.next++;
      else if (p > this.next) {
        this.missing += p - this.next;
        this.outOfOrder++;
        this.next = p + 1;
      } else this.outOfOrder++;
      return data;
    }
    if (event.event === 'done') {
      this.gotDone = true;
      this.doneStatus = (JSON.parse(event.data) as { status?: string }).status;
    }
    return undefined;
  }

  /** The figures, counting everything not yet received as missing. */
  figures(): StreamFigures {
    return {
      missing: this.missing + Math.max(0, this.count - (this.next - 1)),
      outOfOrder: this.outOfOrder,
      missingIds: this.missingIds,
      afterDone: this.afterDone,
      gotSnapshot: this.gotSnapshot,
      gotDone: this.gotDone,
      doneStatus: this.doneStatus,
      progressEvents: this.progressEvents,
    };
  }
}

/** What `totals` adds up over many subscribers. */
export interface StreamTotals {
  subscribers: number;
  missing: number;
  outOfOrder: number;
  missingIds: number;
  afterDone: number;
  withoutSnapshot: number;
  withoutDone: number;
  notSucceeded: number;
}

/** Sums the figures of many subscribers. */
export function totals(all: readonly StreamFigures[]): StreamTotals {
  const sum = {
    subscribers: all.length,
    missing: 0,
    outOfOrder: 0,
    missingIds: 0,
    afterDone: 0,
    withoutSnapshot: 0,
    withoutDone: 0,
    notSucceeded: 0,
  };
  for (const f of all) {
    sum.missing += f.missing;
    sum.outOfOrder += f.outOfOrder;
    sum.missingIds += f.missingIds;
    sum.afterDone += f.afterDone;
    if (!f.gotSnapshot) sum.withoutSnapshot++;
    if (!f.gotDone) sum.withoutDone++;
    else if (f.doneStatus !== 'succeeded') sum.notSucceeded++;
  }
  return sum;
}
