import { createHash } from 'node:crypto';
import type { FastifyContextConfig, FastifyInstance } from 'fastify';
import type { components, operations } from '../../client/openapi-types.js';
import { GatewayError } from '../../errors.js';
import type { JobRecord } from '../../domain/job.js';
import type { JobService } from '../../jobs/job-service.js';
import type { ApiDescription } from '../api-description.js';
import { toJobView, type JobView } from '../job-view.js';
import type { StreamTokens } from '../stream-token.js';

/** openapi.yaml's StartJobRequest (the client's types are generated from the same document). */
type StartJobBody = components['schemas']['StartJobRequest'];
/** listJobs' query parameters as they arrive: `limit` is still text. */
type ListJobsQuery = Omit<NonNullable<operations['listJobs']['parameters']['query']>, 'limit'> & {
  limit?: string;
};

/** openapi.yaml's InputAnswer. */
type InputAnswerBody = components['schemas']['InputAnswer'];

/** POST/GET /v1/jobs, GET/DELETE /v1/jobs/{id}, POST /v1/jobs/{id}/cancel, POST /v1/jobs/{id}/input. */
export function registerJobRoutes(
  app: FastifyInstance,
  api: ApiDescription,
  jobs: JobService,
  tokens: StreamTokens | undefined,
  /** Route config for `POST /v1/jobs` (its rate limit). */
  startConfig: FastifyContextConfig = {},
): void {
  // With API keys on, `links.events` carries a short-lived token for EventSource (docs/authentication.md#stream-tokens).
  const present = (record: JobRecord, owner: string | null): JobView => {
    const view = toJobView(record);
    if (!tokens || owner === null) return view;
    const token = tokens.issue(owner, [record.id]);
    return { ...view, links: { ...view.links, events: `${view.links.events}?token=${token}` } };
  };

  const idempotencyKey = api.headerPattern('IdempotencyKey');

  app.post<{ Body: StartJobBody }>(
    '/v1/jobs',
    { schema: { body: api.body('startJob') }, config: startConfig },
    async (request, reply) => {
      const body = request.body;
      const key = request.headers['idempotency-key'];
      let idempotency: { key: string; fingerprint: string } | undefined;
      if (key !== undefined) {
        if (typeof key !== 'string' || !idempotencyKey.test(key)) {
          throw new GatewayError(
            'INVALID_REQUEST',
            'Idempotency-Key must be 1-255 visible ASCII characters',
          );
        }
        idempotency = { key, fingerprint: fingerprint(body) };
      }
      const { record, created } = await jobs.start({
        owner: request.owner,
        server: body.server,
        tool: body.tool,
        arguments: body.arguments ?? {},
        timeoutMs: body.options?.timeoutMs,
        idleTimeoutMs: body.options?.idleTimeoutMs,
        idempotency,
      });
      const view = present(record, request.owner);
      return reply
        .code(created ? 202 : 200)
        .header('location', view.links.self)
        .send(view);
    },
  );

  app.get<{ Querystring: ListJobsQuery }>(
    '/v1/jobs',
    { schema: { querystring: api.querystring('listJobs', { closed: true }) } },
    async (request) => {
      const { status, server, cursor } = request.query;
      const page = await jobs.list({
        owner: request.owner,
        status,
        server,
        cursor,
        limit: request.query.limit ? Number(request.query.limit) : 20,
      });
      return { jobs: page.records.map((r) => present(r, request.owner)), next: page.next };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/v1/jobs/:id',
    { schema: { params: api.params('getJob') } },
    async (request) => present(await jobs.get(request.owner, request.params.id), request.owner),
  );

  app.post<{ Params: { id: string } }>(
    '/v1/jobs/:id/cancel',
    { schema: { params: api.params('cancelJob') } },
    async (request, reply) => {
      const record = await jobs.cancel(request.owner, request.params.id);
      return reply.code(202).send(present(record, request.owner));
    },
  );

  app.post<{ Params: { id: string }; Body: InputAnswerBody }>(
    '/v1/jobs/:id/input',
    { schema: { params: api.params('answerInput'), body: api.body('answerInput') } },
    async (request, reply) => {
      const record = await jobs.respond(request.owner, request.params.id, request.body);
      return reply.code(202).send(present(record, request.owner));
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/v1/jobs/:id',
    { schema: { params: api.params('deleteJob') } },
    async (request, reply) => {
      await jobs.remove(request.owner, request.params.id);
      return reply.code(204).send();
    },
  );
}

/** The same request body always gives the same fingerprint, whatever its key order. */
function fingerprint(body: StartJobBody): string {
  return createHash('sha256').update(canonicalJson(body)).digest('base64url');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
