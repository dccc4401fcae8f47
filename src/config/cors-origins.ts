import { ConfigError } from '../errors.js';

/** `CORS_ORIGINS`: comma-separated origins such as `https://app.example.com:8443`. */
export function parseCorsOrigins(value: string): string[] {
  const origins = value
    .split(',')
    .map((o) => o.trim())
    .filter((o) => o !== '');
  for (const origin of origins) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(origin);
    } catch {
      parsed = undefined;
    }
    // Browsers send the origin serialised exactly so: scheme, host, non-default port, nothing else.
    if (!parsed || !/^https?:$/.test(parsed.protocol) || parsed.origin !== origin) {
      throw new ConfigError(
        `CORS_ORIGINS: '${origin}' is not an origin like https://app.example.com (scheme, host and port only, lowercase, no path; '*' is not allowed)`,
      );
    }
  }
  return [...new Set(origins)];
}
