import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import fastifySseModule, { type SSEPluginOptions } from '@fastify/sse';
import Fastify, { LogController, type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import type { Logger } from 'pino';
import { AccessPolicy } from './access.js';
import type { Config } from './config.js';
import { GatewayError } from './errors.js';
import { loadApiDescription } from './http/api-description.js';
import { registerAuth } from './http/auth.js';
import { clientErrorHandler } from './http/client-errors.js';
import { registerCors } from './http/cors.js';
import { registerJobRateLimit } from './http/rate-limit.js';
import { registerProblemHandlers, sendProblem } from './http/problem.js';
import { registerApiDocs } from './http/routes/api-docs.js';
import { registerDashboard } from './http/routes/dashboard.js';
import { registerHealthRoutes } from './http/routes/health.js';
import { registerJobEventsRoute } from './http/routes/job-events.js';
import { registerJobRoutes } from './http/routes/jobs.js';
import { registerMetricsRoute } from './http/routes/metrics.js';
import { registerMultiJobEventsRoute } from './http/routes/multi-job-events.js';
import { registerServerRoutes } from './http/routes/servers.js';
import { registerStreamTokenRoute } from './http/routes/stream-tokens.js';
import { registerSecurityHeaders } from './http/security-headers.js';
import { StreamRegistry } from './http/stream-registry.js';
import { StreamTokens } from './http/stream-token.js';
import { JobService } from './jobs/job-service.js';
import { isLoopbackHost } from './open-mode.js';
import { createLogger, redactUrl } from './observability/logger.js';
import { GatewayMetrics } from './observability/metrics.js';
import { MemoryStore } from './store/memory-store.js';
import { RedisStore } from './store/redis-store.js';
import type { JobStore } from './store/types.js';
import { UpstreamPool } from './upstream/pool.js';

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

/** The parts of a running gateway, exposed for main.ts and tests. */
export interface Gateway {
  config: Config;
  store: JobStore;
  pool: UpstreamPool;
  jobs: JobService;
  streams: StreamRegistry;
  version: string;
}

declare module 'fastify' {
  interface FastifyInstance {
    gateway: Gateway;
  }
}

export interface BuildOptions {
  /** Defaults to a pino logger at `config.logLevel` on stdout. */
  logger?: Logger;
}

// The package's CommonJS export is the fastify-plugin-wrapped function; its types describe the
// module namespace instead, and its named export is the unwrapped (encapsulated) plugin.
const fastifySse = fastifySseModule as unknown as FastifyPluginAsync<SSEPluginOptions>;

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Builds the gateway's Fastify app from a validated config. Does not listen. */
export async function buildApp(
  config: Config,
  options: BuildOptions = {},
): Promise<FastifyInstance> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const app = Fastify({
    loggerInstance: logger,
    // One line per request comes from our onResponse hook instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    requestIdHeader: false,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    bodyLimit: 1024 * 1024,
    // Any id or name too long to exist still reaches its route (JOB_NOT_FOUND, UNKNOWN_SERVER);
    // the default of 100 answered a plain-JSON 414 instead of a problem.
    routerOptions: { maxParamLength: 16 * 1024 },
    // URL errors raised before routing (bad percent-encoding) are problems too.
    frameworkErrors: (error, request, reply) => {
      reply.header('x-request-id', request.id);
      const detail =
        error.code === 'FST_ERR_BAD_URL'
          ? 'The URL path is not valid percent-encoding'
          : error.code === 'FST_ERR_MAX_PARAM_LENGTH'
            ? 'A segment of the URL path is too long'
            : 'The request could not be routed';
      return sendProblem(reply, new GatewayError('INVALID_REQUEST', detail));
    },
    // Requests Node's parser refuses get a problem document too.
    clientErrorHandler,
    // While it closes, the gateway keeps answering on open connections as documented (reads,
    // 503 SHUTTING_DOWN for new jobs, /readyz not-ready, streams that end at once) instead of
    // Fastify's plain-JSON 503.
    return503OnClosing: false,
    // Types stay types: a number where a string belongs is a 400, not a silent conversion.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: true } },
  }) as unknown as FastifyInstance;

  await app.register(fastifySse);
  acceptJsonOnly(app);

  const store: JobStore =
    config.store === 'redis'
      ? await RedisStore.open({
          url: config.redisUrl,
          keyPrefix: config.redis.keyPrefix,
          retentionMs: config.jobs.retentionMs,
          maxEventsPerJob: config.jobs.maxEventsPerJob,
          leaseTtlMs: config.redis.leaseTtlMs,
          leaseRenewMs: config.redis.leaseRenewMs,
          logger: logger.child({ component: 'redis-store' }),
        })
      : new MemoryStore({
          retentionMs: config.jobs.retentionMs,
          maxJobs: config.jobs.maxJobs,
          maxEventsPerJob: config.jobs.maxEventsPerJob,
        });
  const pool = new UpstreamPool(config.upstreams, {
    connectTimeoutMs: config.upstream.connectTimeoutMs,
    logger,
    clientVersion: version,
  });
  const streams = new StreamRegistry(config.sse);
  const metrics = new GatewayMetrics({
    openStreams: () => streams.size,
    upstreams: () => pool.statuses(),
    // Read at scrape time, once `jobs` below exists.
    runningJobs: (): number => jobs.activeCount,
    queuedJobs: (): number => jobs.queuedCount,
  });
  const access = new AccessPolicy(config.apiKeys);
  const jobs = new JobService({
    store,
    pool,
    limits: config.jobs,
    logger,
    observer: metrics,
    access,
    slots: {
      maxRunningPerKey: config.limits.maxRunningPerKey,
      maxRunningPerUpstream: config.limits.maxRunningPerUpstream,
      maxQueuedPerKey: config.limits.maxQueuedPerKey,
    },
  });
  app.decorate('gateway', { config, store, pool, jobs, streams, version });

  let closing = false;
  registerProblemHandlers(app);
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  registerSecurityHeaders(app);
  // Before authentication: preflights carry no Authorization header.
  await registerCors(app, config.corsOrigins);
  const tokens =
    config.apiKeys.length > 0
      ? new StreamTokens(
          config.apiKeys.map((k) => k.secret),
          config.streamTokenTtlMs,
        )
      : undefined;
  registerAuth(app, config.apiKeys, tokens);
  const startJobConfig = await registerJobRateLimit(app, config.limits.jobsPerMinute);
  warnWhenOpen(app, config);
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

  // Connect to every upstream once listening, so the first job does not wait and /readyz is true.
  app.addHook('onListen', async () => pool.warmUp());
  registerHealthRoutes(app, {
    pool,
    readiness: config.upstream.readiness,
    isClosing: () => closing,
    storeReady: async () => (store instanceof RedisStore ? store.ready() : true),
  });
  // openapi.yaml, read once: the request schemas of the routes below come from it.
  const api = loadApiDescription();
  registerServerRoutes(app, api, pool, access);
  registerJobRoutes(app, api, jobs, tokens, startJobConfig);
  registerStreamTokenRoute(app, api, jobs, tokens);
  const streamDeps = { jobs, store, streams, observer: metrics };
  registerJobEventsRoute(app, api, streamDeps);
  registerMultiJobEventsRoute(app, api, streamDeps);
  registerMetricsRoute(app, metrics);
  await registerApiDocs(app, api);
  registerDashboard(app);

  // Streams must end before the server closes, or close() waits for them (PITFALLS.md).
  app.addHook('preClose', async () => {
    closing = true;
    const ended = await jobs.shutdown();
    // With a shared store the `done`s just written reach local streams through its reader: let
    // them arrive (for a moment at most) so those streams end with `done`, not a reconnect.
    if (store.delivered && ended.length > 0) {
      await settledWithin(store.delivered(ended), Math.min(2000, config.shutdownGraceMs / 4));
    }
    streams.shutdown();
  });
  app.addHook('onClose', async () => {
    await pool.close();
    await store.close();
  });
  return app;
}

