import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** What a stream token grants: reading the events of `jobs` as `owner`, until `expiresAt`. */
export interface StreamGrant {
  owner: string;
  jobs: string[];
  /** Unix time in seconds. */
  expiresAt: number;
}

/**
 * Short-lived signed tokens that let an EventSource (which cannot send headers) read a job's
 * stream: `links.events` carries one. HMAC-SHA256 over the grant; the key is derived from the
 * configured API key secrets, so every replica with the same keys accepts the same tokens.
 */
export class StreamTokens {
  readonly #key: Buffer;
  readonly #ttlMs: number;
  readonly #now: () => number;

  constructor(secrets: readonly string[], ttlMs: number, now: () => number = Date.now) {
    this.#key = createHash('sha256')
      .update('mcp-progress-gateway stream tokens\0')
      .update(secrets.join('\0'))
      .digest();
    this.#ttlMs = ttlMs;
    this.#now = now;
  }

  /** A token that lets `owner` read the streams of `jobs` (one, or a `/v1/events` set). */
  issue(owner: string, jobs: string[]): string {
    return this.grant(owner, jobs).token;
  }

  /** A token for `jobs`, and when it expires. */
  grant(owner: string, jobs: string[]): { token: string; expiresAt: Date } {
    const grant: StreamGrant = {
      owner,
      jobs,
      expiresAt: Math.floor((this.#now() + this.#ttlMs) / 1000),
    };
    const payload = Buffer.from(JSON.stringify(grant)).toString('base64url');
    return {
      token: `${payload}.${this.#sign(payload)}`,
      expiresAt: new Date(grant.expiresAt * 1000),
    };
  }

  /** The grant, or undefined for a token that is malformed, tampered with or expired. */
  verify(token: string): StreamGrant | undefined {
    const dot = token.indexOf('.');
    if (dot <= 0 || token.length > 8192) return undefined;
    const payload = token.slice(0, dot);
    const signature = Buffer.from(token.slice(dot + 1), 'base64url');
    const expected = Buffer.from(this.#sign(payload), 'base64url');
    if (signature.length !== expected.length || !timingSafeEqual(signature, expected)) {
      return undefined;
    }
    try {
      const grant = JSON.parse(Buffer.from(payload, 'base64url').toString()) as StreamGrant;
      if (typeof grant.owner !== 'string' || !Array.isArray(grant.jobs)) return undefined;
      if (!(grant.expiresAt * 1000 > this.#now())) return undefined;
      return grant;
    } catch {
      return undefined;
    }
  }

  #sign(payload: string): string {
    return createHmac('sha256', this.#key).update(payload).digest('base64url');
  }
}
