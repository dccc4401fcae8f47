/**
 * Runs the test files under test/, at any depth: `npm test` (all), `npm run test:unit`,
 * `npm run test:e2e`. Add `--list` to print the files instead of running them; other arguments
 * (`--test-name-pattern=...`) go to `node --test`.
 *
 * Node 20's `node --test` does not expand glob patterns (Node 21 does), and a shell expands
 * `test/**\/*.test.ts` one folder deep only, so this script finds the files itself.
 *
 * Unit tests are the files listed in UNIT: no child process, browser or replica set, and a few
 * seconds each (the Redis store's own tests use the local Redis like any other). Every other
 * file is end-to-end, so a new test file always runs in `npm test` and `test:e2e`.
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const UNIT = [
  'test/client/reconnect.test.ts',
  'test/jobs/input-answer.test.ts',
  'test/client/sse-parser.test.ts',
  'test/security/config-fuzz.test.ts',
  'test/security/run-slots.test.ts',
  'test/store/event-log.property.test.ts',
  'test/store/memory-store.test.ts',
  'test/store/redis-store.test.ts',
  'test/upstream/progress-fast-path.test.ts',
];

const GROUPS = ['all', 'unit', 'e2e'] as const;
type Group = (typeof GROUPS)[number];

function fail(message: string): never {
  console.error(`test/run.ts: ${message}`);
  process.exit(2);
}

/** Every `*.test.ts` under test/, as a sorted repository-relative path with `/`. */
function allTestFiles(): string[] {
  return readdirSync(path.join(ROOT, 'test'), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.test.ts') && !file.split(path.sep).includes('node_modules'))
    .map((file) => `test/${file.split(path.sep).join('/')}`)
    .sort();
}

function partition(all: string[]): Record<Group, string[]> {
  const missing = UNIT.filter((file) => !all.includes(file));
  if (missing.length > 0) fail(`UNIT names files that are not test files: ${missing.join(', ')}`);
  const unitSet = new Set(UNIT);
  const unit = all.filter((file) => unitSet.has(file));
  const e2e = all.filter((file) => !unitSet.has(file));
  // The two halves together are exactly the whole suite, each file once.
  const union = [...unit, ...e2e].sort();
  if (union.length !== all.length || union.some((file, i) => file !== all[i])) {
    fail('unit + e2e is not the whole suite');
  }
  return { all, unit, e2e };
}

const args = process.argv.slice(2);
const list = args.includes('--list');
const named = args.filter((arg) => !arg.startsWith('-'));
const group = (named[0] ?? 'all') as Group;
if (!GROUPS.includes(group) || named.length > 1) {
  fail(`usage: node --import tsx test/run.ts [all|unit|e2e] [--list] [node --test options]`);
}
const passThrough = args.filter((arg) => arg.startsWith('-') && arg !== '--list');

const all = allTestFiles();
if (all.length === 0) fail('no test files found under test/');
const files = partition(all)[group];

if (list) {
  for (const file of files) console.log(file);
  process.exit(0);
}

const child = spawn(
  process.execPath,
  [
    '--import',
    'tsx',
    '--test',
    '--test-concurrency=2',
    '--test-timeout=300000',
    ...passThrough,
    ...files,
  ],
  { cwd: ROOT, stdio: 'inherit' },
);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => child.kill(signal));
}
child.on('exit', (code, signal) => {
  process.exit(code ?? (signal ? 1 : 0));
});
