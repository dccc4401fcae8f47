import fastifyRateLimitModule, {
  type RateLimitPluginOptions,
  type RateLimitOptions,
} from '@fastify/rate-limit';
import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { GatewayError } from '../errors.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Route config for `POST /v1/jobs`: its rate limit, if RATE_LIMIT_JOBS_PER_MINUTE sets one. */
    jobRateLimit: { rateLimit: RateLimitOptions } | undefined;
  }
}

// CommonJS whose default export TypeScript sees as the module namespace.
const fastifyRateLimit =
  fastifyRateLimitModule as unknown as FastifyPluginAsync<RateLimitPluginOptions>;

/**
 * Registers the rate-limit plugin (before the routes: it hooks them as they are added) and
 * decorates `jobRateLimit`, the route option that limits job creation to
 * RATE_LIMIT_JOBS_PER_MINUTE per API key, or per client address when the gateway runs open.
 * Counts are per process. 0: no limit.
 */
export default fp(
  async function jobRateLimit(app: FastifyInstance) {
    await app.register(fastifyRateLimit, { global: false });
    app.decorate('jobRateLimit', routeLimit(app.config.limits.jobsPerMinute));
  },
  // After `auth`: the limit is keyed by the authenticated owner.
  { name: 'job-rate-limit', dependencies: ['config', 'auth'] },
);

function routeLimit(perMinute: number): { rateLimit: RateLimitOptions } | undefined {
  if (perMinute === 0) return undefined;
  return {
    rateLimit: {
      max: perMinute,
      timeWindow: 60_000,
      // Runs after authentication (route hooks follow the app's), so `owner` is known.
      hook: 'onRequest',
      keyGenerator: (request: FastifyRequest) =>
        request.owner === null ? `address:${request.ip}` : `key:${request.owner}`,
      errorResponseBuilder: (_request, context) => {
        const seconds = Math.max(1, Math.ceil(context.ttl / 1000));
        return new GatewayError(
          'RATE_LIMITED',
          `At most ${context.max} jobs may be started per minute; retry in ${seconds} s`,
          { headers: { 'retry-after': String(seconds) } },
        );
      },
    },
  };
}
