import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { isLoopbackHost } from '../access/open-mode.js';
import type { Config } from '../config/index.js';
import { GatewayError } from '../errors.js';
import { StreamTokens, type StreamGrant } from './stream-token.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Issues and checks the short-lived tokens EventSource sends; absent when running open. */
    streamTokens: StreamTokens | undefined;
  }
  interface FastifyRequest {
    /** The API key name the request authenticated as; `null` when the gateway runs open. */
    owner: string | null;
  }
}

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/**
 * With API keys configured, every /v1 request must carry `Authorization: Bearer <secret>`.
 * Secrets are compared as SHA-256 digests in constant time, against every key, so neither
 * timing nor early exit tells which key nearly matched.
 */
export default fp(
  async function auth(app: FastifyInstance) {
    const { apiKeys: keys, streamTokenTtlMs } = app.config;
    const tokens =
      keys.length > 0
        ? new StreamTokens(
            keys.map((k) => k.secret),
            streamTokenTtlMs,
          )
        : undefined;
    app.decorate('streamTokens', tokens);
    app.decorateRequest('owner', null);
    warnWhenOpen(app, app.config);
    if (keys.length > 0) requireKeys(app, keys, tokens);
  },
  { name: 'auth', dependencies: ['config'] },
);

function requireKeys(
  app: FastifyInstance,
  keys: Config['apiKeys'],
  tokens: StreamTokens | undefined,
): void {
  const known = keys.map((key) => ({ name: key.name, digest: digest(key.secret) }));
  app.addHook('onRequest', async (request: FastifyRequest) => {
    if (!request.url.startsWith('/v1/') && request.url !== '/v1') return;
    // CORS preflights carry no credentials; the CORS plugin answers them (or 404s them).
    if (request.method === 'OPTIONS') return;
    const header = request.headers.authorization;
    const token = (request.query as { token?: unknown }).token;
    if (header === undefined && typeof token === 'string' && tokens) {
      request.owner = ownerFromStreamToken(request, tokens.verify(token));
      return;
    }
    const match = typeof header === 'string' ? /^Bearer +(\S+) *$/i.exec(header) : null;
    if (!match) {
      throw new GatewayError('UNAUTHORIZED', 'Send Authorization: Bearer <API key>', {
        headers: { 'www-authenticate': 'Bearer' },
      });
    }
    const offered = digest(match[1]!);
    let owner: string | null = null;
    for (const key of known) {
      if (timingSafeEqual(offered, key.digest)) owner = key.name;
    }
    if (owner === null) {
      throw new GatewayError('UNAUTHORIZED', 'The API key is not valid', {
        headers: { 'www-authenticate': 'Bearer error="invalid_token"' },
      });
    }
    request.owner = owner;
  });
}

/** Running open is allowed, but never quietly: a `warn` line when the gateway starts listening. */
function warnWhenOpen(app: FastifyInstance, config: Config): void {
  if (config.apiKeys.length > 0) return;
  app.addHook('onListen', async () => {
    const exposed = !isLoopbackHost(config.host);
    app.log.warn(
      { auth: 'off', host: config.host, allowUnauthenticated: config.allowUnauthenticated },
      exposed
        ? `AUTHENTICATION IS OFF on ${config.host}: anyone who can reach this address can run every configured tool (ALLOW_UNAUTHENTICATED=true). Set API_KEYS or API_KEYS_FILE to require keys.`
        : 'Authentication is off: any local process can run every configured tool. Set API_KEYS or API_KEYS_FILE to require keys.',
    );
  });
}

/** Event-stream routes accept a stream token (EventSource cannot send headers) for its jobs. */
function ownerFromStreamToken(request: FastifyRequest, grant: StreamGrant | undefined): string {
  if (!grant) {
    throw new GatewayError('UNAUTHORIZED', 'The stream token is invalid or has expired', {
      headers: { 'www-authenticate': 'Bearer error="invalid_token"' },
    });
  }
  const route = request.routeOptions.url;
  let wanted: unknown[] = [];
  if (route === '/v1/jobs/:id/events') wanted = [(request.params as { id?: unknown }).id];
  else if (route === '/v1/events') wanted = [(request.query as { job?: unknown }).job].flat();
  if (wanted.length === 0 || !wanted.every((id) => grant.jobs.includes(id as string))) {
    throw new GatewayError('UNAUTHORIZED', 'The stream token does not grant this stream', {
      headers: { 'www-authenticate': 'Bearer error="insufficient_scope"' },
    });
  }
  return grant.owner;
}
