import type { FastifyInstance, FastifyReply } from 'fastify';
import fp from 'fastify-plugin';

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\b/i;

/** A JSON answer is data, never a document: it may load nothing and be framed nowhere. */
export const JSON_CSP = "default-src 'none'; frame-ancestors 'none'";

/**
 * Sets the security headers of `reply`: on every response `X-Content-Type-Options: nosniff` and
 * `Referrer-Policy: no-referrer`; on a JSON one (`json`) also a CSP that allows nothing (except
 * under /docs, which keeps the CSP @fastify/swagger-ui sets for its page) and, under /v1,
 * `Cache-Control: no-store` (jobs, results and tokens must not sit in caches).
 */
export function setSecurityHeaders(reply: FastifyReply, json: boolean): void {
  reply.header('x-content-type-options', 'nosniff');
  reply.header('referrer-policy', 'no-referrer');
  if (!json) return;
  const path = reply.request.url.split('?')[0]!;
  if (path !== '/docs' && !path.startsWith('/docs/')) {
    reply.header('content-security-policy', JSON_CSP);
  }
  if (path.startsWith('/v1/') || path === '/v1') reply.header('cache-control', 'no-store');
}

/**
 * Security headers (see `setSecurityHeaders`). Those of every response are set when the request
 * arrives, because event streams skip `onSend` (docs/pitfalls.md#onsend-hooks-are-skipped) and send the headers
 * set so far; those of JSON answers (problems included) in `onSend`, once the type is known.
 * Problems sent before routing (a path that is not valid percent-encoding) run neither hook:
 * `sendProblem` sets them itself.
 */
export default fp(
  async function securityHeaders(app: FastifyInstance) {
    app.addHook('onRequest', async (_request, reply) => {
      setSecurityHeaders(reply, false);
    });
    app.addHook('onSend', async (_request, reply, payload) => {
      const type = reply.getHeader('content-type');
      setSecurityHeaders(reply, typeof type === 'string' && JSON_TYPE.test(type));
      return payload;
    });
  },
  { name: 'security-headers' },
);
