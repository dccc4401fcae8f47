/** Caps on jobs running at once in this process, and on jobs waiting for a place. */
export interface SlotLimits {
  /** Jobs of one key running at once. */
  maxRunningPerKey: number;
  /** Jobs on one upstream running at once, whoever started them. */
  maxRunningPerUpstream: number;
  /** Jobs of one key waiting; a job that would wait beyond this is refused. */
  maxQueuedPerKey: number;
}

interface Entry {
  id: string;
  key: string;
  upstream: string;
  granted: boolean;
  /** Set once the job is stored; called once, when it may run. */
  onGrant?: () => void;
}

/** The key that stands for every caller when the gateway runs open (key names have no NUL). */
const OPEN = '\0open';

/**
 * Who may run now, and who waits. A job takes a place with `claim` before it is stored, learns
 * when it may run through `activate`, and gives the place back with `release` when it ends (or
 * is cancelled while waiting).
 *
 * Waiting jobs are served fairly: keys take turns (round robin), and each key's jobs on one
 * upstream start in the order they came (FIFO). A key's job on a free upstream does not wait
 * behind its jobs for a busy one.
 */
export class RunSlots {
  readonly #limits: SlotLimits;
  readonly #entries = new Map<string, Entry>();
  /** Waiting entries per key, oldest first; the map's order is the keys' turn order. */
  readonly #waiting = new Map<string, Entry[]>();
  readonly #runningByKey = new Map<string, number>();
  readonly #runningByUpstream = new Map<string, number>();
  #closed = false;

  constructor(limits: SlotLimits) {
    this.#limits = limits;
  }

  /** Jobs waiting for a place. */
  get waitingCount(): number {
    let count = 0;
    for (const queue of this.#waiting.values()) count += queue.length;
    return count;
  }

  /**
   * Takes a place for job `id` of `owner` on `upstream`: `granted` (it may run at once),
   * `queued` (it waits), or `full` (the key already has as many jobs waiting as it may; nothing
   * was taken).
   */
  claim(id: string, owner: string | null, upstream: string): 'granted' | 'queued' | 'full' {
    const key = owner ?? OPEN;
    const entry: Entry = { id, key, upstream, granted: false };
    this.#entries.set(id, entry);
    const queue = this.#waiting.get(key) ?? [];
    queue.push(entry);
    if (queue.length === 1) this.#waiting.set(key, queue);
    this.#dispatch();
    if (entry.granted) return 'granted';
    if (queue.length > this.#limits.maxQueuedPerKey) {
      this.release(id);
      return 'full';
    }
    return 'queued';
  }

  /** The job is stored: `onGrant` runs now if it holds a place, else when it gets one. */
  activate(id: string, onGrant: () => void): void {
    const entry = this.#entries.get(id);
    if (!entry) return;
    if (entry.granted) onGrant();
    else entry.onGrant = onGrant;
  }

  /** Whether job `id` is waiting for a place. */
  isWaiting(id: string): boolean {
    const entry = this.#entries.get(id);
    return entry !== undefined && !entry.granted;
  }

  /** Gives back the place of job `id` (running or waiting), and lets the next job run. */
  release(id: string): void {
    const entry = this.#entries.get(id);
    if (!entry) return;
    this.#entries.delete(id);
    if (entry.granted) {
      decrement(this.#runningByKey, entry.key);
      decrement(this.#runningByUpstream, entry.upstream);
    } else {
      const queue = this.#waiting.get(entry.key)!;
      queue.splice(queue.indexOf(entry), 1);
      if (queue.length === 0) this.#waiting.delete(entry.key);
    }
    this.#dispatch();
  }

  /** Nothing starts any more; returns the ids of the jobs that were waiting, now forgotten. */
  close(): string[] {
    this.#closed = true;
    const ids: string[] = [];
    for (const queue of this.#waiting.values()) {
      for (const entry of queue) {
        ids.push(entry.id);
        this.#entries.delete(entry.id);
      }
    }
    this.#waiting.clear();
    return ids;
  }

  /** Grants places while some waiting job fits under both caps, one key's turn at a time. */
  #dispatch(): void {
    if (this.#closed) return;
    const started: Entry[] = [];
    for (let next = this.#next(); next; next = this.#next()) {
      const [key, index] = next;
      const queue = this.#waiting.get(key)!;
      const [entry] = queue.splice(index, 1);
      // Served: this key goes to the back of the turn order.
      this.#waiting.delete(key);
      if (queue.length > 0) this.#waiting.set(key, queue);
      entry!.granted = true;
      increment(this.#runningByKey, key);
      increment(this.#runningByUpstream, entry!.upstream);
      started.push(entry!);
    }
    // Called after the bookkeeping, so a callback that releases a place finds it consistent.
    for (const entry of started) entry.onGrant?.();
  }

  /** The first key in turn order with a waiting job that fits, and that job's index. */
  #next(): [string, number] | undefined {
    const { maxRunningPerKey, maxRunningPerUpstream } = this.#limits;
    for (const [key, queue] of this.#waiting) {
      if ((this.#runningByKey.get(key) ?? 0) >= maxRunningPerKey) continue;
      const index = queue.findIndex(
        (e) => (this.#runningByUpstream.get(e.upstream) ?? 0) < maxRunningPerUpstream,
      );
      if (index !== -1) return [key, index];
    }
    return undefined;
  }
}

function increment(counts: Map<string, number>, name: string): void {
  counts.set(name, (counts.get(name) ?? 0) + 1);
}

function decrement(counts: Map<string, number>, name: string): void {
  const count = (counts.get(name) ?? 0) - 1;
  if (count > 0) counts.set(name, count);
  else counts.delete(name);
}
