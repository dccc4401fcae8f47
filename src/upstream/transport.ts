import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { UpstreamConfig } from '../config/mcp-servers.js';
import { tagResponseStreams } from './stream-tags.js';

/** A transport for one upstream, plus the child's stderr when it is a stdio server. */
export interface UpstreamTransport {
  transport: Transport;
  stderr: NodeJS.ReadableStream | null;
}

/** Creates the SDK transport an upstream's config names. */
export function createTransport(config: UpstreamConfig): UpstreamTransport {
  switch (config.transport) {
    case 'stdio': {
      const transport = new StdioClientTransport({
        command: config.command,
        args: config.args,
        // The SDK adds only HOME, PATH, SHELL, TERM, USER and LOGNAME to this: no secrets leak in.
        env: config.env,
        cwd: config.cwd,
        stderr: 'pipe',
      });
      return { transport, stderr: transport.stderr as NodeJS.ReadableStream | null };
    }
    case 'streamable-http':
      return {
        transport: new StreamableHTTPClientTransport(new URL(config.url), {
          requestInit: { headers: config.headers },
          // Marks what a call's own response streams carry, to tie it to the call.
          fetch: tagResponseStreams(),
        }),
        stderr: null,
      };
    case 'sse':
      return {
        transport: new SSEClientTransport(new URL(config.url), {
          requestInit: { headers: config.headers },
        }),
        stderr: null,
      };
  }
}
