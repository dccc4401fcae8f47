/**
 * A start gate for upstream tools: a tool called with `gatePort` connects here and waits for one
 * byte. The benchmark opens its subscribers, then opens the gate, so every subscriber is live
 * before the first event is sent.
 */
import net from 'node:net';

export class Gate {
  readonly #server = net.createServer();
  readonly #sockets = new Set<net.Socket>();
  readonly #waiters = new Set<() => void>();
  #open = false;
  port = 0;

  /** Listens on 127.0.0.1 on a free port. */
  async listen(): Promise<this> {
    this.#server.on('connection', (socket) => {
      socket.on('error', () => {});
      socket.on('close', () => this.#sockets.delete(socket));
      if (this.#open) {
        socket.end('g');
        return;
      }
      this.#sockets.add(socket);
      for (const wake of [...this.#waiters]) wake();
    });
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(0, '127.0.0.1', () => resolve());
    });
    this.port = (this.#server.address() as net.AddressInfo).port;
    return this;
  }

  /** Resolves once `count` tools wait at the gate (they are running and about to send). */
  waitFor(count: number, timeoutMs = 30_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (this.#sockets.size < count) return;
        clearTimeout(timer);
        this.#waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(new Error(`only ${this.#sockets.size} of ${count} tools reached the gate`));
      }, timeoutMs);
      this.#waiters.add(check);
      check();
    });
  }

  /** Lets every waiting tool (and any later one) go. */
  open(): void {
    this.#open = true;
    for (const socket of this.#sockets) socket.end('g');
  }

  async close(): Promise<void> {
    this.open();
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
