import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { ROOT, startGateway } from '../helpers/gateway.js';

test('the OpenAPI document is served as YAML and JSON, and /docs works with no network', async (t) => {
  const gw = await startGateway(t);
  const committed = parse(readFileSync(path.join(ROOT, 'openapi.yaml'), 'utf8'));
  const json = await gw.http.get('/openapi.json').expect(200);
  assert.deepEqual(json.body, committed);
  const yaml = await gw.http.get('/openapi.yaml').expect(200);
  assert.match(yaml.headers['content-type']!, /yaml/);
  assert.deepEqual(parse(yaml.text), committed);

  const page = await gw.http.get('/docs/').expect(200);
  assert.match(page.headers['content-type']!, /text\/html/);
  // Every asset the page refers to is served by the gateway itself: no CDN, no external font.
  const refs = [...page.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
  assert.ok(refs.length >= 3, `assets: ${refs.join(', ')}`);
  for (const ref of refs) {
    assert.doesNotMatch(ref, /^(https?:)?\/\//, `external asset ${ref}`);
    const url = new URL(ref, `${gw.url}/docs/`).pathname;
    const asset = await gw.http.get(url);
    assert.equal(asset.status, 200, url);
  }
  const init = await gw.http.get('/docs/static/swagger-initializer.js').expect(200);
  // The page loads the spec from the gateway (a comment may cite a web page; no code does).
  const code = init.text.replace(/\/\/.*$/gm, '');
  assert.doesNotMatch(code, /https?:\/\//);
});
