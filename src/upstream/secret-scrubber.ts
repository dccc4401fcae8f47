import type { UpstreamConfig } from '../config/mcp-servers.js';

const MASK = '[REDACTED]';

/** Environment variable names whose values are secrets however short they are. */
const SECRET_NAME = /token|secret|key|pass|auth|cred|private|session|cookie|signature/i;
/** Other values this short are too common to scrub (`1`, `info`, `true`) and too short to matter. */
const MIN_PLAIN_SECRET = 8;

/** Any http(s) or ws(s) URL inside a text, up to a space, quote or angle bracket. */
const URL_IN_TEXT = /\b(?:https?|wss?):\/\/[^\s"'<>`]+/gi;

/**
 * A URL as it may be shown: no `user:password@`, and every query value and fragment masked.
 * Upstream errors quote URLs (a `?token=` in an upstream's URL, or credentials fetch refused).
 */
export function redactUrlsIn(text: string): string {
  return text.replace(URL_IN_TEXT, (url) =>
    url
      .replace(/^([a-z]+:\/\/)[^/?#]*@/i, `$1${MASK}@`)
      .replace(/([?&][^=&#]*=)[^&#]*/g, `$1${MASK}`)
      .replace(/#.+$/, `#${MASK}`),
  );
}

function secretsOf(config: UpstreamConfig): string[] {
  const values: string[] = [];
  if (config.transport === 'stdio') {
    for (const [name, value] of Object.entries(config.env)) {
      if (value.length >= MIN_PLAIN_SECRET || (SECRET_NAME.test(name) && value.length >= 3)) {
        values.push(value);
      }
    }
    return values;
  }
  for (const value of Object.values(config.headers)) {
    values.push(value);
    // `Bearer abc`: an upstream may echo the credential without its scheme.
    const credential = /^\S+\s+(\S.*)$/.exec(value)?.[1];
    if (credential) values.push(credential);
  }
  const url = new URL(config.url);
  for (const value of [url.username, url.password, ...url.searchParams.values()]) {
    if (value.length >= 3) values.push(value, encodeURIComponent(value));
  }
  return values.filter((v) => v.trim().length >= 3);
}

/** Masks what an upstream's texts must not show. */
export interface SecretScrubber {
  /** This upstream's secrets masked; for texts an upstream wrote (its tools' error messages). */
  secrets(text: string): string;
  /** Its secrets, and every URL's credentials, query values and fragment, masked. */
  all(text: string): string;
}

/**
 * The scrubber of one upstream: its secrets are its `headers` values (and the credential after
 * a scheme such as `Bearer`), its URL's credentials and query values, and its `env` values that
 * look secret. Every text about an upstream that reaches a log line, `lastError`, a problem's
 * detail or a job's error goes through it.
 */
export function secretScrubber(config: UpstreamConfig): SecretScrubber {
  const secrets = [...new Set(secretsOf(config))].sort((a, b) => b.length - a.length);
  const pattern =
    secrets.length === 0
      ? undefined
      : new RegExp(secrets.map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'g');
  const known = (text: string) => (pattern ? text.replace(pattern, MASK) : text);
  return { secrets: known, all: (text) => redactUrlsIn(known(text)) };
}
