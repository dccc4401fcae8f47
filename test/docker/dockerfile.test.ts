/**
 * Keeps the Dockerfile and deploy/ honest without a Docker engine:
 * - the Dockerfile's own build and start steps run outside Docker (dockerfile-steps.ts), and the
 *   image's entry point must serve a job, pass its HEALTHCHECK and stop cleanly on SIGTERM;
 * - deploy/compose.yaml and deploy/nginx.conf are linted for the settings the gateway needs, and
 *   nginx (when this machine has it) checks the config and carries a real event stream.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { describe, test, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { demoUpstream, loadConfig } from '../../src/config/index.js';
import { startGateway } from '../helpers/gateway.js';
import { openSse, parsed } from '../helpers/sse-client.js';
import { waitUntil } from '../helpers/wait.js';
import {
  buildDockerfile,
  containerArgv,
  containerEnv,
  DockerfileError,
  DockerIgnore,
  findDirectives,
  hostPath,
  killGroup,
  machinePath,
  parseCommand,
  parseDockerfile,
  parseDuration,
  parseEnv,
  parseHealthcheck,
  parseNginxConf,
  parseNginxTime,
  runProcess,
  type BuiltStage,
  type NginxDirective,
} from './dockerfile-steps.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DEPLOY = path.join(ROOT, 'deploy');
/** The build context (and its Dockerfile): this checkout, or another one named here. */
const CONTEXT = process.env.DOCKERFILE_TEST_CONTEXT
  ? path.resolve(process.env.DOCKERFILE_TEST_CONTEXT)
  : ROOT;
const read = (file: string) => fs.readFileSync(file, 'utf8');

/**
 * Where the stages' folders go: a RAM-backed /dev/shm when it has room (two npm installs run
 * about a quarter faster there than on this machine's disk), else the usual temporary folder.
 */
function scratchRoot(): string {
  try {
    const stats = fs.statfsSync('/dev/shm');
    fs.accessSync('/dev/shm', fs.constants.W_OK);
    if (stats.bavail * stats.bsize >= 4 * 1024 ** 3) return '/dev/shm';
  } catch {
    // No /dev/shm here.
  }
  return os.tmpdir();
}

