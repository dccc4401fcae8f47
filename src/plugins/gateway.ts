import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Config } from '../config/index.js';
import type { StreamRegistry } from '../http/stream-registry.js';
import type { JobService } from '../jobs/job-service.js';
import type { JobStore } from '../store/types.js';
import type { UpstreamPool } from '../upstream/pool.js';
import { VERSION } from '../version.js';

/** The parts of a running gateway, in one place for main.ts and tests. */
export interface Gateway {
  config: Config;
  store: JobStore;
  pool: UpstreamPool;
  jobs: JobService;
  streams: StreamRegistry;
  version: string;
}

declare module 'fastify' {
  interface FastifyInstance {
    gateway: Gateway;
  }
}

/** `app.gateway`: the services the other plugins decorate, gathered (it owns none of them). */
export default fp(
  async function gatewayPlugin(app: FastifyInstance) {
    app.decorate('gateway', {
      config: app.config,
      store: app.store,
      pool: app.upstreams,
      jobs: app.jobs,
      streams: app.streams,
      version: VERSION,
    });
  },
  {
    name: 'gateway',
    dependencies: ['config', 'store', 'upstream-pool', 'jobs', 'stream-registry'],
  },
);
