import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Logger } from 'pino';
import { UpstreamPool } from '../upstream/pool.js';
import { VERSION } from '../version.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** One client session per configured upstream MCP server. */
    upstreams: UpstreamPool;
  }
}

/**
 * The upstream pool. It connects to every upstream once the server listens, so the first job
 * does not wait and /readyz turns ready, and closes its sessions on close (after the jobs that
 * use them, which depend on it).
 */
export default fp(
  async function upstreamPoolPlugin(app: FastifyInstance) {
    const pool = new UpstreamPool(app.config.upstreams, {
      connectTimeoutMs: app.config.upstream.connectTimeoutMs,
      logger: app.log as Logger,
      clientVersion: VERSION,
    });
    app.decorate('upstreams', pool);
    app.addHook('onListen', async () => pool.warmUp());
    app.addHook('onClose', async () => pool.close());
  },
  { name: 'upstream-pool', dependencies: ['config'] },
);
