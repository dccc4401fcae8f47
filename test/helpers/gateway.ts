import path from 'node:path';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import request from 'supertest';
import { buildApp } from '../../src/app.js';
import { loadConfig, type Config, type UpstreamConfig } from '../../src/config/index.js';
import type { JobView } from '../../src/http/job-view.js';
import { openSse, type SseConnection } from './sse-client.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Our fixture MCP server over stdio, run from source. */
export function fixtureStdio(name = 'fixture', env: Record<string, string> = {}): UpstreamConfig {
  return {
    name,
    transport: 'stdio',
    command: process.execPath,
    args: ['--import', 'tsx', path.join(ROOT, 'test/fixtures/stdio-server.ts')],
    env,
    cwd: ROOT,
  };
}

/** A third-party MCP server from npm (@modelcontextprotocol/server-everything) over stdio. */
export function everythingStdio(name = 'everything'): UpstreamConfig {
  return {
    name,
    transport: 'stdio',
    command: process.execPath,
    args: [
      path.join(ROOT, 'node_modules/@modelcontextprotocol/server-everything/dist/index.js'),
      'stdio',
    ],
    env: {},
    cwd: ROOT,
  };
}

export interface TestGateway {
  app: FastifyInstance;
  config: Config;
  /** Base URL of the listening gateway, e.g. http://127.0.0.1:41234 */
  url: string;
  /** supertest agent bound to the live socket. */
  http: ReturnType<typeof request>;
  /** POST /v1/jobs and return the job body (asserts 202). */
  startJob(body: Record<string, unknown>, headers?: Record<string, string>): Promise<JobView>;
  /** Opens a job's event stream on the real socket. */
  events(id: string, headers?: Record<string, string>, query?: string): Promise<SseConnection>;
  /** Follows a job's stream until the server ends it, returning every event. */
  collect(id: string, headers?: Record<string, string>): Promise<SseConnection>;
  close(): Promise<void>;
}

/**
 * Starts a gateway on 127.0.0.1:0 with the given upstreams and settings (environment variable
 * names, as docs/configuration.md#environment-variables lists them). Closed automatically after the test.
 */
export async function startGateway(
  t: TestContext | undefined,
  options: { upstreams?: UpstreamConfig[]; env?: Record<string, string> } = {},
): Promise<TestGateway> {
  const base = loadConfig({ LOG_LEVEL: 'silent', ...options.env });
  const config: Config = { ...base, upstreams: options.upstreams ?? [fixtureStdio()] };
  const app = await buildApp(config);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new Error('no address');
  const url = `http://127.0.0.1:${address.port}`;
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await app.close();
  };
  t?.after(close);
  const gateway: TestGateway = {
    app,
    config,
    url,
    http: request(url),
    async startJob(body, headers = {}) {
      const res = await request(url).post('/v1/jobs').set(headers).send(body);
      if (res.status !== 202) {
        throw new Error(`POST /v1/jobs answered ${res.status}: ${JSON.stringify(res.body)}`);
      }
      return res.body as JobView;
    },
    events(id, headers = {}, query = '') {
      return openSse(`${url}/v1/jobs/${id}/events${query}`, headers);
    },
    async collect(id, headers = {}) {
      const stream = await openSse(`${url}/v1/jobs/${id}/events`, headers);
      await stream.ended;
      return stream;
    },
    close,
  };
  return gateway;
}
