/** The connection indicator: what the live stream is doing, in words (and a colour). */
import type { StreamState, StreamStateInfo } from '../client/index.js';
import { byId } from './dom.js';

/** The stream's states, plus the page's own: no key yet, and a gateway that cannot be reached. */
export type ConnectionState = StreamState | 'locked' | 'unreachable';

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export class ConnectionView {
  readonly #root = byId('connection');
  readonly #text = byId('connection-text');

  get state(): ConnectionState {
    return this.#root.dataset.state as ConnectionState;
  }

  show(state: ConnectionState, info?: StreamStateInfo): void {
    this.#root.dataset.state = state;
    this.#root.dataset.transport = info?.transport ?? '';
    this.#text.textContent = describeState(state, info);
  }
}

function describeState(state: ConnectionState, info: StreamStateInfo | undefined): string {
  switch (state) {
    case 'idle':
      return 'Connected · no running jobs';
    case 'connecting':
      return 'Connecting…';
    case 'open':
      return `Connected · following ${plural(info?.jobs ?? 0, 'job')}`;
    case 'reconnecting':
      return 'Reconnecting…';
    case 'offline':
      return 'Offline · retrying';
    case 'locked':
      return 'API key needed';
    case 'unreachable':
      return 'Gateway unreachable · retrying';
  }
}