function tempDir(t: TestContext, prefix: string, root = os.tmpdir()): string {
  const dir = fs.mkdtempSync(path.join(root, prefix));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A port that was free a moment ago on every interface (the image listens on 0.0.0.0). */
async function freePort(): Promise<number> {
  const server = net.createServer();
  server.listen(0, '0.0.0.0');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

/** Starts a process in a group of its own; collects its output lines; killed after the test. */
function startProcess(
  t: TestContext,
  argv: readonly string[],
  options: { cwd: string; env: Record<string, string> },
): { child: ChildProcess; lines: string[]; exited: Promise<[number | null, string | null]> } {
  const child = spawn(argv[0]!, argv.slice(1), {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const lines: string[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => lines.push(line));
  createInterface({ input: child.stderr! }).on('line', (line) => lines.push(line));
  const exited = once(child, 'exit') as Promise<[number | null, string | null]>;
  t.after(() => killGroup(child, 'SIGKILL'));
  return { child, lines, exited };
}

/** GET that answers the status, or 0 when nothing answers yet. */
async function statusOf(url: string): Promise<number> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
    await response.arrayBuffer();
    return response.status;
  } catch {
    return 0;
  }
}

// -------------------------------------------------------------------------------------------
// The interpreter itself

describe('Dockerfile interpreter', () => {
  test('parses stages, flags, continuations, ENV forms and command forms', () => {
    const dockerfile = parseDockerfile(
      [
        '# syntax=docker/dockerfile:1',
        'FROM node:20 AS build',
        'workdir /src',
        'ENV A=1 B="two words" \\',
        '  # a comment inside a continuation is dropped',
        "  C='$A literal' D=${A}x E=${NOPE:-fallback}",
        'ENV LEGACY some value',
        'RUN --mount=type=cache,target=/root/.npm npm ci \\',
        '  && npm run build',
        '',
        'FROM node:20',
        'COPY --from=build /src/dist ./dist',
        'HEALTHCHECK --interval=10s --timeout=3s --start-period=1m30s --retries=4 \\',
        '  CMD ["node", "-e", "process.exit(0)"]',
        'ENTRYPOINT ["/usr/bin/tini", "--"]',
        'CMD node dist/main.js',
        'USER node',
      ].join('\n'),
    );
    assert.equal(dockerfile.stages.length, 2);
    const [build, runtime] = dockerfile.stages as [
      (typeof dockerfile.stages)[0],
      (typeof dockerfile.stages)[0],
    ];
    assert.equal(build.name, 'build');
    assert.equal(build.base, 'node:20');
    assert.equal(runtime.name, undefined);
    assert.deepEqual(
      build.instructions.map((i) => [i.keyword, i.line]),
      [
        ['WORKDIR', 3],
        ['ENV', 4],
        ['ENV', 7],
        ['RUN', 8],
      ],
    );
    const env: Record<string, string> = { A: '0' };
    for (const [k, v] of parseEnv(build.instructions[1]!.args, env)) env[k] = v;
    assert.deepEqual(env, { A: '1', B: 'two words', C: '$A literal', D: '0x', E: 'fallback' });
    assert.deepEqual(parseEnv(build.instructions[2]!.args, {}), [['LEGACY', 'some value']]);
    const run = build.instructions[3]!;
    assert.deepEqual(run.flags, [{ name: 'mount', value: 'type=cache,target=/root/.npm' }]);
    assert.equal(run.args.replace(/\s+/g, ' '), 'npm ci && npm run build');

    const copy = runtime.instructions[0]!;
    assert.deepEqual(copy.flags, [{ name: 'from', value: 'build' }]);
    assert.equal(copy.args, '/src/dist ./dist');
    const health = parseHealthcheck(runtime.instructions[1]!)!;
    assert.deepEqual(health, {
      command: { form: 'exec', argv: ['node', '-e', 'process.exit(0)'] },
      intervalMs: 10_000,
      timeoutMs: 3000,
      startPeriodMs: 90_000,
      retries: 4,
    });
    assert.deepEqual(parseCommand(runtime.instructions[2]!.args).argv, ['/usr/bin/tini', '--']);
    assert.deepEqual(parseCommand(runtime.instructions[3]!.args), {
      form: 'shell',
      argv: ['/bin/sh', '-c', 'node dist/main.js'],
    });
    assert.equal(parseDuration('500ms'), 500);
  });

  test('refuses what it does not understand, naming the line', () => {
    assert.throws(
      () => parseDockerfile('FROM a\nADD x.tar.gz /\n'),
      /line 2: ADD is not supported/,
    );
    assert.throws(() => parseDockerfile('FROM a\nRUN <<EOF\necho\nEOF\n'), /heredocs/);
    assert.throws(() => parseDockerfile('RUN true\n'), /before FROM/);
    assert.throws(() => parseDockerfile('# nothing\n'), DockerfileError);
  });

  test('.dockerignore: folders cover their contents, the last match wins, ! brings back', () => {
    const ignore = new DockerIgnore(
      ['# comment', 'node_modules', '/dist/', '**/*.log', 'logs', '!logs/keep.log', '.env*'].join(
        '\n',
      ),
    );
    assert.ok(ignore.ignores('node_modules'));
    assert.ok(ignore.ignores('node_modules/fastify/package.json'));
    assert.ok(ignore.ignores('dist/main.js'));
    assert.ok(ignore.ignores('a/b/debug.log'));
    assert.ok(ignore.ignores('debug.log'));
    assert.ok(ignore.ignores('logs/other.txt'));
    assert.ok(!ignore.ignores('logs/keep.log'));
    assert.ok(ignore.ignores('.env.local'));
    assert.ok(!ignore.ignores('src/main.ts'));
    assert.ok(!ignore.ignores('src/node_modules_helper.ts'));
    assert.ok(!ignore.ignores('distribution/x'));
  });

  test('builds a small Dockerfile: context, .dockerignore, ENV, RUN, COPY --from', async (t) => {
    const context = tempDir(t, 'mpg-docker-context-');
    const work = tempDir(t, 'mpg-docker-work-');
    fs.mkdirSync(path.join(context, 'app/logs'), { recursive: true });
    fs.writeFileSync(path.join(context, 'app/a.txt'), 'a');
    fs.writeFileSync(path.join(context, 'app/secret.env'), 'x');
    fs.writeFileSync(path.join(context, 'app/logs/drop.txt'), 'x');
    fs.writeFileSync(path.join(context, 'app/logs/keep.txt'), 'k');
    fs.writeFileSync(
      path.join(context, '.dockerignore'),
      '**/*.env\napp/logs\n!app/logs/keep.txt\n',
    );
    const log: string[] = [];
    const stages = await buildDockerfile(
      parseDockerfile(
        [
          'FROM scratch AS one',
          'ENV GREETING="hello there"',
          'WORKDIR /w',
          'COPY app ./in/',
          'RUN echo "$GREETING" > out.txt && find in -type f | sort > files.txt',
          'FROM scratch',
          'RUN apt-get update && apt-get install -y tini && rm -rf /var/lib/apt/lists/*',
          'WORKDIR /srv',
          'COPY --from=one /w/out.txt /w/files.txt ./',
          'USER 1000:1000',
          'ENTRYPOINT ["/no/such/tini", "--"]',
          'CMD ["node", "-e", "console.log(process.env.GREETING ?? \'none\')"]',
        ].join('\n'),
      ),
      { context, workRoot: work, log: (line) => log.push(line) },
    );
    const [one, last] = stages as [BuiltStage, BuiltStage];
    assert.equal(read(hostPath(one, 'out.txt')), 'hello there\n');
    assert.equal(read(hostPath(one, 'files.txt')), 'in/a.txt\nin/logs/keep.txt\n');
    assert.equal(read(hostPath(last, '/srv/out.txt')), 'hello there\n');
    assert.ok(fs.existsSync(hostPath(last, 'files.txt')));
    assert.deepEqual(last.env, {}, 'ENV does not cross stages');
    assert.equal(last.user, '1000:1000');
    assert.ok(log.some((l) => /apt-get .*skipped/.test(l)));
    const { argv, note } = containerArgv(last);
    assert.equal(argv[0], 'node');
    assert.match(note ?? '', /CMD alone/);
    // COPY of something .dockerignore excludes fails as it does in Docker.
    await assert.rejects(
      buildDockerfile(parseDockerfile('FROM x\nCOPY app/secret.env ./\n'), {
        context,
        workRoot: tempDir(t, 'mpg-docker-work-'),
        log: () => {},
      }),
      /excluded by \.dockerignore/,
    );
    // A failing RUN fails the build with its output; the other stages stop.
    await assert.rejects(
      buildDockerfile(
        parseDockerfile('FROM x AS a\nRUN echo boom >&2 && exit 3\nFROM y\nRUN sleep 29.9\n'),
        { context, workRoot: tempDir(t, 'mpg-docker-work-'), log: () => {} },
      ),
      /line 2: RUN: exited with 3\nboom/,
    );
  });
});

// -------------------------------------------------------------------------------------------
// The project's Dockerfile, built and started here

test(
  "the Dockerfile's own steps build an image whose entry point serves a job",
  { timeout: 15 * 60_000 },
  async (t) => {
    const dockerfile = parseDockerfile(read(path.join(CONTEXT, 'Dockerfile')));
    const final = dockerfile.stages.at(-1)!;

    // Non-root: the final stage says so (this test runs as whoever runs it and cannot switch).
    const users = final.instructions.filter((i) => i.keyword === 'USER');
    assert.ok(users.length > 0, 'the final stage has a USER');
    const user = users.at(-1)!.args.trim();
    assert.ok(!/^(root|0)(:.*)?$/.test(user), `USER ${user} is not root`);

    const work = tempDir(t, 'mpg-dockerfile-', scratchRoot());
    t.diagnostic(`stages in ${work}`);
    const started = performance.now();
    const stages = await buildDockerfile(dockerfile, {
      context: CONTEXT,
      workRoot: work,
      log: (line) => t.diagnostic(line),
    });
    t.diagnostic(`build: ${((performance.now() - started) / 1000).toFixed(1)} s`);
    const runtime = stages.at(-1)!;
    assert.equal(runtime.user, user);
    assert.equal(runtime.env.HOST, '0.0.0.0', 'the image listens on every interface');

    // Production dependencies only, no sources.
    const app = hostPath(runtime, '.');
    assert.ok(fs.existsSync(path.join(app, 'dist/main.js')), 'dist/main.js is in the image');
    assert.ok(fs.existsSync(path.join(app, 'dist/demo/server.js')), 'the demo upstream too');
    for (const absent of [
      'src',
      'test',
      'tsconfig.json',
      'node_modules/typescript',
      'node_modules/tsx',
    ]) {
      assert.ok(!fs.existsSync(path.join(app, absent)), `${absent} is not in the image`);
    }
    const lock = JSON.parse(read(path.join(app, 'package-lock.json'))) as {
      packages: Record<
        string,
        { dev?: boolean; optional?: boolean; devOptional?: boolean; peer?: boolean }
      >;
    };
    let dev = 0;
    let prod = 0;
    for (const [name, entry] of Object.entries(lock.packages)) {
      if (name === '') continue;
      if (entry.dev) {
        dev += 1;
        assert.ok(!fs.existsSync(path.join(app, name)), `${name} (dev only) is not in the image`);
      } else if (!entry.optional && !entry.devOptional && !entry.peer) {
        prod += 1;
        assert.ok(fs.existsSync(path.join(app, name)), `${name} (production) is in the image`);
      }
    }
    t.diagnostic(
      `runtime node_modules: ${prod} production packages present, ${dev} dev-only absent`,
    );

    // Start what `docker run` would, with the image's ENV and another port.
    const { argv, note } = containerArgv(runtime);
    t.diagnostic(note ?? `starting ${argv.join(' ')}`);
    const home = path.join(work, 'home');
    fs.mkdirSync(home);
    const secret = randomBytes(24).toString('hex');
    const auth = { authorization: `Bearer ${secret}` };
    let port = 0;
    let gateway: ReturnType<typeof startProcess> | undefined;
    let env: Record<string, string> = {};
    for (let attempt = 1; attempt <= 3 && !gateway; attempt++) {
      port = await freePort();
      // As `docker run -e PORT=... -e API_KEYS=...`: the image listens on 0.0.0.0, where a
      // gateway belongs behind keys.
      env = containerEnv(runtime, home, { PORT: String(port), API_KEYS: `docker-test:${secret}` });
      const candidate = startProcess(t, argv, { cwd: app, env });
      const base = `http://127.0.0.1:${port}`;
      await waitUntil(
        async () => candidate.child.exitCode !== null || (await statusOf(`${base}/readyz`)) === 200,
        'the gateway to be ready',
        90_000,
      );
      if (candidate.child.exitCode === null) gateway = candidate;
      else if (!candidate.lines.some((l) => l.includes('EADDRINUSE'))) {
        assert.fail(
          `the gateway exited with ${candidate.child.exitCode}:\n${candidate.lines.join('\n')}`,
        );
      }
    }
    assert.ok(gateway, 'the gateway started');
    const base = `http://127.0.0.1:${port}`;
    const startup = gateway.lines.find((l) => l.includes('listening on'));
    assert.ok(startup, 'one start-up line');
    assert.match(JSON.parse(startup).msg, new RegExp(`listening on http://0\\.0\\.0\\.0:${port}$`));

    // The entry point serves a job of the bundled demo upstream, streamed to `done`.
    const post = await fetch(`${base}/v1/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...auth },
      body: JSON.stringify({
        server: 'demo',
        tool: 'countdown',
        arguments: { seconds: 2, intervalMs: 50 },
      }),
    });
    assert.equal(post.status, 202);
    const job = (await post.json()) as { id: string };
    const stream = await openSse(`${base}/v1/jobs/${job.id}/events`, auth, { timeoutMs: 60_000 });
    t.after(() => stream.close());
    assert.equal(stream.status, 200);
    await stream.waitFor((events) => events.some((e) => e.event === 'done'), 'done');
    await stream.ended;
    const events = parsed(stream.events);
    const done = events.at(-1)!;
    assert.equal(done.event, 'done');
    assert.equal(done.data.status, 'succeeded');
    assert.ok(
      events.some((e) => e.event === 'progress'),
      'progress was streamed',
    );

    // The files next to dist/ that routes read at run time are in the image too.
    assert.equal(await statusOf(`${base}/openapi.yaml`), 200);
    assert.equal(await statusOf(`${base}/docs`), 200);
    if (fs.existsSync(path.join(CONTEXT, 'src/dashboard'))) {
      // The dashboard page is built into dist/dashboard by `npm run build` and served at /.
      assert.equal(await statusOf(`${base}/`), 200, 'the dashboard is in the image');
    }

    // HEALTHCHECK, run as Docker would: in the WORKDIR with the container's environment.
    assert.ok(runtime.healthcheck, 'the image has a HEALTHCHECK');
    // Docker calls a container unhealthy after `retries` failures in a row, each within `timeout`.
    const check = runtime.healthcheck;
    const runCheck = () =>
      runProcess(check.command.argv, { cwd: app, env, timeoutMs: check.timeoutMs });
    const attempts = [];
    for (let i = 0; i < check.retries; i++) {
      const attempt = await runCheck();
      attempts.push(attempt);
      if (attempt.code === 0) break;
    }
    assert.equal(
      attempts.at(-1)?.code,
      0,
      `HEALTHCHECK passes:\n${attempts.map((a) => `${a.code}${a.timedOut ? ' (timed out)' : ''}: ${a.output}`).join('\n')}`,
    );
    if (attempts.length > 1) t.diagnostic(`HEALTHCHECK passed on attempt ${attempts.length}`);

    // SIGTERM (what `docker stop` sends) ends the gateway with exit code 0.
    const stopping = performance.now();
    gateway.child.kill(runtime.stopSignal as NodeJS.Signals);
    const [code, signal] = await gateway.exited;
    const stopMs = performance.now() - stopping;
    t.diagnostic(`${runtime.stopSignal}: exited with ${code} after ${Math.round(stopMs)} ms`);
    assert.equal(signal, null);
    assert.equal(code, 0, gateway.lines.slice(-20).join('\n'));
    assert.ok(stopMs < loadConfig({}).shutdownGraceMs, 'well inside the shutdown grace period');

    // And the HEALTHCHECK is a real check: with the gateway gone it fails.
    const unhealthy = await runCheck();
    assert.notEqual(unhealthy.code, 0, 'HEALTHCHECK fails when the gateway is down');

    // Nothing went wrong along the way, as far as the gateway's own log says.
    const failures = gateway.lines.filter((l) => /"level":(50|60)\b/.test(l));
    assert.deepEqual(failures, [], 'no error lines in the log');
  },
);

// -------------------------------------------------------------------------------------------
// deploy/

interface ComposeService {
  image?: string;
  build?: { context?: string; dockerfile?: string } | string;
  deploy?: { replicas?: number };
  environment?: Record<string, string | number | boolean | null> | string[];
  volumes?: Array<string | { type?: string; source?: string; target?: string }>;
  command?: string | string[];
  ports?: unknown[];
  healthcheck?: { test?: string[] | string; disable?: boolean };
  depends_on?: Record<string, { condition?: string }> | string[];
  stop_grace_period?: string;
}

/**
 * Compose's interpolation of `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`,
 * `${VAR:?error}`, `${VAR?error}` and `$$` from the given environment.
 */
function interpolate(value: string, env: Record<string, string>): string {
  return value.replace(
    /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (match, name?: string, op?: string, arg?: string, bare?: string) => {
      if (match === '$$') return '$';
      if (bare) return env[bare] ?? '';
      const value = env[name!];
      const unset = op?.startsWith(':') ? !value : value === undefined;
      if (!op) return value ?? '';
      if (op.endsWith('-')) return unset ? arg! : value!;
      if (unset) throw new Error(`compose.yaml: ${name} is required: ${arg}`);
      return value!;
    },
  );
}

/** The environment a container of `service` gets: the image's ENV, then compose's. */
function environmentOf(
  service: ComposeService,
  shell: Record<string, string>,
  image: Record<string, string> = {},
): Record<string, string> {
  const raw = service.environment ?? {};
  const pairs: Array<[string, string]> = Array.isArray(raw)
    ? raw.map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)])
    : Object.entries(raw).map(([k, v]) => [k, v === null ? '' : String(v)]);
  return { ...image, ...Object.fromEntries(pairs.map(([k, v]) => [k, interpolate(v, shell)])) };
}

/** The ENV of the Dockerfile's final stage. */
function imageEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  const final = parseDockerfile(read(path.join(ROOT, 'Dockerfile'))).stages.at(-1)!;
  for (const instruction of final.instructions) {
    if (instruction.keyword !== 'ENV') continue;
    for (const [key, value] of parseEnv(instruction.args, env)) env[key] = value;
  }
  return env;
}

/** A service's bind mounts as (host path resolved against deploy/, container path). */
function bindMounts(service: ComposeService): Array<{ source: string; target: string }> {
  return (service.volumes ?? []).map((volume) => {
    if (typeof volume === 'string') {
      const [source, target] = volume.split(':') as [string, string];
      return { source: /^[./]/.test(source) ? path.resolve(DEPLOY, source) : source, target };
    }
    return { source: path.resolve(DEPLOY, volume.source ?? ''), target: volume.target ?? '' };
  });
}

function commandWords(service: ComposeService): string[] {
  const command = service.command ?? [];
  return Array.isArray(command) ? command.map(String) : command.split(/\s+/);
}

/** The settings that apply at `uri` in nginx's server block: location match, then inheritance. */
function nginxAt(server: NginxDirective, uri: string): (name: string) => NginxDirective[] {
  const locations = server.children!.filter((d) => d.name === 'location');
  const exact = locations.find((l) => l.args[0] === '=' && l.args[1] === uri);
  const prefixes = locations
    .filter((l) => l.args.length === 1 || l.args[0] === '^~')
    .map((l) => ({ l, prefix: l.args.at(-1)! }))
    .filter(({ prefix }) => uri.startsWith(prefix))
    .sort((a, b) => b.prefix.length - a.prefix.length);
  const regex = locations.find(
    (l) =>
      (l.args[0] === '~' || l.args[0] === '~*') &&
      new RegExp(l.args[1]!, l.args[0] === '~*' ? 'i' : '').test(uri),
  );
  const best = prefixes[0];
  const location = exact ?? (best && best.l.args[0] === '^~' ? best.l : (regex ?? best?.l));
  assert.ok(location, `a location serves ${uri}`);
  return (name) => {
    for (const level of [location.children!, server.children!]) {
      const found = level.filter((d) => d.name === name);
      if (found.length) return found;
    }
    return [];
  };
}

describe('deploy/', () => {
  const compose = parseYaml(read(path.join(DEPLOY, 'compose.yaml'))) as {
    services: Record<string, ComposeService>;
  };
  const nginxTree = parseNginxConf(read(path.join(DEPLOY, 'nginx.conf')));
  const gateway = compose.services.gateway!;
  /** What an operator sets in the shell or deploy/.env. */
  const shell = { API_KEYS: `ops:${'s'.repeat(32)}` };
  const gatewayEnv = environmentOf(gateway, shell, imageEnv());

  test('compose.yaml: two gateway replicas from the Dockerfile on Redis, with a mounted mcp.json', () => {
    assert.ok(gateway, 'a gateway service');
    assert.equal(gateway.deploy?.replicas, 2);
    const build = typeof gateway.build === 'string' ? { context: gateway.build } : gateway.build;
    assert.equal(path.resolve(DEPLOY, build?.context ?? '.'), ROOT, 'built from the project');
    assert.ok(fs.existsSync(path.join(ROOT, build?.dockerfile ?? 'Dockerfile')));
    assert.equal(gateway.ports, undefined, 'replicas are reached through nginx only');
    assert.notEqual(gateway.healthcheck?.disable, true, "the image's HEALTHCHECK stays on");
    // The replicas listen on the network: compose refuses to start them without API keys.
    assert.throws(() => environmentOf(gateway, {}), /API_KEYS is required/);
    assert.equal(gatewayEnv.HOST, '0.0.0.0');
    assert.equal(gatewayEnv.STORE, 'redis');
    assert.equal(gatewayEnv.REDIS_URL, 'redis://redis:6379');
    assert.ok(compose.services.redis, 'REDIS_URL names the redis service');

    // The mounted file is the one GATEWAY_CONFIG names, and the gateway's own validation
    // accepts it together with every setting of the service.
    const mount = bindMounts(gateway).find((m) => m.target === gatewayEnv.GATEWAY_CONFIG);
    assert.ok(mount, `${gatewayEnv.GATEWAY_CONFIG} is mounted`);
    assert.equal(mount.source, path.join(DEPLOY, 'mcp.json'));
    const config = loadConfig({ ...gatewayEnv, GATEWAY_CONFIG: mount.source });
    assert.equal(config.store, 'redis');
    assert.equal(config.apiKeys.length, 1);
    const demo = config.upstreams.find((u) => u.name === 'demo');
    assert.ok(demo && demo.transport === 'stdio', 'the example runs the demo upstream');
    // Its script path is relative to the image's WORKDIR (/app): dist/demo/server.js.
    assert.deepEqual(demo.args, ['dist/demo/server.js']);
    assert.ok(fs.existsSync(path.join(ROOT, 'src/demo/server.ts')));

    // Docker's stop grace period outlasts the gateway's own shutdown.
    assert.ok(gateway.stop_grace_period, 'stop_grace_period is set');
    const stopGraceMs = parseDuration(gateway.stop_grace_period);
    assert.ok(
      stopGraceMs >= config.shutdownGraceMs + 5000,
      `stop_grace_period ${gateway.stop_grace_period} > SHUTDOWN_GRACE_MS ${config.shutdownGraceMs} + 5 s`,
    );
  });

  test('compose.yaml: Redis 7 keeps job state (appendonly yes, noeviction) on a volume', () => {
    const redis = compose.services.redis!;
    assert.match(redis.image ?? '', /^redis:7(\.|-|$)/);
    const words = commandWords(redis).join(' ');
    assert.match(words, /^redis-server\b/);
    assert.match(words, /--appendonly yes\b/);
    assert.match(words, /--maxmemory-policy noeviction\b/);
    assert.ok(
      bindMounts(redis).some((m) => m.target === '/data'),
      'its data is on a volume',
    );
    assert.ok(redis.healthcheck?.test, 'redis has a healthcheck');
    const depends = gateway.depends_on as Record<string, { condition?: string }>;
    assert.equal(depends.redis?.condition, 'service_healthy');
  });

  test('compose.yaml: nginx in front, with the config mounted and a healthcheck', () => {
    const nginx = compose.services.nginx!;
    assert.match(nginx.image ?? '', /^nginx:/);
    assert.ok((nginx.ports ?? []).length > 0, 'nginx is published');
    assert.ok(
      bindMounts(nginx).some(
        (m) => m.source === path.join(DEPLOY, 'nginx.conf') && m.target === '/etc/nginx/nginx.conf',
      ),
    );
    assert.ok(nginx.healthcheck?.test, 'nginx has a healthcheck');
  });

  test('nginx.conf: round robin over the replicas, event streams unbuffered with a long read timeout', () => {
    const [http] = nginxTree.filter((d) => d.name === 'http');
    assert.ok(http?.children);
    const servers = http.children.filter((d) => d.name === 'server');
    assert.equal(servers.length, 1);
    const server = servers[0]!;

    // The upstream: the compose service on the image's port, round robin (no affinity).
    const upstreams = http.children.filter((d) => d.name === 'upstream');
    assert.equal(upstreams.length, 1);
    const upstream = upstreams[0]!;
    const members = upstream.children!.filter((d) => d.name === 'server');
    assert.deepEqual(
      members.map((m) => m.args[0]),
      ['gateway:8080'],
    );
    for (const affinity of ['ip_hash', 'hash', 'sticky', 'least_conn', 'random']) {
      assert.equal(findDirectives(upstream.children!, affinity).length, 0, `no ${affinity}`);
    }

    const maxStreamAgeMs = loadConfig({
      ...gatewayEnv,
      GATEWAY_CONFIG: path.join(DEPLOY, 'mcp.json'),
    }).sse.maxStreamAgeMs;
    const gzipTypes = findDirectives([http], 'gzip_types').flatMap((d) => d.directive.args);
    assert.ok(!gzipTypes.includes('text/event-stream'), 'event streams are never gzipped');
    for (const uri of ['/v1/jobs/abc123/events', '/v1/events']) {
      const at = nginxAt(server, uri);
      const one = (name: string) => at(name)[0]?.args.join(' ');
      assert.equal(one('proxy_pass'), `http://${upstream.args[0]}`, `${uri} goes to the replicas`);
      assert.equal(one('proxy_buffering'), 'off', `${uri}: proxy_buffering off`);
      assert.equal(one('proxy_cache'), 'off', `${uri}: proxy_cache off`);
      assert.equal(one('gzip'), 'off', `${uri}: gzip off`);
      assert.equal(one('proxy_http_version'), '1.1', `${uri}: HTTP/1.1 upstream`);
      const readTimeout = parseNginxTime(one('proxy_read_timeout') ?? '60s');
      assert.ok(readTimeout > 30 * 60_000, `${uri}: proxy_read_timeout over 30 min`);
      assert.ok(readTimeout > maxStreamAgeMs, `${uri}: proxy_read_timeout > SSE_MAX_STREAM_AGE_MS`);
      const headers = new Map(
        at('proxy_set_header').map((d) => [d.args[0]!.toLowerCase(), d.args[1]]),
      );
      assert.equal(headers.get('connection'), '', `${uri}: Connection '' (keep-alive upstream)`);
      assert.equal(headers.get('last-event-id'), '$http_last_event_id');
      assert.ok(headers.get('x-request-id'), `${uri}: X-Request-Id passed`);
    }
    const api = nginxAt(server, '/v1/jobs');
    assert.equal(api('proxy_pass')[0]?.args[0], `http://${upstream.args[0]}`);
  });

  test('nginx accepts nginx.conf and carries an event stream unbuffered (when installed here)', async (t) => {
    const nginx = [
      '/usr/sbin/nginx',
      ...machinePath()
        .split(path.delimiter)
        .map((d) => path.join(d, 'nginx')),
    ].find((file) => fs.existsSync(file));
    if (!nginx) {
      t.skip('nginx is not installed here (apt-get install nginx-light to run this check)');
      return;
    }
    const version = await runProcess([nginx, '-v'], {
      cwd: os.tmpdir(),
      env: { PATH: machinePath() },
      timeoutMs: 10_000,
    });
    const [major = 0, minor = 0, patch = 0] = (
      /nginx\/(\d+)\.(\d+)\.(\d+)/.exec(version.output) ?? []
    )
      .slice(1)
      .map(Number);
    t.diagnostic(`nginx ${major}.${minor}.${patch} at ${nginx}`);

    // One local gateway stands for the replicas (hostnames -> 127.0.0.1), nginx on a free port.
    const gw = await startGateway(t, { upstreams: [demoUpstream()] });
    const gatewayPort = new URL(gw.url).port;
    const port = await freePort();
    const dir = tempDir(t, 'mpg-nginx-');
    let conf = read(path.join(DEPLOY, 'nginx.conf'))
      .replace(/(\bserver\s+)gateway:8080\b/g, `$1127.0.0.1:${gatewayPort}`)
      .replace(/\blisten\s+80;/, `listen 127.0.0.1:${port};`)
      // The test's stdout is a socket, which nginx cannot open as /dev/stdout.
      .replace(/\baccess_log\s+\/dev\/stdout\b/, `access_log ${path.join(dir, 'access.log')}`);
    if (major * 1_000_000 + minor * 1000 + patch < 1_027_003) {
      conf = conf.replace(/(\bserver\s+\S+)\s+resolve;/g, '$1;');
      t.diagnostic(
        'this nginx predates `server ... resolve` (1.27.3): parameter dropped for the check',
      );
    }
    const file = path.join(dir, 'nginx.conf');
    fs.writeFileSync(file, conf);
    const nginxArgs = ['-e', 'stderr', '-p', `${dir}/`, '-c', file];
    const checked = await runProcess([nginx, '-t', ...nginxArgs], {
      cwd: dir,
      env: { PATH: machinePath() },
      timeoutMs: 30_000,
    });
    assert.equal(checked.code, 0, `nginx -t:\n${checked.output}`);

    const proxy = startProcess(
      t,
      [nginx, ...nginxArgs, '-g', `daemon off; pid ${path.join(dir, 'nginx.pid')};`],
      { cwd: dir, env: { PATH: machinePath() } },
    );
    const base = `http://127.0.0.1:${port}`;
    await waitUntil(
      async () => proxy.child.exitCode !== null || (await statusOf(`${base}/nginx-health`)) === 200,
      'nginx to answer',
    );
    assert.equal(proxy.child.exitCode, null, proxy.lines.join('\n'));

    // A client's X-Request-Id goes through; without one, nginx makes one the gateway keeps.
    const given = await fetch(`${base}/readyz`, { headers: { 'x-request-id': 'from-client-1' } });
    assert.equal(given.headers.get('x-request-id'), 'from-client-1');
    const made = await fetch(`${base}/readyz`);
    assert.match(made.headers.get('x-request-id') ?? '', /^[0-9a-f]{32}$/);

    // Progress arrives through nginx while the job still runs: nothing is buffered.
    const job = await gw.startJob({
      server: 'demo',
      tool: 'countdown',
      arguments: { seconds: 3, intervalMs: 300 },
    });
    const stream = await openSse(`${base}/v1/jobs/${job.id}/events`);
    t.after(() => stream.close());
    assert.equal(stream.status, 200);
    assert.equal(stream.headers['content-encoding'], undefined);
    const first = await stream.waitFor((e) => e.some((x) => x.event === 'progress'), 'progress');
    const firstProgress = first.find((e) => e.event === 'progress')!;
    const status = (await (await fetch(`${gw.url}/v1/jobs/${job.id}`)).json()) as {
      status: string;
    };
    assert.equal(status.status, 'running', 'the first progress came through before the job ended');
    await stream.ended;
    assert.equal(parsed(stream.events).at(-1)?.data.status, 'succeeded');

    // Last-Event-ID goes through: a reconnect resumes after it.
    const resumed = await openSse(`${base}/v1/jobs/${job.id}/events`, {
      'last-event-id': firstProgress.id!,
    });
    t.after(() => resumed.close());
    await resumed.ended;
    const ids = resumed.events.filter((e) => e.id !== undefined).map((e) => e.id);
    const all = stream.events.filter((e) => e.id !== undefined).map((e) => e.id);
    assert.deepEqual(ids, all.slice(all.indexOf(firstProgress.id) + 1));

    // nginx's access log carries the same request ids as the gateway's answers.
    await waitUntil(
      () => read(path.join(dir, 'access.log')).includes('request_id=from-client-1'),
      'the access log line',
    );
  });
});
