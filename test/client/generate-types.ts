/**
 * Generates src/client/openapi-types.ts from openapi.yaml with openapi-typescript, formatted with
 * the project's Prettier settings. `npm run generate:client-types` runs it; the test
 * test/client/openapi-types.test.ts runs it into a temporary file (`--out PATH`) and checks that
 * the committed file is the same, so openapi.yaml and the client's types cannot drift apart.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import openapiTS, { astToString } from 'openapi-typescript';
import { format, resolveConfig } from 'prettier';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const SPEC = path.join(ROOT, 'openapi.yaml');
export const TARGET = path.join(ROOT, 'src/client/openapi-types.ts');

const HEADER = `/**
 * Generated from openapi.yaml by openapi-typescript (\`npm run generate:client-types\`).
 * Do not edit: change openapi.yaml and run the script again. test/client/openapi-types.test.ts
 * fails when this file and openapi.yaml disagree.
 */

`;

/** The text of src/client/openapi-types.ts as openapi.yaml makes it now. */
export async function renderClientTypes(): Promise<string> {
  const ast = await openapiTS(pathToFileURL(SPEC), {
    // `type: object` with no properties (tool arguments, results, schemas) is an open record.
    emptyObjectsUnknown: true,
  });
  const source = HEADER + astToString(ast);
  const options = (await resolveConfig(TARGET)) ?? {};
  return format(source, { ...options, filepath: TARGET });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const at = process.argv.indexOf('--out');
  const out = at === -1 ? TARGET : path.resolve(process.argv[at + 1] ?? '');
  await writeFile(out, await renderClientTypes());
  console.log(`wrote ${path.relative(process.cwd(), out)}`);
}
