import fastifyRateLimitModule, {
  type RateLimitPluginOptions,
  type RateLimitOptions,
} from '@fastify/rate-limit';
import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify';
import { GatewayError } from '../errors.js';

// CommonJS whose default export TypeScript sees as the module namespace.
const fastifyRateLimit =
  fastifyRateLimitModule as unknown as FastifyPluginAsync<RateLimitPluginOptions>;

/**
 * Registers the rate-limit plugin (before the routes: it hooks them as they are added) and
 * returns the route option that limits job creation to `perMinute` per API key, or per client
 * address when the gateway runs open. Counts are per process. `perMinute` 0: no limit.
 */
export async function registerJobRateLimit(
  app: FastifyInstance,
  perMinute: number,
): Promise<{ rateLimit: RateLimitOptions } | undefined> {
  await app.register(fastifyRateLimit, { global: false });
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
