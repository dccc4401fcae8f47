import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { GatewayError, PROBLEMS, type ProblemCode } from '../errors.js';
import { setSecurityHeaders } from './security-headers.js';

declare module 'fastify' {
  interface FastifyReply {
    /** The code of the problem this reply sent, if it sent one (for the request log and metrics). */
    problemCode: ProblemCode | null;
  }
}

/**
 * Sends an RFC 9457 problem document for a GatewayError, with the security headers of a JSON
 * answer: a problem sent before routing (Fastify's `frameworkErrors`) runs no hook that would.
 */
export function sendProblem(reply: FastifyReply, error: GatewayError): FastifyReply {
  for (const [name, value] of Object.entries(error.headers)) reply.header(name, value);
  setSecurityHeaders(reply, true);
  reply.problemCode = error.code;
  return reply
    .code(error.status)
    .type('application/problem+json')
    .send({
      type: `urn:mcp-progress-gateway:problem:${error.code}`,
      title: error.title,
      status: error.status,
      detail: error.message,
      code: error.code,
      ...error.extensions,
    });
}

const BY_STATUS: Partial<Record<number, ProblemCode>> = {
  404: 'ROUTE_NOT_FOUND',
  406: 'NOT_ACCEPTABLE',
  413: 'BODY_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
};

/** Turns whatever a route throws into a problem; a 5xx never shows internals. */
export function toGatewayError(error: FastifyError): GatewayError {
  if (error instanceof GatewayError) return error;
  if (error.validation) {
    const errors = error.validation.map((issue) => {
      const pointer = `${error.validationContext ? `/${error.validationContext}` : ''}${issue.instancePath}`;
      // Ajv's "must NOT have additional properties" does not say which one: point at it.
      const extra = (issue.params as { additionalProperty?: unknown }).additionalProperty;
      if (issue.keyword === 'additionalProperties' && typeof extra === 'string') {
        const member = extra.replaceAll('~', '~0').replaceAll('/', '~1');
        return { pointer: `${pointer}/${member}`, message: 'is not an allowed property' };
      }
      return { pointer, message: issue.message ?? 'is invalid' };
    });
    const detail = errors.map((e) => `${e.pointer || '/'} ${e.message}`).join('; ');
    return new GatewayError('INVALID_REQUEST', detail, { extensions: { errors } });
  }
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    const code = BY_STATUS[status] ?? 'INVALID_REQUEST';
    return new GatewayError(code, error.message || PROBLEMS[code].title);
  }
  return new GatewayError('INTERNAL_ERROR', 'An unexpected error occurred; see the gateway log', {
    cause: error,
  });
}

export function registerProblemHandlers(app: FastifyInstance): void {
  app.decorateReply('problemCode', null);
  app.setErrorHandler((error: FastifyError, request, reply) => {
    // A body sent to a route that does not exist is not worth judging: the route is the problem
    // (Fastify parses it before the not-found handler runs). OPTIONS only serves CORS preflights.
    const noRoute = request.is404 || request.method === 'OPTIONS';
    const problem =
      noRoute && !(error instanceof GatewayError) && (error.statusCode ?? 500) < 500
        ? new GatewayError(
            'ROUTE_NOT_FOUND',
            `No route for ${request.method} ${request.url.split('?')[0]}`,
          )
        : toGatewayError(error);
    if (problem.status >= 500 && problem.code === 'INTERNAL_ERROR') {
      request.log.error({ err: error }, 'request failed');
    }
    if (reply.raw.headersSent) {
      // A stream already started; nothing sensible can be sent any more.
      reply.raw.destroy();
      return;
    }
    return sendProblem(reply, problem);
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(
      reply,
      new GatewayError(
        'ROUTE_NOT_FOUND',
        `No route for ${request.method} ${request.url.split('?')[0]}`,
      ),
    ),
  );
}
