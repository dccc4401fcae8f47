/* eslint-disable no-console -- an example that prints to the terminal */
/**
 * Serves the browser example and forwards `/v1/...` to the gateway, so that the page, the client
 * bundle and the gateway share one origin (a page opened from file:// cannot load ES modules,
 * and a page from another origin needs the gateway to allow it with CORS).
 *
 *   npm start                  # the gateway, with the demo upstream
 *   npm run example:browser    # bundles the client into examples/dist, then runs this
 *
 * and open http://127.0.0.1:8081/. EXAMPLE_PORT (default 8081) is where this listens;
 * GATEWAY_URL (default http://127.0.0.1:8080) is the gateway.
 */
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const PORT = Number(process.env.EXAMPLE_PORT ?? 8081);
const GATEWAY = new URL(process.env.GATEWAY_URL ?? 'http://127.0.0.1:8080');

/** The only files served. */
const FILES: Record<string, { file: string; type: string }> = {
  '/': { file: 'browser.html', type: 'text/html; charset=utf-8' },
  '/browser.html': { file: 'browser.html', type: 'text/html; charset=utf-8' },
  '/dist/gateway-client.js': {
    file: 'dist/gateway-client.js',
    type: 'text/javascript; charset=utf-8',
  },
};

/** Forwards one request to the gateway, streaming both ways (event streams included). */
function forward(req: http.IncomingMessage, res: http.ServerResponse): void {
  const headers = { ...req.headers, host: GATEWAY.host };
  delete headers.connection;
  const upstream = http.request({
    hostname: GATEWAY.hostname,
    port: GATEWAY.port || 80,
    method: req.method,
    path: req.url,
    headers,
  });
  upstream.on('response', (answer) => {
    const head = { ...answer.headers };
    delete head.connection;
    res.writeHead(answer.statusCode ?? 502, head);
    answer.pipe(res);
    // A stream the gateway cut must reach the page cut (so the client resumes), not ended.
    answer.on('close', () => {
      if (!answer.complete) res.destroy();
    });
  });
  upstream.on('error', (error) => {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.writeHead(502, { 'content-type': 'text/plain' });
    res.end(`The gateway at ${GATEWAY.origin} cannot be reached: ${error.message}\n`);
  });
  res.on('close', () => upstream.destroy());
  req.pipe(upstream);
}

const server = http.createServer((req, res) => {
  const url = req.url ?? '/';
  if (url === '/v1' || url.startsWith('/v1/')) {
    forward(req, res);
    return;
  }
  const entry = FILES[url.split('?')[0]!];
  if (!entry || (req.method !== 'GET' && req.method !== 'HEAD')) {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found\n');
    return;
  }
  readFile(path.join(HERE, entry.file)).then(
    (body) => res.writeHead(200, { 'content-type': entry.type }).end(body),
    () =>
      res
        .writeHead(404, { 'content-type': 'text/plain' })
        .end(`${entry.file} is missing: run \`npm run example:browser\`\n`),
  );
});

server.listen(PORT, '127.0.0.1', () => {
  console.log(`browser example on http://127.0.0.1:${PORT}/ (gateway ${GATEWAY.origin})`);
});

process.once('SIGINT', () => {
  server.closeAllConnections();
  server.close();
});
