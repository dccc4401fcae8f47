import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Config } from '../config/index.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The validated, frozen configuration every other plugin reads. */
    config: Config;
  }
}

/** Options of the `config` plugin. */
export interface ConfigPluginOptions {
  config: Config;
}

/** Makes the configuration `buildApp` was given readable as `app.config`. */
export default fp(
  async function configPlugin(app: FastifyInstance, options: ConfigPluginOptions) {
    app.decorate('config', options.config);
  },
  { name: 'config' },
);
