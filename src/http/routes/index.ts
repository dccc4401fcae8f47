import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { registerApiDocs } from './api-docs.js';
import { registerDashboard } from './dashboard.js';
import { registerHealthRoutes } from './health.js';
import { registerJobEventsRoute } from './job-events.js';
import { registerJobRoutes } from './jobs.js';
import { registerMetricsRoute } from './metrics.js';
import { registerMultiJobEventsRoute } from './multi-job-events.js';
import { registerServerRoutes } from './servers.js';
import { registerStreamTokenRoute } from './stream-tokens.js';

/**
 * Every route, one file per resource, each handed the services it uses. Registered last: the
 * request hooks (request id, security headers, CORS, authentication, rate limit) are in place.
 */
export default fp(
  async function routes(app: FastifyInstance) {
    const { config, store, upstreams, jobs, streams, metrics, access, streamTokens } = app;
    registerHealthRoutes(app, {
      pool: upstreams,
      readiness: config.upstream.readiness,
      isClosing: () => jobs.shuttingDown,
      storeReady: () => store.ready(),
    });
    registerServerRoutes(app, upstreams, access);
    registerJobRoutes(app, jobs, streamTokens, app.jobRateLimit);
    registerStreamTokenRoute(app, jobs, streamTokens);
    const streamDeps = { jobs, store, streams, observer: metrics };
    registerJobEventsRoute(app, streamDeps);
    registerMultiJobEventsRoute(app, streamDeps);
    registerMetricsRoute(app, metrics);
    await registerApiDocs(app);
    registerDashboard(app);
  },
  {
    name: 'routes',
    dependencies: [
      'config',
      'store',
      'upstream-pool',
      'jobs',
      'stream-registry',
      'metrics',
      'access',
      'auth',
      'job-rate-limit',
    ],
  },
);
