import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { GatewayError } from '../../errors.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
/** dist/dashboard at the package root: the same path from src/http/routes and dist/http/routes. */
export const DASHBOARD_DIR = path.resolve(HERE, '../../../dist/dashboard');
/** Run from source (tsx: `npm run dev`, tests), a missing build is made on first use. */
const FROM_SOURCE = import.meta.url.endsWith('.ts');
const BUILD_SCRIPT = path.resolve(HERE, '../../dashboard/build.mjs');

/** The built files besides index.html; nothing else under /dashboard/ is served. */
const ASSET = /^dashboard\.(?:js|css)(?:\.map)?$/;
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

/**
 * The page loads only its own script and styles, talks only to its own origin, and shows result
 * images and audio from `data:` URLs.
 */
const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  'media-src data:',
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export interface DashboardOptions {
  /** Where the built files are; default dist/dashboard. */
  dir?: string;
}

/**
 * The dashboard (src/dashboard, built into dist/dashboard by `npm run build`): `GET /` is the
 * page, `GET /dashboard/dashboard.js` and `.css` its script and styles. Open like /docs: the
 * page holds no data; it calls /v1 with the API key the user enters.
 */
export function registerDashboard(app: FastifyInstance, options: DashboardOptions = {}): void {
  const dir = options.dir ?? DASHBOARD_DIR;
  let building: Promise<unknown> | undefined;

  const read = async (file: string): Promise<Buffer | undefined> => {
    try {
      return await readFile(path.join(dir, file));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    if (!FROM_SOURCE || options.dir) return undefined;
    building ??= import(pathToFileURL(BUILD_SCRIPT).href)
      .then((m: { buildDashboard: (o: { outdir: string }) => Promise<string> }) =>
        m.buildDashboard({ outdir: dir }),
      )
      .catch((error: unknown) => {
        building = undefined;
        throw error;
      });
    await building;
    return readFile(path.join(dir, file)).catch(() => undefined);
  };

  const send = async (request: FastifyRequest, reply: FastifyReply, file: string) => {
    const body = await read(file);
    if (!body) {
      throw new GatewayError('ROUTE_NOT_FOUND', 'The dashboard is not built: run npm run build');
    }
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
    reply
      .header('cache-control', 'no-cache')
      .header('etag', etag)
      .header('content-security-policy', CSP)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer');
    if (request.headers['if-none-match'] === etag) return reply.code(304).send();
    return reply.type(TYPES[path.extname(file)] ?? 'application/octet-stream').send(body);
  };

  app.get('/', { schema: { hide: true } }, (request, reply) => send(request, reply, 'index.html'));
  app.get<{ Params: { file: string } }>(
    '/dashboard/:file',
    { schema: { hide: true } },
    async (request, reply) => {
      const { file } = request.params;
      if (!ASSET.test(file)) {
        throw new GatewayError('ROUTE_NOT_FOUND', `No dashboard file is named '${file}'`);
      }
      return send(request, reply, file);
    },
  );
}
