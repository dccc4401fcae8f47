import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ApiKey } from '../config.js';
import { GatewayError } from '../errors.js';
import type { StreamGrant, StreamTokens } from './stream-token.js';

declare module 'fastify' {
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
export function registerAuth(
  app: FastifyInstance,
  keys: readonly ApiKey[],
  tokens: StreamTokens | undefined,
): void {
  app.decorateRequest('owner', null);
  if (keys.length === 0) return;
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
