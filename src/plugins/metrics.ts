import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { GatewayMetrics } from '../observability/metrics.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Prometheus metrics; also the observer of jobs and streams. */
    metrics: GatewayMetrics;
  }
}

/**
 * The metrics registry. Jobs and streams report to it, so it comes before them; the gauges that
 * read them (open streams, running and queued jobs) read `app.streams` and `app.jobs` only at
 * scrape time, once every plugin has loaded.
 */
export default fp(
  async function metricsPlugin(app: FastifyInstance) {
    const pool = app.upstreams;
    app.decorate(
      'metrics',
      new GatewayMetrics({
        openStreams: () => app.streams.size,
        upstreams: () => pool.statuses(),
        runningJobs: () => app.jobs.activeCount,
        queuedJobs: () => app.jobs.queuedCount,
      }),
    );
  },
  { name: 'metrics', dependencies: ['upstream-pool'] },
);
