import { createRequire } from 'node:module';

/** The package's version: sent to upstreams as the client version, logged at start-up. */
export const VERSION = (createRequire(import.meta.url)('../package.json') as { version: string })
  .version;
