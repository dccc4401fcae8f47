import { isIP } from 'node:net';
import { ConfigError } from '../errors.js';

/**
 * Whether `host` only accepts connections from this machine: `localhost`, 127.0.0.0/8, `::1`
 * (also IPv4-mapped or in brackets). Anything else, `0.0.0.0` and `::` included, is reachable
 * from elsewhere.
 */
export function isLoopbackHost(host: string): boolean {
  const bare = host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1');
  if (bare === 'localhost' || bare.endsWith('.localhost')) return true;
  const v4 = bare.startsWith('::ffff:') ? bare.slice('::ffff:'.length) : bare;
  if (isIP(v4) === 4) return v4.split('.')[0] === '127';
  if (isIP(bare) === 6) return /^(0{0,4}:){7}0{0,3}1$|^::1$/.test(bare);
  return false;
}

/**
 * A gateway without API keys runs every tool for anyone who can reach it: that is only allowed
 * on a loopback address, unless the operator says `ALLOW_UNAUTHENTICATED=true`.
 */
export function checkOpenMode(options: {
  host: string;
  keys: number;
  allowUnauthenticated: boolean;
}): void {
  if (options.keys > 0 || options.allowUnauthenticated || isLoopbackHost(options.host)) return;
  throw new ConfigError(
    `HOST: ${options.host} is not a loopback address and no API keys are set (API_KEYS or API_KEYS_FILE): ` +
      'anyone who can reach the gateway could run its tools. Set API_KEYS, listen on 127.0.0.1, ' +
      'or set ALLOW_UNAUTHENTICATED=true to run open on purpose',
  );
}
