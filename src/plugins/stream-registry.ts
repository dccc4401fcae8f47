import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { StreamRegistry } from '../http/stream-registry.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** This process's open event streams and their clock. */
    streams: StreamRegistry;
  }
}

/**
 * The registry of open event streams. Streams must end before the server closes, or close()
 * waits for them (@fastify/sse holds them open): its preClose ends them, after the job service's
 * (a dependency, so its preClose runs first) has written every job's `done`.
 */
export default fp(
  async function streamRegistryPlugin(app: FastifyInstance) {
    const streams = new StreamRegistry(app.config.sse);
    app.decorate('streams', streams);
    app.addHook('preClose', async () => streams.shutdown());
  },
  { name: 'stream-registry', dependencies: ['config', 'jobs'] },
);
