import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Logger } from 'pino';
import { apiEventFormat } from '../http/event-format.js';
import { JobService } from '../jobs/job-service.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Starts, reads, cancels and forgets jobs; runs them against the upstreams. */
    jobs: JobService;
  }
}

/**
 * The job service. On close, before the server stops listening (preClose), it refuses new jobs
 * and ends every queued and running one with `done`; plugins that depend on it (the stream
 * registry) run their preClose after this one, so streams end with those `done`s.
 */
export default fp(
  async function jobsPlugin(app: FastifyInstance) {
    const { config, store } = app;
    const jobs = new JobService({
      store,
      pool: app.upstreams,
      format: apiEventFormat,
      limits: config.jobs,
      logger: app.log as Logger,
      observer: app.metrics,
      access: app.access,
      slots: {
        maxRunningPerKey: config.limits.maxRunningPerKey,
        maxRunningPerUpstream: config.limits.maxRunningPerUpstream,
        maxQueuedPerKey: config.limits.maxQueuedPerKey,
      },
    });
    app.decorate('jobs', jobs);
    app.addHook('preClose', async () => {
      const ended = await jobs.shutdown();
      // With a shared store the `done`s just written reach local streams through its reader: let
      // them arrive (for a moment at most) so those streams end with `done`, not a reconnect.
      if (store.delivered && ended.length > 0) {
        await settledWithin(store.delivered(ended), Math.min(2000, config.shutdownGraceMs / 4));
      }
    });
  },
  { name: 'jobs', dependencies: ['config', 'store', 'upstream-pool', 'metrics', 'access'] },
);

/** Waits for `promise` (whatever its outcome) for `ms` at most. */
async function settledWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  await Promise.race([promise.catch(() => {}), timeout]);
  clearTimeout(timer);
}
