/**
 * The client scenarios (scenarios.ts) in headless Chromium, driven by playwright-core with the
 * system's Chromium (/usr/bin/chromium; never a downloaded browser). The client and the
 * scenarios are bundled by esbuild into a temporary directory; a small node:http server serves
 * the page and the bundle and proxies `/gw/<name>/v1/...` to the test gateways, so the page, the
 * bundle and the gateways share one origin (the gateway has no CORS). Without a usable Chromium
 * the suite is skipped, except under CI=true, where that is a failure.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { build } from 'esbuild';
import type { Page } from 'playwright-core';
import { launchChromium } from '../helpers/chromium.js';
import { ROOT } from '../helpers/gateway.js';
import type { BrowserSettings } from './browser-entry.js';
import { checks } from './checks.js';
import { API_KEY, startClientGateways, type ClientGateways } from './harness.js';
import { scenarios, type ScenarioName } from './scenarios.js';

const launched = await launchChromium("the client's browser tests");

/** Serves the page and the bundle, and proxies /gw/<name>/... to the gateway of that name. */
function startProxy(
  bundle: string,
  gateways: Record<string, string>,
): Promise<{ url: string; close(): Promise<void> }> {
  const page =
    '<!doctype html><meta charset="utf-8"><title>client tests</title>' +
    '<script type="module" src="/bundle.js"></script>';
  const server = http.createServer((req, res) => {
    const url = req.url ?? '/';
    if (url === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page);
      return;
    }
    if (url === '/bundle.js') {
      res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' }).end(bundle);
      return;
    }
    const match = /^\/gw\/([a-z]+)(\/.*)$/.exec(url);
    const target = match && gateways[match[1]!];
    if (!match || !target) {
      res.writeHead(404).end();
      return;
    }
    const { hostname, port } = new URL(target);
    const headers = { ...req.headers, host: `${hostname}:${port}` };
    delete headers.connection;
    const upstream = http.request({
      hostname,
      port,
      method: req.method,
      path: match[2],
      headers,
      agent: false,
    });
    upstream.on('response', (answer) => {
      const head = { ...answer.headers };
      delete head.connection;
      res.writeHead(answer.statusCode ?? 502, head);
      answer.pipe(res);
      // A stream the gateway cut must reach the page cut, not ended.
      answer.on('error', () => res.destroy());
      answer.on('close', () => {
        if (!answer.complete) res.destroy();
      });
    });
    upstream.on('error', () => {
      if (res.headersSent) res.destroy();
      else res.writeHead(502).end();
    });
    res.on('close', () => upstream.destroy());
    req.pipe(upstream);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}`,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}

describe('GatewayClient in headless Chromium', { skip: launched.reason ?? false }, () => {
  const browser = launched.browser!;
  let gateways: ClientGateways | undefined;
  let proxy: { url: string; close(): Promise<void> } | undefined;
  let dir: string | undefined;
  let page: Page;
  const pageErrors: string[] = [];

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'client-bundle-'));
    const outfile = path.join(dir, 'bundle.js');
    await build({
      entryPoints: [path.join(ROOT, 'test/client/browser-entry.ts')],
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      outfile,
      logLevel: 'silent',
    });
    gateways = await startClientGateways();
    proxy = await startProxy(await readFile(outfile, 'utf8'), {
      main: gateways.main.url,
      rotating: gateways.rotating.url,
      auth: gateways.auth.url,
    });
    page = await browser.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      // The browser logs every non-2xx answer and cut stream; the scenarios provoke those.
      const text = message.text();
      if (message.type() === 'error' && !text.startsWith('Failed to load resource')) {
        pageErrors.push(text);
      }
    });
    await page.exposeFunction('cutStreams', () => gateways!.cut());
    await page.exposeFunction('endStreams', () => gateways!.endStreams());
    await page.goto(`${proxy.url}/`);
    await page.waitForFunction(() => typeof window.runScenario === 'function');
  });

  after(async () => {
    await browser.close();
    await proxy?.close();
    await gateways?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  for (const name of Object.keys(scenarios) as ScenarioName[]) {
    test(name, async () => {
      const settings: BrowserSettings = {
        urls: {
          main: `${proxy!.url}/gw/main`,
          rotating: `${proxy!.url}/gw/rotating`,
          auth: `${proxy!.url}/gw/auth`,
        },
        apiKey: API_KEY,
      };
      const result = await page.evaluate(([n, s]) => window.runScenario(n, s), [
        name,
        settings,
      ] as const);
      await (checks[name] as (result: unknown, gateways: ClientGateways) => Promise<void>)(
        result,
        gateways!,
      );
    });
  }

  test('the page reported no errors', () => {
    if (pageErrors.length > 0) throw new Error(pageErrors.join('\n'));
  });
});
