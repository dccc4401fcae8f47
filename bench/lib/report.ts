/** What a scenario reports, and the table the runner prints. */
import { median } from './stats.js';

/** A target a figure is held against (the median of its runs is what is compared). */
export interface Target {
  max?: number;
  min?: number;
}

/** One figure of a scenario: its value in each run and their median. */
export interface Metric {
  key: string;
  label: string;
  unit: string;
  runs: number[];
  median: number;
  target?: Target;
  /** Whether the median meets the target; undefined when there is none. */
  meetsTarget?: boolean;
}

/** A correctness check (these must all pass; targets are reported, not enforced). */
export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

export interface ScenarioResult {
  id: number;
  name: string;
  title: string;
  metrics: Metric[];
  checks: Check[];
  notes: string[];
  /** Per-run raw figures, for the JSON file. */
  details: unknown[];
  durationMs: number;
  /** Machine-wide CPU busy share (percent, all cores) in the second before the scenario ran. */
  backgroundBusyPct?: number;
  error?: string;
  /** Why the scenario did not run (e.g. no Redis); a skipped scenario has no figures or checks. */
  skipped?: string;
}

export function metric(
  key: string,
  label: string,
  unit: string,
  runs: number[],
  target?: Target,
): Metric {
  const value = median(runs);
  const result: Metric = { key, label, unit, runs, median: value };
  if (target) {
    result.target = target;
    result.meetsTarget =
      (target.max === undefined || value <= target.max) &&
      (target.min === undefined || value >= target.min);
  }
  return result;
}

export function check(name: string, ok: boolean, detail = ''): Check {
  return { name, ok, detail };
}

/** Collects a scenario's figures run by run. */
export class Figures {
  readonly #runs = new Map<
    string,
    { label: string; unit: string; values: number[]; target?: Target }
  >();

  add(key: string, label: string, unit: string, value: number, target?: Target): void {
    let entry = this.#runs.get(key);
    if (!entry) {
      entry = { label, unit, values: [], target };
      this.#runs.set(key, entry);
    }
    entry.values.push(value);
  }

  metrics(): Metric[] {
    return [...this.#runs].map(([key, e]) => metric(key, e.label, e.unit, e.values, e.target));
  }
}

function format(value: number, unit: string): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  const digits = abs >= 1000 ? 0 : abs >= 100 ? 1 : abs >= 10 ? 2 : 3;
  const text = value.toLocaleString('en-US', {
    maximumFractionDigits: digits,
    minimumFractionDigits: 0,
  });
  return unit ? `${text} ${unit}` : text;
}

function targetText(target: Target | undefined, unit: string): string {
  if (!target) return '';
  const parts: string[] = [];
  if (target.max !== undefined) parts.push(`≤ ${format(target.max, unit)}`);
  if (target.min !== undefined) parts.push(`≥ ${format(target.min, unit)}`);
  return parts.join(', ');
}

/** A plain-text table of every scenario's figures and checks. */
export function table(results: readonly ScenarioResult[]): string {
  const rows: string[][] = [['scenario', 'figure', 'median', 'runs', 'target', '']];
  for (const r of results) {
    const name = `${r.id} ${r.name}`;
    for (const m of r.metrics) {
      rows.push([
        name,
        m.label,
        format(m.median, m.unit),
        m.runs.map((v) => format(v, '')).join(' / '),
        targetText(m.target, m.unit),
        m.meetsTarget === undefined ? '' : m.meetsTarget ? 'met' : 'MISSED',
      ]);
    }
    if (r.backgroundBusyPct !== undefined) {
      rows.push([
        name,
        'machine busy just before (other work)',
        `${r.backgroundBusyPct} %`,
        '',
        '',
        '',
      ]);
    }
    const failed = r.checks.filter((c) => !c.ok);
    rows.push([
      name,
      `checks (${r.checks.length})`,
      r.error
        ? 'ERROR'
        : failed.length
          ? `${failed.length} FAILED`
          : r.skipped !== undefined
            ? 'SKIPPED'
            : 'all passed',
      '',
      '',
      '',
    ]);
  }
  const widths = rows[0]!.map((_c, i) => Math.max(...rows.map((row) => row[i]!.length)));
  const line = (row: string[]) => row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ');
  const out = [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  ')];
  let last = '';
  for (const row of rows.slice(1)) {
    out.push(line(row[0] === last ? ['', ...row.slice(1)] : row));
    last = row[0]!;
  }
  for (const r of results) {
    for (const c of r.checks.filter((c) => !c.ok))
      out.push(`FAILED ${r.name}: ${c.name}: ${c.detail}`);
    if (r.error) out.push(`ERROR ${r.name}: ${r.error}`);
    if (r.skipped !== undefined) out.push(`SKIPPED ${r.name}: ${r.skipped}`);
  }
  return out.join('\n');
}
