#!/usr/bin/env node
import closeWithGrace from 'close-with-grace';
import { buildApp } from './app.js';
import { ConfigError } from './errors.js';
import { loadConfig, type Config } from './config/index.js';

let config: Config;
try {
  config = loadConfig(process.env, process.argv.slice(2));
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`mcp-progress-gateway: configuration error: ${error.message}\n`);
  process.exit(2);
}

const app = await buildApp(config);

closeWithGrace({ delay: config.shutdownGraceMs }, async ({ signal, err }) => {
  if (err) app.log.error({ err }, 'shutting down after an unexpected error');
  else app.log.info({ signal }, 'shutting down');
  await app.close();
});

// Fastify logs a "Server listening at" line per address at info; the one line below says it all.
const level = app.log.level;
if (['trace', 'debug', 'info'].includes(level)) app.log.level = 'warn';
await app.listen({ port: config.port, host: config.host });
app.log.level = level;
const address = app.server.address();
app.log.info(
  {
    address:
      typeof address === 'object' && address ? `${address.address}:${address.port}` : address,
    store: config.store,
    upstreams: config.upstreams.map((u) => `${u.name} (${u.transport})`),
    upstreamSource: config.upstreamSource,
    auth: config.apiKeys.length > 0 ? `on (${config.apiKeys.length} keys)` : 'off',
  },
  `mcp-progress-gateway ${app.gateway.version} listening on http://${config.host}:${typeof address === 'object' && address ? address.port : config.port}`,
);
