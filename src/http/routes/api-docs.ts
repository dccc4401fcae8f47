import fastifySwaggerModule, { type FastifyStaticSwaggerOptions } from '@fastify/swagger';
import fastifySwaggerUiModule, { type FastifySwaggerUiOptions } from '@fastify/swagger-ui';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { ApiDescription } from '../api-description.js';

// Both packages are CommonJS whose default export TypeScript sees as the module namespace.
const fastifySwagger =
  fastifySwaggerModule as unknown as FastifyPluginAsync<FastifyStaticSwaggerOptions>;
const fastifySwaggerUi =
  fastifySwaggerUiModule as unknown as FastifyPluginAsync<FastifySwaggerUiOptions>;
/** The package's document type, which knows OpenAPI 3.0 at most. */
type SwaggerDocument = Extract<
  FastifyStaticSwaggerOptions['specification'],
  { document: unknown }
>['document'];

/**
 * GET /openapi.yaml and /openapi.json (the committed document, served as is) and an API
 * reference page at /docs. Swagger UI's assets ship inside the package: the page needs no CDN.
 */
export async function registerApiDocs(app: FastifyInstance, api: ApiDescription): Promise<void> {
  await app.register(fastifySwagger, {
    mode: 'static',
    // The document the route schemas were taken from: openapi.yaml is read once.
    specification: { document: api.document as unknown as SwaggerDocument },
  });
  await app.register(fastifySwaggerUi, {
    routePrefix: '/docs',
    staticCSP: true,
    uiConfig: { docExpansion: 'list', deepLinking: true },
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  app.get('/openapi.yaml', { schema: { hide: true } }, async (_request, reply) =>
    reply.type('application/yaml').send(app.swagger({ yaml: true })),
  );
}
