import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { AccessPolicy } from '../access/access-policy.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** What each API key may use (upstreams and tools). */
    access: AccessPolicy;
  }
}

/** The per-key allow-lists, from the configured API keys. */
export default fp(
  async function accessPlugin(app: FastifyInstance) {
    app.decorate('access', new AccessPolicy(app.config.apiKeys));
  },
  { name: 'access', dependencies: ['config'] },
);
