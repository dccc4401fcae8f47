import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { redactUrl } from '../observability/logger.js';

/**
 * One log line per request (Fastify's own two are turned off), with secrets in the URL
 * redacted, and the problem code counted in the metrics.
 */
export default fp(
  async function requestLog(app: FastifyInstance) {
    const { metrics } = app;
    app.addHook('onResponse', async (request, reply) => {
      if (reply.problemCode) metrics.problemSent(reply.problemCode);
      request.log.info(
        {
          method: request.method,
          url: redactUrl(request.url),
          statusCode: reply.statusCode,
          code: reply.problemCode ?? undefined,
          durationMs: Math.round(reply.elapsedTime),
          owner: request.owner ?? undefined,
        },
        'request',
      );
    });
  },
  { name: 'request-log', dependencies: ['metrics', 'auth'] },
);
