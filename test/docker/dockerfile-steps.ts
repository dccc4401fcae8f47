/**
 * A small interpreter for the part of Dockerfile syntax that the project's Dockerfile uses, so a
 * test can run the image's own build and start steps where no Docker engine runs.
 *
 * Each stage gets a temporary folder that stands for its filesystem root: `WORKDIR /app` is
 * `<stage root>/app`, `COPY --from=build /app/dist` reads `<build root>/app/dist`. RUN lines run
 * with `sh -c` in the stage's WORKDIR with the stage's ENV, on this machine's tools (its Node.js
 * stands for the base image's). What cannot be done here is skipped with a note, never faked:
 * `apt-get` lines (this machine is not the image's OS) and `npm cache clean` (it would wipe the
 * machine's own npm cache). Anything outside the supported subset is an error, so a Dockerfile
 * change the interpreter does not understand fails the test instead of passing unchecked.
 *
 * Also here: the .dockerignore matcher (Docker's rules) and a tiny nginx.conf reader for the
 * checks of deploy/.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// ---------------------------------------------------------------------------------------------
// Parsing

export interface Instruction {
  /** Upper case: FROM, RUN, COPY, ... */
  keyword: string;
  /** `--name=value` flags in front of the arguments, in order (RUN may have several --mount). */
  flags: Array<{ name: string; value: string }>;
  /** The rest of the instruction, continuation lines joined. */
  args: string;
  /** 1-based line where the instruction starts. */
  line: number;
}

export interface Stage {
  index: number;
  /** The `AS name`, if any. */
  name: string | undefined;
  /** The image it starts from. */
  base: string;
  instructions: Instruction[];
}

export interface Dockerfile {
  stages: Stage[];
}

/** Instructions this interpreter knows; anything else is an error naming its line. */
const SUPPORTED = new Set([
  'FROM',
  'WORKDIR',
  'COPY',
  'RUN',
  'ENV',
  'USER',
  'EXPOSE',
  'HEALTHCHECK',
  'ENTRYPOINT',
  'CMD',
  'LABEL',
  'STOPSIGNAL',
]);

/** Instructions whose flags (`--x=y` before the arguments) are read. */
const WITH_FLAGS = new Set(['FROM', 'COPY', 'RUN', 'HEALTHCHECK']);

export class DockerfileError extends Error {}

