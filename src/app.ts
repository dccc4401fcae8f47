import fastifySseModule, { type SSEPluginOptions } from '@fastify/sse';
import Fastify, { type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from './config/index.js';
import auth from './http/auth.js';
import cors from './http/cors.js';
import jsonBody from './http/json-body.js';
import { registerProblemHandlers } from './http/problem.js';
import jobRateLimit from './http/rate-limit.js';
import requestId from './http/request-id.js';
import requestLog from './http/request-log.js';
import routes from './http/routes/index.js';
import securityHeaders from './http/security-headers.js';
import { serverOptions } from './http/server-options.js';
import { createLogger } from './observability/logger.js';
import access from './plugins/access.js';
import configPlugin from './plugins/config.js';
import gateway from './plugins/gateway.js';
import jobs from './plugins/jobs.js';
import metrics from './plugins/metrics.js';
import store from './plugins/store.js';
import streamRegistry from './plugins/stream-registry.js';
import upstreamPool from './plugins/upstream-pool.js';

export type { Gateway } from './plugins/gateway.js';

/** Options of `buildApp`. */
export interface BuildOptions {
  /** Defaults to a pino logger at `config.logLevel` on stdout. */
  logger?: Logger;
}

// The package's CommonJS export is the fastify-plugin-wrapped function; its types describe the
// module namespace instead, and its named export is the unwrapped (encapsulated) plugin.
const fastifySse = fastifySseModule as unknown as FastifyPluginAsync<SSEPluginOptions>;

/**
 * Builds the gateway's Fastify app from a validated config. Does not listen.
 *
 * Services first, each a named plugin that decorates the app with what it owns and closes it:
 * their declared dependencies order start-up and shutdown (preClose runs in registration order,
 * onClose in reverse). Then the HTTP layer: the request hooks, in the order a request meets
 * them, and the routes.
 */
export async function buildApp(
  config: Config,
  options: BuildOptions = {},
): Promise<FastifyInstance> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const app = Fastify(serverOptions(logger)) as unknown as FastifyInstance;

  await app.register(configPlugin, { config });
  await app.register(store);
  await app.register(upstreamPool);
  await app.register(metrics);
  await app.register(access);
  await app.register(jobs);
  await app.register(streamRegistry);
  await app.register(gateway);

  await app.register(fastifySse);
  await app.register(jsonBody);
  registerProblemHandlers(app);
  await app.register(requestId);
  await app.register(securityHeaders);
  // Before authentication: preflights carry no Authorization header.
  await app.register(cors);
  await app.register(auth);
  await app.register(jobRateLimit);
  await app.register(requestLog);
  await app.register(routes);
  return app;
}
