import type { FastifyInstance } from 'fastify';
import type { UpstreamPool } from '../../upstream/pool.js';
import { serverParams } from '../schemas.js';

/** GET /v1/servers and GET /v1/servers/{name}/tools. */
export function registerServerRoutes(app: FastifyInstance, pool: UpstreamPool): void {
  app.get('/v1/servers', async () => ({ servers: pool.statuses() }));

  app.get<{ Params: { name: string } }>(
    '/v1/servers/:name/tools',
    { schema: { params: serverParams } },
    async (request) => {
      const { tools } = await pool.tools(request.params.name);
      return {
        tools: tools.map((tool) => ({
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
