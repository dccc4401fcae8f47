import type { FastifyInstance } from 'fastify';
import type { UpstreamReadiness } from '../../config/index.js';
import type { UpstreamPool } from '../../upstream/pool.js';

/**
 * /healthz: the process answers. /readyz: it can take jobs: its store answers, it is not shutting
 * down, and the upstreams READINESS_UPSTREAMS asks for are connected (by default any one: one
 * broken upstream of several must not take every replica out of the load balancer). Both are
 * cheap: upstream states are read, no upstream is contacted (the pool reconnects by itself).
 */
export function registerHealthRoutes(
  app: FastifyInstance,
  deps: {
    pool: UpstreamPool;
    readiness: UpstreamReadiness;
    isClosing: () => boolean;
    storeReady: () => Promise<boolean>;
  },
): void {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const store = await deps.storeReady().catch(() => false);
    const ready = store && !deps.isClosing() && deps.pool.ready(deps.readiness);
    return reply.code(ready ? 200 : 503).send({
      status: ready ? 'ready' : 'not-ready',
      store: store ? 'ok' : 'unavailable',
      upstreams: deps.pool.statuses().map(({ name, state }) => ({ name, state })),
    });
  });
}