/** Joins continuation lines, drops comments and splits a Dockerfile into stages. */
export function parseDockerfile(text: string): Dockerfile {
  const instructions: Instruction[] = [];
  const lines = text.split(/\r\n|\n|\r/);
  let buffer: string | undefined;
  let start = 0;
  const emit = (joined: string, line: number) => {
    const match = /^\s*(\S+)\s*([\s\S]*)$/.exec(joined);
    if (!match) return;
    const keyword = match[1]!.toUpperCase();
    if (!SUPPORTED.has(keyword)) {
      throw new DockerfileError(`line ${line}: ${keyword} is not supported by this interpreter`);
    }
    let rest = match[2]!.trim();
    const flags: Instruction['flags'] = [];
    if (WITH_FLAGS.has(keyword)) {
      for (;;) {
        const flag = /^--([A-Za-z][A-Za-z0-9-]*)(?:=(\S*))?\s*/.exec(rest);
        if (!flag) break;
        flags.push({ name: flag[1]!, value: flag[2] ?? '' });
        rest = rest.slice(flag[0].length);
      }
    }
    if ((keyword === 'RUN' || keyword === 'COPY') && /<<-?\s*["']?[A-Za-z_]/.test(rest)) {
      throw new DockerfileError(`line ${line}: heredocs are not supported by this interpreter`);
    }
    instructions.push({ keyword, flags, args: rest, line });
  };
  lines.forEach((raw, i) => {
    const trimmed = raw.trim();
    // Comments (parser directives included) and blank lines, also inside continuations.
    if (trimmed === '' || trimmed.startsWith('#')) return;
    if (buffer === undefined) start = i + 1;
    const continues = /\\\s*$/.test(raw);
    const part = continues ? raw.replace(/\\\s*$/, '') : raw;
    buffer = (buffer ?? '') + part;
    if (!continues) {
      emit(buffer, start);
      buffer = undefined;
    }
  });
  if (buffer !== undefined) emit(buffer, start);

  const stages: Stage[] = [];
  for (const instruction of instructions) {
    if (instruction.keyword === 'FROM') {
      const words = splitWords(instruction.args, {});
      const as = words.findIndex((w) => w.toUpperCase() === 'AS');
      if (words.length === 0 || (as !== -1 && (as !== 1 || words.length !== 3))) {
        throw new DockerfileError(`line ${instruction.line}: FROM image [AS name]`);
      }
      stages.push({
        index: stages.length,
        name: as === -1 ? undefined : words[2]!,
        base: words[0]!,
        instructions: [],
      });
      continue;
    }
    const stage = stages.at(-1);
    if (!stage) {
      throw new DockerfileError(`line ${instruction.line}: ${instruction.keyword} before FROM`);
    }
    stage.instructions.push(instruction);
  }
  if (stages.length === 0) throw new DockerfileError('no FROM');
  return { stages };
}

/**
 * Splits shell-like words the way Docker does for ENV, WORKDIR, COPY, USER, ...: whitespace
 * separates, '...' is literal, "..." and bare words expand `$VAR`, `${VAR}`, `${VAR:-default}`
 * and `${VAR:+alternative}` from `env`, and a backslash escapes the next character.
 */
export function splitWords(text: string, env: Record<string, string>): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let i = 0;
  const expand = (): string => {
    // At a '$': returns the expansion and moves i past the reference.
    const braced = /^\$\{([A-Za-z_][A-Za-z0-9_]*)(?::([-+])([^}]*))?\}/.exec(text.slice(i));
    if (braced) {
      i += braced[0].length;
      const value = env[braced[1]!];
      if (braced[2] === '-') return value ? value : braced[3]!;
      if (braced[2] === '+') return value ? braced[3]! : '';
      return value ?? '';
    }
    const bare = /^\$([A-Za-z_][A-Za-z0-9_]*)/.exec(text.slice(i));
    if (bare) {
      i += bare[0].length;
      return env[bare[1]!] ?? '';
    }
    i += 1;
    return '$';
  };
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      i += 1;
      continue;
    }
    inWord = true;
    if (c === '\\' && i + 1 < text.length) {
      word += text[i + 1];
      i += 2;
    } else if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end === -1) throw new DockerfileError(`unterminated ' in: ${text}`);
      word += text.slice(i + 1, end);
      i = end + 1;
    } else if (c === '"') {
      i += 1;
      for (;;) {
        if (i >= text.length) throw new DockerfileError(`unterminated " in: ${text}`);
        const d = text[i]!;
        if (d === '"') {
          i += 1;
          break;
        }
        if (d === '\\' && i + 1 < text.length && '"\\$'.includes(text[i + 1]!)) {
          word += text[i + 1];
          i += 2;
        } else if (d === '$') {
          word += expand();
        } else {
          word += d;
          i += 1;
        }
      }
    } else if (c === '$') {
      word += expand();
    } else {
      word += c;
      i += 1;
    }
  }
  if (inWord) words.push(word);
  return words;
}

/** `ENV a=1 b="two words"` or the old `ENV key value with spaces`: the pairs it sets. */
export function parseEnv(args: string, env: Record<string, string>): Array<[string, string]> {
  const words = splitWords(args, env);
  if (words.length === 0) throw new DockerfileError('ENV needs at least one variable');
  if (!words[0]!.includes('=')) {
    const key = words[0]!;
    if (words.length < 2) throw new DockerfileError(`ENV ${key} needs a value`);
    return [[key, words.slice(1).join(' ')]];
  }
  return words.map((w) => {
    const eq = w.indexOf('=');
    if (eq < 1) throw new DockerfileError(`ENV: expected name=value, got ${w}`);
    return [w.slice(0, eq), w.slice(eq + 1)];
  });
}

export interface Command {
  form: 'exec' | 'shell';
  /** What runs: the JSON array, or `/bin/sh -c <text>` for the shell form. */
  argv: string[];
}

/** CMD, ENTRYPOINT, RUN and HEALTHCHECK CMD: the exec form (a JSON array) or the shell form. */
export function parseCommand(args: string): Command {
  const text = args.trim();
  if (text.startsWith('[')) {
    try {
      const parsed: unknown = JSON.parse(text);
      if (Array.isArray(parsed) && parsed.every((p) => typeof p === 'string') && parsed.length) {
        return { form: 'exec', argv: parsed as string[] };
      }
    } catch {
      // Not JSON: Docker runs it as a shell command, and so do we.
    }
  }
  return { form: 'shell', argv: ['/bin/sh', '-c', text] };
}

