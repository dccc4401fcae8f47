import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifySwaggerModule, { type FastifyStaticSwaggerOptions } from '@fastify/swagger';
import fastifySwaggerUiModule, { type FastifySwaggerUiOptions } from '@fastify/swagger-ui';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';

// Both packages are CommonJS whose default export TypeScript sees as the module namespace.
const fastifySwagger =
  fastifySwaggerModule as unknown as FastifyPluginAsync<FastifyStaticSwaggerOptions>;
const fastifySwaggerUi =
  fastifySwaggerUiModule as unknown as FastifyPluginAsync<FastifySwaggerUiOptions>;

/** openapi.yaml sits at the package root, one level above both src/ and dist/. */
const OPENAPI_FILE = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../../openapi.yaml',
);

/**
 * GET /openapi.yaml and /openapi.json (the committed document, served as is) and an API
 * reference page at /docs. Swagger UI's assets ship inside the package: the page needs no CDN.
 */
export async function registerApiDocs(app: FastifyInstance): Promise<void> {
  await app.register(fastifySwagger, {
    mode: 'static',
    specification: { path: OPENAPI_FILE, baseDir: path.dirname(OPENAPI_FILE) },
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
