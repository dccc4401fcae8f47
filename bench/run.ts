/**
 * `npm run bench` / `npm run bench:smoke`:
 *   node --import tsx bench/run.ts [--smoke] [--only=latency,fanout|0,2] [--runs=N]
 *        [--swarm-procs=N] [--no-pin] [--fanout-subs=2000,10000] [--out=FILE]
 *        [--time-limit=SECONDS]
 * Prints a table of medians (with every run's value) and writes the figures as JSON to
 * bench/results/<timestamp>.json. Exits 0 when every check passed (a scenario skipped for want of
 * Redis has none), 1 otherwise, 2 on a time-out.
 * Everything listens on 127.0.0.1; every process started is killed on the way out.
 */
import { killAll } from './lib/processes.js';
import { table } from './lib/report.js';
import { runBench, SCENARIOS, type BenchOptions } from './runner.js';

function parseArgs(argv: readonly string[]): BenchOptions & { timeLimitS: number } {
  const options: BenchOptions & { timeLimitS: number } = { timeLimitS: 0 };
  for (const arg of argv) {
    const [name, value] = arg.includes('=')
      ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
      : [arg, ''];
    const number = () => {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 1) throw new Error(`${name} needs a positive integer`);
      return n;
    };
    switch (name) {
      case '--smoke':
        options.smoke = true;
        break;
      case '--only':
        options.only = value.split(',');
        break;
      case '--runs':
        options.runs = number();
        break;
      case '--swarm-procs':
        options.swarmProcesses = number();
        break;
      case '--fanout-subs':
        options.fanoutSubscribers = value.split(',').map((v) => {
          const n = Number(v);
          if (!Number.isInteger(n) || n < 1)
            throw new Error('--fanout-subs needs positive integers');
          return n;
        });
        break;
      case '--no-pin':
        options.pin = false;
        break;
      case '--out':
        options.out = value;
        break;
      case '--time-limit':
        options.timeLimitS = number();
        break;
      case '--help':
        console.log(
          `usage: node --import tsx bench/run.ts [--smoke] [--only=${SCENARIOS.map((s) => s.name).join(',')}] [--runs=N] [--swarm-procs=N] [--no-pin] [--fanout-subs=N,N] [--out=FILE] [--time-limit=S]`,
        );
        process.exit(0);
        break;
      default:
        throw new Error(`unknown option ${arg} (try --help)`);
    }
  }
  return options;
}

const options = parseArgs(process.argv.slice(2));
const limitS = options.timeLimitS || (options.smoke ? 120 : 1200);
const deadline = setTimeout(() => {
  console.error(`bench: time limit of ${limitS} s reached; stopping every process`);
  killAll();
  process.exit(2);
}, limitS * 1000);
deadline.unref();

try {
  const report = await runBench(options);
  console.log(table(report.scenarios));
  for (const scenario of report.scenarios) {
    for (const note of scenario.notes) console.log(`note ${scenario.name}: ${note}`);
  }
  const skipped = report.scenarios.filter((s) => s.skipped !== undefined).map((s) => s.name);
  console.log(
    `\n${report.ok ? 'all checks passed' : 'SOME CHECKS FAILED'} in ${(report.durationMs / 1000).toFixed(1)} s` +
      (skipped.length ? ` (skipped: ${skipped.join(', ')})` : '') +
      (report.file ? `; figures written to ${report.file}` : ''),
  );
  process.exitCode = report.ok ? 0 : 1;
} catch (error) {
  console.error(`bench: ${(error as Error).stack ?? error}`);
  process.exitCode = 1;
} finally {
  clearTimeout(deadline);
  killAll();
}