export interface Healthcheck {
  command: Command;
  intervalMs: number;
  timeoutMs: number;
  startPeriodMs: number;
  retries: number;
}

/** A Go duration as Docker writes them: `10s`, `1m30s`, `500ms`, `1h`. */
export function parseDuration(text: string): number {
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  let rest = text;
  while (rest !== '') {
    const part = /^(\d+(?:\.\d+)?)(ms|s|m|h)/.exec(rest);
    if (!part) throw new DockerfileError(`not a duration: ${text}`);
    total += Number(part[1]) * units[part[2]!]!;
    rest = rest.slice(part[0].length);
  }
  if (text === '') throw new DockerfileError('empty duration');
  return total;
}

/** `HEALTHCHECK [options] CMD ...` (undefined for `HEALTHCHECK NONE`), Docker's defaults. */
export function parseHealthcheck(instruction: Instruction): Healthcheck | undefined {
  const args = instruction.args.trim();
  if (/^NONE$/i.test(args)) return undefined;
  const cmd = /^CMD\s+([\s\S]+)$/i.exec(args);
  if (!cmd) throw new DockerfileError(`line ${instruction.line}: HEALTHCHECK [options] CMD ...`);
  const check: Healthcheck = {
    command: parseCommand(cmd[1]!),
    intervalMs: 30_000,
    timeoutMs: 30_000,
    startPeriodMs: 0,
    retries: 3,
  };
  for (const { name, value } of instruction.flags) {
    if (name === 'interval') check.intervalMs = parseDuration(value);
    else if (name === 'timeout') check.timeoutMs = parseDuration(value);
    else if (name === 'start-period') check.startPeriodMs = parseDuration(value);
    else if (name === 'start-interval') parseDuration(value);
    else if (name === 'retries') check.retries = Number(value);
    else throw new DockerfileError(`line ${instruction.line}: HEALTHCHECK --${name}`);
  }
  return check;
}

// ---------------------------------------------------------------------------------------------
// .dockerignore

/** Docker's .dockerignore rules: the last matching pattern wins, `!` re-includes. */
export class DockerIgnore {
  readonly #rules: Array<{ exclude: boolean; regex: RegExp; pattern: string }>;

  constructor(text: string) {
    this.#rules = [];
    for (const rawLine of text.split(/\r?\n/)) {
      let line = rawLine.trim();
      if (line === '' || line.startsWith('#')) continue;
      let exclude = true;
      if (line.startsWith('!')) {
        exclude = false;
        line = line.slice(1).trim();
      }
      const pattern = path.posix.normalize(line).replace(/^\/+/, '').replace(/\/+$/, '');
      if (pattern === '' || pattern === '.') continue;
      this.#rules.push({ exclude, regex: globToRegex(pattern), pattern });
    }
  }

  /** Whether some `!` rule may bring back files inside an excluded folder. */
  get hasExceptions(): boolean {
    return this.#rules.some((r) => !r.exclude);
  }

  get patterns(): string[] {
    return this.#rules.map((r) => (r.exclude ? r.pattern : `!${r.pattern}`));
  }

  /** Whether the context path (relative, `/`-separated) is left out of the build context. */
  ignores(relative: string): boolean {
    const clean = path.posix.normalize(relative).replace(/^\/+/, '');
    const parents: string[] = [];
    const parts = clean.split('/');
    for (let i = 1; i <= parts.length; i++) parents.push(parts.slice(0, i).join('/'));
    let ignored = false;
    for (const rule of this.#rules) {
      // A pattern that matches a folder matches everything in it.
      if (parents.some((p) => rule.regex.test(p))) ignored = rule.exclude;
    }
    return ignored;
  }
}

