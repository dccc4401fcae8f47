import type { FastifyInstance } from 'fastify';
import type { AccessPolicy } from '../../access/access-policy.js';
import { GatewayError } from '../../errors.js';
import type { UpstreamPool } from '../../upstream/pool.js';
import type { ApiDescription } from '../api-description.js';

/**
 * GET /v1/servers and GET /v1/servers/{name}/tools, each showing only what the caller's key may
 * use: an upstream it may not use is 404 UNKNOWN_SERVER, exactly like one that does not exist.
 */
export function registerServerRoutes(
  app: FastifyInstance,
  api: ApiDescription,
  pool: UpstreamPool,
  access: AccessPolicy,
): void {
  app.get('/v1/servers', async (request) => ({
    servers: pool.statuses().filter((s) => access.allowsServer(request.owner, s.name)),
  }));

  app.get<{ Params: { name: string } }>(
    '/v1/servers/:name/tools',
    { schema: { params: api.params('listServerTools') } },
    async (request) => {
      const { name } = request.params;
      if (!access.allowsServer(request.owner, name)) {
        throw new GatewayError('UNKNOWN_SERVER', `No upstream server is named '${name}'`);
      }
      const { tools } = await pool.tools(name);
      return {
        tools: tools
          .filter((tool) => access.allowsTool(request.owner, name, tool.name))
          .map((tool) => ({
            name: tool.name,
            title: tool.title ?? tool.annotations?.title ?? null,
            description: tool.description ?? null,
            inputSchema: tool.inputSchema,
            outputSchema: tool.outputSchema ?? null,
            annotations: tool.annotations ?? null,
          })),
      };
    },
  );
}
