import { LogController, type FastifyHttpOptions, type RawServerDefault } from 'fastify';
import type { Logger } from 'pino';
import { GatewayError } from '../errors.js';
import { clientErrorHandler } from './malformed-http.js';
import { sendProblem } from './problem.js';
import { genReqId } from './request-id.js';

/** The Fastify factory's options: what must be set before any plugin loads. */
export function serverOptions(logger: Logger): FastifyHttpOptions<RawServerDefault, Logger> {
  return {
    loggerInstance: logger,
    // One line per request comes from our onResponse hook (request-log.ts) instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    requestIdHeader: false,
    genReqId,
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
  };
}