/** Go filepath.Match plus `**` (any number of folders), as moby/patternmatcher has it. */
function globToRegex(pattern: string): RegExp {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') {
      if (pattern[i + 1] === '*') {
        i += 1;
        if (pattern[i + 1] === '/') {
          i += 1;
          out += '(?:.*/)?';
        } else {
          out += '.*';
        }
      } else {
        out += '[^/]*';
      }
    } else if (c === '?') {
      out += '[^/]';
    } else if (c === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end === -1) throw new DockerfileError(`.dockerignore: bad pattern ${pattern}`);
      let set = pattern.slice(i + 1, end);
      if (set.startsWith('^')) set = `!${set.slice(1)}`;
      out += `[${set.startsWith('!') ? `^${set.slice(1)}` : set}]`;
      i = end;
    } else if (c === '\\' && i + 1 < pattern.length) {
      i += 1;
      out += escapeRegex(pattern[i]!);
    } else {
      out += escapeRegex(c);
    }
  }
  return new RegExp(`^${out}$`);
}

function escapeRegex(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

// ---------------------------------------------------------------------------------------------
// Building

/** What one stage left behind: its files (under `root`) and its image settings. */
export interface BuiltStage {
  index: number;
  name: string | undefined;
  base: string;
  /** The temporary folder standing for the stage's `/`. */
  root: string;
  /** The container path of the current WORKDIR. */
  workdir: string;
  env: Record<string, string>;
  user: string | undefined;
  expose: string[];
  entrypoint: Command | undefined;
  cmd: Command | undefined;
  healthcheck: Healthcheck | undefined;
  stopSignal: string;
}

export interface BuildOptions {
  /** The build context: the folder `docker build` would be given. */
  context: string;
  /** An empty temporary folder that receives one folder per stage. */
  workRoot: string;
  /** Receives one line per step, and notes on what was skipped and why. */
  log: (line: string) => void;
  /** How long one RUN may take. */
  runTimeoutMs?: number;
}

/** The folder on this machine that stands for `containerPath` in `stage`. */
export function hostPath(stage: Pick<BuiltStage, 'root' | 'workdir'>, containerPath: string) {
  const absolute = path.posix.resolve(stage.workdir, containerPath);
  return path.join(stage.root, ...absolute.split('/').filter(Boolean));
}

/**
 * The environment RUN lines see: this machine's tools and npm setup (its npm cache, offline
 * first), then the stage's ENV. Nothing else of the caller's environment leaks in.
 */
function buildEnv(stageEnv: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {
    PATH: machinePath(),
    HOME: os.homedir(),
    npm_config_cache: process.env.npm_config_cache || path.join(os.homedir(), '.npm'),
    npm_config_prefer_offline: 'true',
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
  };
  for (const key of PASS_THROUGH) {
    const value = process.env[key];
    if (value !== undefined) env[key] = value;
  }
  return { ...env, ...stageEnv };
}

/**
 * This machine's PATH with its Node.js first and without any node_modules/.bin (which `npm test`
 * puts there): a tool the stage did not install must not be found in the project's folder.
 */
export function machinePath(): string {
  const dirs = (process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin')
    .split(path.delimiter)
    .filter((dir) => dir !== '' && !dir.split(path.sep).includes('node_modules'));
  return [path.dirname(process.execPath), ...dirs].join(path.delimiter);
}

/** Settings of this machine that a RUN step needs to reach the registry the way npm does here. */
const PASS_THROUGH = [
  'TMPDIR',
  'LANG',
  'http_proxy',
  'https_proxy',
  'no_proxy',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'NO_PROXY',
  'NODE_EXTRA_CA_CERTS',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
];

/** Finds an earlier stage by name or index and waits until it is built. */
type StageLookup = (reference: string) => Promise<BuiltStage> | undefined;

/**
 * Runs every stage of `dockerfile`; returns what each stage left. Like BuildKit, stages run
 * concurrently: a `COPY --from` waits for the stage it reads. The first failure stops the rest.
 */
export async function buildDockerfile(
  dockerfile: Dockerfile,
  options: BuildOptions,
): Promise<BuiltStage[]> {
  const ignore = new DockerIgnore(readIfExists(path.join(options.context, '.dockerignore')));
  const abort = new AbortController();
  const builds: Array<Promise<BuiltStage>> = [];
  for (const stage of dockerfile.stages) {
    if (dockerfile.stages.some((s) => s.index < stage.index && s.name === stage.base)) {
      throw new DockerfileError(`FROM ${stage.base}: stages built on stages are not supported`);
    }
    const earlier = builds.slice();
    const lookup: StageLookup = (reference) => {
      const found = dockerfile.stages.find(
        (s) => s.index < stage.index && (s.name === reference || String(s.index) === reference),
      );
      return found && earlier[found.index];
    };
    const build = buildStage(stage, lookup, ignore, { ...options, signal: abort.signal });
    build.catch(() => abort.abort());
    builds.push(build);
  }
  return Promise.all(builds);
}

async function buildStage(
  stage: Stage,
  lookup: StageLookup,
  ignore: DockerIgnore,
  options: BuildOptions & { signal: AbortSignal },
): Promise<BuiltStage> {
  const label = stage.name ?? `#${stage.index}`;
  const root = path.join(
    options.workRoot,
    `stage-${stage.index}${stage.name ? '-' + stage.name : ''}`,
  );
  fs.mkdirSync(root, { recursive: true });
  const state: BuiltStage = {
    index: stage.index,
    name: stage.name,
    base: stage.base,
    root,
    workdir: '/',
    env: {},
    user: undefined,
    expose: [],
    entrypoint: undefined,
    cmd: undefined,
    healthcheck: undefined,
    stopSignal: 'SIGTERM',
  };
  options.log(`stage ${label}: FROM ${stage.base} (this machine's Node.js ${process.version})`);
  for (const instruction of stage.instructions) {
    if (options.signal.aborted) throw new DockerfileError(`stage ${label}: another stage failed`);
    const started = performance.now();
    const note = await step(instruction, state, lookup, ignore, options);
    const ms = performance.now() - started;
    const flags = instruction.flags.map((f) => `--${f.name}${f.value ? '=' + f.value : ''} `);
    const text = `${instruction.keyword} ${flags.join('')}${instruction.args}`.replace(/\s+/g, ' ');
    options.log(
      `stage ${label} line ${instruction.line}: ${text.length > 100 ? text.slice(0, 97) + '...' : text}` +
        (ms >= 100 ? ` (${(ms / 1000).toFixed(1)} s)` : '') +
        (note ? ` -- ${note}` : ''),
    );
  }
  return state;
}

/** Executes one instruction; returns a note when something was skipped or stood in for. */
async function step(
  instruction: Instruction,
  stage: BuiltStage,
  lookup: StageLookup,
  ignore: DockerIgnore,
  options: BuildOptions & { signal: AbortSignal },
): Promise<string | undefined> {
  const { keyword, args, line } = instruction;
  const fail = (message: string) => new DockerfileError(`line ${line}: ${keyword}: ${message}`);
  switch (keyword) {
    case 'WORKDIR': {
      const [dir, ...extra] = splitWords(args, stage.env);
      if (!dir || extra.length) throw fail('one path');
      stage.workdir = path.posix.resolve(stage.workdir, dir);
      fs.mkdirSync(hostPath(stage, '.'), { recursive: true });
      return undefined;
    }
    case 'ENV':
      for (const [key, value] of parseEnv(args, stage.env)) stage.env[key] = value;
      return undefined;
    case 'USER': {
      const [user, ...extra] = splitWords(args, stage.env);
      if (!user || extra.length) throw fail('one user');
      stage.user = user;
      return undefined;
    }
    case 'EXPOSE':
      stage.expose.push(...splitWords(args, stage.env));
      return undefined;
    case 'LABEL':
      return undefined;
    case 'STOPSIGNAL': {
      const [signal] = splitWords(args, stage.env);
      if (!signal) throw fail('a signal');
      stage.stopSignal = /^\d+$/.test(signal) || signal.startsWith('SIG') ? signal : `SIG${signal}`;
      return undefined;
    }
    case 'CMD':
      stage.cmd = parseCommand(args);
      return undefined;
    case 'ENTRYPOINT':
      stage.entrypoint = parseCommand(args);
      return undefined;
    case 'HEALTHCHECK':
      stage.healthcheck = parseHealthcheck(instruction);
      return undefined;
    case 'COPY':
      return copy(instruction, stage, lookup, ignore, options, fail);
    case 'RUN':
      return run(instruction, stage, options, fail);
    default:
      throw fail('not supported');
  }
}

async function copy(
  instruction: Instruction,
  stage: BuiltStage,
  lookup: StageLookup,
  ignore: DockerIgnore,
  options: BuildOptions,
  fail: (message: string) => Error,
): Promise<string | undefined> {
  let from: BuiltStage | undefined;
  const notes: string[] = [];
  for (const { name, value } of instruction.flags) {
    if (name === 'from') {
      const pending = lookup(value);
      if (!pending)
        throw fail(`--from=${value}: no earlier stage of that name (images unsupported)`);
      const waited = performance.now();
      from = await pending;
      const ms = performance.now() - waited;
      if (ms >= 100) notes.push(`waited ${(ms / 1000).toFixed(1)} s for stage ${value}`);
    } else if (name === 'chown' || name === 'chmod' || name === 'link') {
      notes.push(`--${name} not applied here`);
    } else {
      throw fail(`--${name} is not supported`);
    }
  }
  const text = instruction.args.trim();
  const words = text.startsWith('[') ? (JSON.parse(text) as string[]) : splitWords(text, stage.env);
  if (words.length < 2) throw fail('needs a source and a destination');
  const dest = words.at(-1)!;
  const sources = words.slice(0, -1);
  if (sources.some((s) => /[*?[]/.test(s))) throw fail('wildcards are not supported');
  const destIsDir = dest.endsWith('/') || sources.length > 1;
  const destPath = hostPath(stage, dest);
  let copied = 0;
  for (const source of sources) {
    let sourcePath: string;
    let relative: string;
    if (from) {
      // Paths of --from are relative to the source stage's root, not its WORKDIR.
      sourcePath = hostPath({ root: from.root, workdir: '/' }, source);
      relative = '';
    } else {
      relative = path.posix.normalize(source).replace(/^\/+/, '');
      if (relative === '..' || relative.startsWith('../'))
        throw fail(`${source} leaves the context`);
      sourcePath = path.join(options.context, relative === '.' ? '' : relative);
      if (relative !== '.' && ignore.ignores(relative)) {
        throw fail(`${source} is excluded by .dockerignore`);
      }
    }
    const stat = fs.statSync(sourcePath, { throwIfNoEntry: false });
    if (!stat) throw fail(`${source} not found`);
    if (stat.isDirectory()) {
      copied += copyTree(sourcePath, destPath, from ? undefined : { ignore, relative });
    } else {
      const target =
        destIsDir || isDir(destPath) ? path.join(destPath, path.basename(source)) : destPath;
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.copyFileSync(sourcePath, target);
      fs.chmodSync(target, stat.mode & 0o7777);
      copied += 1;
    }
  }
  notes.unshift(`${copied} file${copied === 1 ? '' : 's'}`);
  return notes.join('; ');
}

/** Copies a folder's contents into `dest`, leaving out what .dockerignore excludes. */
function copyTree(
  source: string,
  dest: string,
  context: { ignore: DockerIgnore; relative: string } | undefined,
): number {
  let count = 0;
  fs.mkdirSync(dest, { recursive: true });
  for (const entry of fs.readdirSync(source, { withFileTypes: true })) {
    const rel = context
      ? path.posix.join(context.relative === '.' ? '' : context.relative, entry.name)
      : '';
    const ignored = context !== undefined && context.ignore.ignores(rel);
    const from = path.join(source, entry.name);
    const to = path.join(dest, entry.name);
    if (entry.isDirectory()) {
      // An excluded folder is still walked when a `!` rule may bring back something inside it.
      if (ignored && !context.ignore.hasExceptions) continue;
      const inner = copyTree(from, to, context && { ignore: context.ignore, relative: rel });
      if (ignored && inner === 0) fs.rmSync(to, { recursive: true, force: true });
      count += inner;
      continue;
    }
    if (ignored) continue;
    if (entry.isSymbolicLink()) {
      fs.rmSync(to, { force: true });
      fs.symlinkSync(fs.readlinkSync(from), to);
      count += 1;
    } else if (entry.isFile()) {
      fs.copyFileSync(from, to);
      fs.chmodSync(to, fs.statSync(from).mode & 0o7777);
      count += 1;
    }
  }
  return count;
}

async function run(
  instruction: Instruction,
  stage: BuiltStage,
  options: BuildOptions & { signal: AbortSignal },
  fail: (message: string) => Error,
): Promise<string | undefined> {
  const notes: string[] = [];
  for (const { name, value } of instruction.flags) {
    if (name === 'mount') {
      const settings = Object.fromEntries(
        value.split(',').map((kv) => {
          const eq = kv.indexOf('=');
          return eq === -1 ? [kv, 'true'] : [kv.slice(0, eq), kv.slice(eq + 1)];
        }),
      );
      if (settings.type !== 'cache') throw fail(`--mount=type=${settings.type} is not supported`);
      notes.push(`cache mount ${settings.target ?? settings.dst ?? ''}: this machine's npm cache`);
    } else if (name !== 'network') {
      throw fail(`--${name} is not supported`);
    }
  }
  const command = parseCommand(instruction.args);
  const text = command.form === 'shell' ? command.argv[2]! : command.argv.join(' ');
  if (/(^|[\s;&|(])apt-get\s/.test(text)) {
    return 'skipped: apt-get installs OS packages of the image, and this machine is not that OS';
  }
  // Absolute paths would reach this machine's own folders, not the stage's.
  const absolute = [stage.workdir, '/root', '/usr', '/var', '/etc', '/home'].filter(
    (d) => d !== '/',
  );
  for (const dir of absolute) {
    if (new RegExp(`(^|[\\s=:'"])${escapeRegexText(dir)}(/|[\\s'"]|$)`).test(text)) {
      throw fail(`absolute path ${dir} in a RUN line is not supported by this interpreter`);
    }
  }
  let script = text;
  if (/\bnpm\s+cache\s+clean\b/.test(script)) {
    script = script.replace(/\bnpm\s+cache\s+clean(\s+--force)?/g, 'true');
    notes.push("npm cache clean skipped: it would wipe this machine's npm cache");
  }
  const argv = command.form === 'shell' ? ['sh', '-c', script] : command.argv;
  const cwd = hostPath(stage, '.');
  fs.mkdirSync(cwd, { recursive: true });
  const result = await runProcess(argv, {
    cwd,
    env: buildEnv(stage.env),
    timeoutMs: options.runTimeoutMs ?? 10 * 60_000,
    signal: options.signal,
  });
  if (result.code !== 0) {
    throw fail(
      `exited with ${result.code ?? result.signal}${result.timedOut ? ' (timed out)' : ''}\n${result.output.slice(-4000)}`,
    );
  }
  return notes.length ? notes.join('; ') : undefined;
}

function escapeRegexText(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

export interface ProcessResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  /** stdout and stderr interleaved. */
  output: string;
}

/** Runs a command to its end (killing its process group after `timeoutMs`). */
export function runProcess(
  argv: readonly string[],
  options: { cwd: string; env: Record<string, string>; timeoutMs: number; signal?: AbortSignal },
): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), {
      cwd: options.cwd,
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let output = '';
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.length > 200_000) output = output.slice(-100_000);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child, 'SIGKILL');
    }, options.timeoutMs);
    const onAbort = () => killGroup(child, 'SIGKILL');
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const settle = () => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
    };
    child.on('error', (error) => {
      settle();
      reject(error);
    });
    child.on('close', (code, signal) => {
      settle();
      resolve({ code, signal, timedOut, output });
    });
  });
}

