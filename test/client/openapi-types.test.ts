/**
 * src/client/openapi-types.ts is generated from openapi.yaml; the client's public types derive
 * from it. Regenerating it into a temporary file must give the committed file: otherwise
 * openapi.yaml changed without `npm run generate:client-types`.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { ROOT } from '../helpers/gateway.js';

test('src/client/openapi-types.ts is what openapi.yaml generates', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'client-types-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const out = path.join(dir, 'openapi-types.ts');
  await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', path.join(ROOT, 'test/client/generate-types.ts'), '--out', out],
    { cwd: ROOT },
  );
  const committed = await readFile(path.join(ROOT, 'src/client/openapi-types.ts'), 'utf8');
  const generated = await readFile(out, 'utf8');
  assert.ok(
    committed === generated,
    'src/client/openapi-types.ts is stale: run `npm run generate:client-types` and commit it',
  );
});
