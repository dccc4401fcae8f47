import fastifyCorsModule, { type FastifyCorsOptions } from '@fastify/cors';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';

// CommonJS whose default export TypeScript sees as the module namespace.
const fastifyCors = fastifyCorsModule as unknown as FastifyPluginAsync<FastifyCorsOptions>;

/** What a browser page may send: EventSource sends Last-Event-ID itself on reconnect. */
const ALLOWED_HEADERS = [
  'Authorization',
  'Content-Type',
  'Idempotency-Key',
  'Last-Event-ID',
  'X-Request-Id',
];
/** What a page may read besides the CORS-safelisted response headers. */
const EXPOSED_HEADERS = ['Location', 'X-Request-Id', 'Retry-After'];

/**
 * CORS for the origins in `CORS_ORIGINS`, and for no other. A request from any other origin (or
 * with none, like curl's) gets no CORS header at all, so the browser keeps the answer from the
 * page; a preflight from it is `404 ROUTE_NOT_FOUND`. Preflights are answered before
 * authentication (browsers send them without `Authorization`). No credentials: API keys travel
 * in `Authorization`, never in cookies.
 */
export default fp(
  async function cors(app: FastifyInstance) {
    const allowed = new Set(app.config.corsOrigins);
    await app.register(fastifyCors, {
      origin: (origin, callback) => {
        callback(null, origin !== undefined && allowed.has(origin) ? origin : false);
      },
      methods: ['GET', 'HEAD', 'POST', 'DELETE'],
      allowedHeaders: ALLOWED_HEADERS,
      exposedHeaders: EXPOSED_HEADERS,
      credentials: false,
      maxAge: 600,
      // An allowed origin's OPTIONS is a preflight even without Access-Control-Request-Method,
      // rather than a plain-text 400.
      strictPreflight: false,
    });
  },
  { name: 'cors', dependencies: ['config'] },
);
