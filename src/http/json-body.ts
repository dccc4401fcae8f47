import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

/**
 * Bodies are JSON or nothing: text/plain is refused with 415 instead of reaching a schema as a
 * string, and an empty JSON body (curl -X POST -H 'content-type: application/json' on cancel)
 * counts as no body rather than a parse error. Fastify's own parser still guards __proto__.
 */
export default fp(
  async function jsonBody(app: FastifyInstance) {
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
  },
  { name: 'json-body' },
);
