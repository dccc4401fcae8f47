import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Logger } from 'pino';
import { apiEventFormat } from '../http/event-format.js';
import { MemoryStore } from '../store/memory-store.js';
import { RedisStore } from '../store/redis-store.js';
import type { JobStore } from '../store/types.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Jobs and their event logs: in this process, or in Redis shared by every replica. */
    store: JobStore;
  }
}

/**
 * The job store STORE names. It closes last (every plugin that writes to it depends on it, so
 * their onClose hooks run first), after the jobs' final events were written in preClose.
 */
export default fp(
  async function storePlugin(app: FastifyInstance) {
    const { config } = app;
    const store: JobStore =
      config.store === 'redis'
        ? await RedisStore.open({
            url: config.redisUrl,
            keyPrefix: config.redis.keyPrefix,
            retentionMs: config.jobs.retentionMs,
            maxEventsPerJob: config.jobs.maxEventsPerJob,
            leaseTtlMs: config.redis.leaseTtlMs,
            leaseRenewMs: config.redis.leaseRenewMs,
            logger: (app.log as Logger).child({ component: 'redis-store' }),
            format: apiEventFormat,
          })
        : new MemoryStore({
            retentionMs: config.jobs.retentionMs,
            maxJobs: config.jobs.maxJobs,
            maxEventsPerJob: config.jobs.maxEventsPerJob,
            format: apiEventFormat,
          });
    app.decorate('store', store);
    app.addHook('onClose', async () => store.close());
  },
  { name: 'store', dependencies: ['config'] },
);
