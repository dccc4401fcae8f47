import type { FastifyInstance } from 'fastify';
import type { UpstreamPool } from '../../upstream/pool.js';

/**
 * /healthz: the process answers. /readyz: it can take jobs (its store answers and it is not
 * shutting down). Upstream states are reported, not required: one broken upstream must not take
 * every replica out of the load balancer. Both are cheap: no upstream is contacted.
 */
export function registerHealthRoutes(
  app: FastifyInstance,
  deps: { pool: UpstreamPool; isClosing: () => boolean; storeReady: () => Promise<boolean> },
): void {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const store = await deps.storeReady().catch(() => false);
    const ready = store && !deps.isClosing();
    return reply.code(ready ? 200 : 503).send({
      status: ready ? 'ready' : 'not-ready',
      store: store ? 'ok' : 'unavailable',
      upstreams: deps.pool.statuses().map(({ name, state }) => ({ name, state })),
    });
  });
}