/** Signals a child started with `detached: true` and everything it started. */
export function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

function readIfExists(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

function isDir(file: string): boolean {
  return fs.statSync(file, { throwIfNoEntry: false })?.isDirectory() ?? false;
}

// ---------------------------------------------------------------------------------------------
// Starting the image

/** Inits that only forward signals and reap: the CMD alone does the same job where they are absent. */
const INITS = new Set(['tini', 'dumb-init', 'docker-init']);

/**
 * What `docker run` would start, here: ENTRYPOINT + CMD when the entry point's program exists on
 * this machine, otherwise (for an init such as tini only) the CMD alone, with a note.
 */
export function containerArgv(stage: BuiltStage): { argv: string[]; note: string | undefined } {
  const cmd = stage.cmd?.argv ?? [];
  const entry = stage.entrypoint?.argv;
  if (!entry) {
    if (cmd.length === 0)
      throw new DockerfileError('the final stage has neither ENTRYPOINT nor CMD');
    return { argv: cmd, note: undefined };
  }
  const program = entry[0]!;
  if (programExists(program)) return { argv: [...entry, ...cmd], note: undefined };
  if (INITS.has(path.basename(program)) && cmd.length > 0) {
    return {
      argv: cmd,
      note: `ENTRYPOINT ${entry.join(' ')}: ${program} is not on this machine, so the CMD alone is started (the gateway then is the process that gets the signals, as it would be under tini)`,
    };
  }
  throw new DockerfileError(`ENTRYPOINT ${program} is not on this machine`);
}

function programExists(program: string): boolean {
  if (program.includes('/')) return fs.existsSync(program);
  return machinePath()
    .split(path.delimiter)
    .some((dir) => fs.existsSync(path.join(dir, program)));
}

/**
 * The environment of the container's processes: this machine's PATH (its Node.js first), a
 * HOME of its own, the image's ENV and the given overrides. Nothing of the caller's leaks in.
 */
export function containerEnv(
  stage: BuiltStage,
  home: string,
  overrides: Record<string, string> = {},
): Record<string, string> {
  return {
    PATH: machinePath(),
    HOME: home,
    ...stage.env,
    ...overrides,
  };
}

// ---------------------------------------------------------------------------------------------
// nginx.conf

export interface NginxDirective {
  name: string;
  args: string[];
  /** Present for block directives (`http { ... }`). */
  children?: NginxDirective[];
  line: number;
}

/** Reads nginx.conf syntax into a tree: directives, arguments (quotes removed) and blocks. */
export function parseNginxConf(text: string): NginxDirective[] {
  const root: NginxDirective[] = [];
  const stack: NginxDirective[][] = [root];
  let words: string[] = [];
  let line = 1;
  let wordLine = 1;
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '\n') {
      line += 1;
      i += 1;
    } else if (/\s/.test(c)) {
      i += 1;
    } else if (c === '#') {
      while (i < text.length && text[i] !== '\n') i += 1;
    } else if (c === ';' || c === '{') {
      if (words.length === 0) throw new Error(`nginx.conf line ${line}: empty directive`);
      const directive: NginxDirective = { name: words[0]!, args: words.slice(1), line: wordLine };
      stack.at(-1)!.push(directive);
      if (c === '{') {
        directive.children = [];
        stack.push(directive.children);
      }
      words = [];
      i += 1;
    } else if (c === '}') {
      if (words.length || stack.length === 1) throw new Error(`nginx.conf line ${line}: stray }`);
      stack.pop();
      i += 1;
    } else {
      if (words.length === 0) wordLine = line;
      if (c === '"' || c === "'") {
        const end = text.indexOf(c, i + 1);
        if (end === -1) throw new Error(`nginx.conf line ${line}: unterminated quote`);
        words.push(text.slice(i + 1, end).replace(/\\(.)/g, '$1'));
        line += text.slice(i, end).split('\n').length - 1;
        i = end + 1;
      } else {
        const match = /^[^\s;{}]+/.exec(text.slice(i))!;
        words.push(match[0]);
        i += match[0].length;
      }
    }
  }
  if (stack.length !== 1 || words.length) throw new Error('nginx.conf: unbalanced braces');
  return root;
}

/** Every directive called `name` in `tree`, at any depth, with the blocks around it. */
export function findDirectives(
  tree: readonly NginxDirective[],
  name: string,
  parents: NginxDirective[] = [],
): Array<{ directive: NginxDirective; parents: NginxDirective[] }> {
  const found: Array<{ directive: NginxDirective; parents: NginxDirective[] }> = [];
  for (const directive of tree) {
    if (directive.name === name) found.push({ directive, parents });
    if (directive.children) {
      found.push(...findDirectives(directive.children, name, [...parents, directive]));
    }
  }
  return found;
}

/** An nginx time (`1h`, `90s`, `3600`, `1h30m`) in milliseconds. */
export function parseNginxTime(text: string): number {
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const units: Record<string, number> = {
    ms: 1,
    s: 1000,
    m: 60_000,
    h: 3_600_000,
    d: 86_400_000,
  };
  let total = 0;
  let rest = text;
  while (rest !== '') {
    const part = /^(\d+)(ms|s|m|h|d)/.exec(rest);
    if (!part) throw new Error(`not an nginx time: ${text}`);
    total += Number(part[1]) * units[part[2]!]!;
    rest = rest.slice(part[0].length);
  }
  return total;
}
