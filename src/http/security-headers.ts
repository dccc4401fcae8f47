import type { FastifyInstance } from 'fastify';

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\b/i;

/** A JSON answer is data, never a document: it may load nothing and be framed nowhere. */
const JSON_CSP = "default-src 'none'; frame-ancestors 'none'";

/**
 * Security headers. Every response that goes through `onSend`: `X-Content-Type-Options: nosniff`
 * and `Referrer-Policy: no-referrer`. JSON (problems included): a CSP that allows nothing, and
 * under /v1 `Cache-Control: no-store` (jobs, results and tokens must not sit in caches).
 *
 * /docs keeps the CSP @fastify/swagger-ui sets for its page. Event streams skip `onSend`
 * (@fastify/sse, PITFALLS.md) and keep their own headers.
 */
export function registerSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onSend', async (request, reply, payload) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    const type = reply.getHeader('content-type');
    if (typeof type !== 'string' || !JSON_TYPE.test(type)) return payload;
    const path = request.url.split('?')[0]!;
    if (path !== '/docs' && !path.startsWith('/docs/')) {
      reply.header('content-security-policy', JSON_CSP);
    }
    if (path.startsWith('/v1/') || path === '/v1') reply.header('cache-control', 'no-store');
    return payload;
  });
}
