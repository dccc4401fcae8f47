import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { loadApiDescription } from '../api-description.js';
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
    // openapi.yaml, read once: the request schemas of the routes below come from it.
    const api = loadApiDescription();
    registerHealthRoutes(app, {
      pool: upstreams,
      readiness: config.upstream.readiness,
      isClosing: () => jobs.shuttingDown,
      storeReady: () => store.ready(),
    });
    registerServerRoutes(app, api, upstreams, access);
    registerJobRoutes(app, api, jobs, streamTokens, app.jobRateLimit);
    registerStreamTokenRoute(app, api, jobs, streamTokens);
    const streamDeps = { jobs, store, streams, observer: metrics };
    registerJobEventsRoute(app, api, streamDeps);
    registerMultiJobEventsRoute(app, api, streamDeps);
    registerMetricsRoute(app, metrics);
    await registerApiDocs(app, api);
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
