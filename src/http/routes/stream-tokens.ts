import type { FastifyInstance } from 'fastify';
import type { JobService } from '../../jobs/job-service.js';
import type { ApiDescription } from '../api-description.js';
import type { StreamTokens } from '../stream-token.js';

/**
 * POST /v1/stream-tokens: a short-lived token for a `/v1/events` set, so a browser's
 * EventSource (which cannot send headers) can follow several jobs on one connection. Every job
 * must be the caller's (else 404, as for the stream itself). Running open, no token is needed:
 * the answer has the URL and `token: null`.
 */
export function registerStreamTokenRoute(
  app: FastifyInstance,
  api: ApiDescription,
  jobs: JobService,
  tokens: StreamTokens | undefined,
): void {
  app.post<{ Body: { jobs: string[] } }>(
    '/v1/stream-tokens',
    { schema: { body: api.body('createStreamToken') } },
    async (request) => {
      const ids = [...new Set(request.body.jobs)];
      await Promise.all(ids.map((id) => jobs.get(request.owner, id)));
      const query = ids.map((id) => `job=${id}`).join('&');
      if (!tokens || request.owner === null) {
        return { token: null, url: `/v1/events?${query}`, expiresAt: null };
      }
      const { token, expiresAt } = tokens.grant(request.owner, ids);
      return {
        token,
        url: `/v1/events?${query}&token=${token}`,
        expiresAt: expiresAt.toISOString(),
      };
    },
  );
}