/** Waits for `promise` (whatever its outcome) for `ms` at most. */
async function settledWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  await Promise.race([promise.catch(() => {}), timeout]);
  clearTimeout(timer);
}

/** Running open is allowed, but never quietly: a `warn` line when the gateway starts listening. */
function warnWhenOpen(app: FastifyInstance, config: Config): void {
  if (config.apiKeys.length > 0) return;
  app.addHook('onListen', async () => {
    const exposed = !isLoopbackHost(config.host);
    app.log.warn(
      { auth: 'off', host: config.host, allowUnauthenticated: config.allowUnauthenticated },
      exposed
        ? `AUTHENTICATION IS OFF on ${config.host}: anyone who can reach this address can run every configured tool (ALLOW_UNAUTHENTICATED=true). Set API_KEYS or API_KEYS_FILE to require keys.`
        : 'Authentication is off: any local process can run every configured tool. Set API_KEYS or API_KEYS_FILE to require keys.',
    );
  });
}

/**
 * Bodies are JSON or nothing: text/plain is refused with 415 instead of reaching a schema as a
 * string, and an empty JSON body (curl -X POST -H 'content-type: application/json' on cancel)
 * counts as no body rather than a parse error. Fastify's own parser still guards __proto__.
 */
function acceptJsonOnly(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body.toString();
    if (text.trim() === '') {
      done(null, undefined);
      return;
    }
    parseJson(request, text, done);
  });
}
