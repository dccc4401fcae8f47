import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { UpstreamConfig } from './mcp-servers.js';

/** The bundled demo upstream, run with the same Node.js (from source under tsx in development). */
export function demoUpstream(): UpstreamConfig {
  const here = fileURLToPath(import.meta.url);
  const fromSource = here.endsWith('.ts');
  // src/config (or dist/config) → src/demo (or dist/demo); the package root is two levels up.
  const srcDir = path.resolve(path.dirname(here), '..');
  const script = path.join(srcDir, 'demo', fromSource ? 'server.ts' : 'server.js');
  return {
    name: 'demo',
    transport: 'stdio',
    command: process.execPath,
    args: fromSource ? ['--import', 'tsx', script] : [script],
    env: {},
    cwd: path.resolve(srcDir, '..'),
  };
}
