/**
 * One job on the page: status, a progress bar (a percentage when the total is known, an
 * indeterminate bar when not), the latest message, log lines, elapsed time, a cancel button and,
 * at the end, the result or the error.
 */
import type { Job, JobStatus, LogMessage, Progress } from '../client/index.js';
import { formatDuration, h, replaceChildren, uid } from './dom.js';
import { renderError, renderResult } from './result-view.js';

const FINAL: ReadonlySet<JobStatus> = new Set(['succeeded', 'failed', 'cancelled']);
const ORDER: Record<JobStatus, number> = {
  queued: 0,
  running: 1,
  input_required: 1,
  succeeded: 2,
  failed: 2,
  cancelled: 2,
};
/** Log lines kept per job on the page. */
const MAX_LOG_LINES = 200;

export const isFinal = (status: JobStatus): boolean => FINAL.has(status);

export interface JobCardActions {
  cancel(card: JobCard): void;
}

export class JobCard {
  readonly element: HTMLElement;
  job: Job;
  /** Whether the gateway no longer has the job (expired or deleted). */
  gone = false;
  /** Every progress value received from the stream, in order (the page's own record). */
  readonly progressValues: number[] = [];
  readonly #status: HTMLElement;
  readonly #bar: HTMLProgressElement;
  readonly #percent: HTMLElement;
  readonly #message: HTMLElement;
  readonly #elapsed: HTMLElement;
  readonly #cancel: HTMLButtonElement;
  readonly #log: HTMLDetailsElement;
  readonly #logCount: HTMLElement;
  readonly #logList: HTMLOListElement;
  readonly #outcome: HTMLDetailsElement;
  /** Whether the page saw the job run: its outcome is then shown open, else folded. */
  readonly #sawRun: boolean;
  #logLines = 0;
  #rendered: JobStatus | undefined;

  constructor(job: Job, actions: JobCardActions) {
    this.job = job;
    const titleId = uid('job-title');
    this.#status = h('span', { class: 'badge status' });
    this.#bar = h('progress', { max: 100, attrs: { 'aria-labelledby': titleId } });
    this.#percent = h('span', { class: 'percent', attrs: { 'aria-hidden': 'true' } });
    this.#message = h('p', { class: 'message' });
    this.#elapsed = h('span', { class: 'elapsed' });
    this.#cancel = h(
      'button',
      {
        type: 'button',
        class: 'cancel danger',
        attrs: { 'aria-label': `Cancel ${job.tool} job ${shortId(job.id)}` },
        on: { click: () => actions.cancel(this) },
      },
      'Cancel',
    );
    this.#logCount = h('span', {}, 'Log (0)');
    this.#logList = h('ol', { class: 'log-lines' });
    this.#log = h(
      'details',
      { class: 'log', hidden: true },
      h('summary', {}, this.#logCount),
      this.#logList,
    );
    this.#outcome = h('details', { class: 'outcome', hidden: true });
    this.#sawRun = !isFinal(job.status);
    this.element = h(
      'li',
      { class: 'job', attrs: { 'data-job-id': job.id, 'aria-labelledby': titleId } },
      h(
        'div',
        { class: 'job-head' },
        h(
          'h3',
          { id: titleId },
          h('span', { class: 'tool' }, job.tool),
          ' ',
          h('span', { class: 'job-server' }, `on ${job.server}`),
          h('span', { class: 'visually-hidden' }, ` (job ${shortId(job.id)})`),
        ),
        this.#status,
      ),
      h('div', { class: 'bar' }, this.#bar, this.#percent),
      this.#message,
      h(
        'div',
        { class: 'job-foot' },
        h('span', {}, 'Elapsed ', this.#elapsed),
        h('code', { class: 'job-id', title: job.id }, shortId(job.id)),
        this.#cancel,
      ),
      this.#log,
      this.#outcome,
    );
    this.#render();
    if (job.progress) this.#showProgress(job.progress);
  }

  get final(): boolean {
    return isFinal(this.job.status);
  }

  /**
   * A newer view of the job: from a `status`/`done` event, an opening snapshot or a list. A view
   * never takes the job back to an earlier status, and a final job no longer changes.
   */
  update(job: Job, from: 'event' | 'snapshot' | 'list' | 'request'): void {
    if (this.final) return;
    if (ORDER[job.status] < ORDER[this.job.status]) return;
    // A final snapshot announces `done`, which follows with the events before it: wait for it.
    if (from === 'snapshot' && isFinal(job.status)) return;
    this.job = job;
    if (job.progress && (this.progressValues.length === 0 || isFinal(job.status))) {
      this.#showProgress(job.progress);
    }
    this.#render();
  }

  /** A `progress` event. */
  progress(progress: Progress): void {
    this.progressValues.push(progress.progress);
    this.element.dataset.progressValues = this.progressValues.join(',');
    this.#showProgress(progress);
  }

  /** A `log` event. */
  log(message: LogMessage): void {
    this.#log.hidden = false;
    const data = typeof message.data === 'string' ? message.data : JSON.stringify(message.data);
    this.#logList.append(
      h(
        'li',
        { class: `log-${message.level}` },
        h('span', { class: 'log-level' }, message.level),
        ' ',
        message.logger ? h('span', { class: 'log-logger' }, `${message.logger}: `) : null,
        data,
      ),
    );
    this.#logLines++;
    if (this.#logList.childElementCount > MAX_LOG_LINES) this.#logList.firstElementChild?.remove();
    this.#logCount.textContent = `Log (${this.#logLines})`;
  }

  /** The job is no longer on the gateway. */
  markGone(): void {
    this.gone = true;
    this.element.dataset.gone = 'true';
    this.#message.textContent = 'This job is no longer on the gateway (expired or deleted).';
    this.#cancel.hidden = true;
  }

  /** Cancelling: the button waits for the answer. */
  setCancelling(cancelling: boolean): void {
    this.#cancel.disabled = cancelling;
    this.#cancel.textContent = cancelling ? 'Cancelling…' : 'Cancel';
  }

  /** Updates the elapsed time (from start, or creation while queued, to finish or now). */
  tick(now: number): void {
    const { startedAt, createdAt, finishedAt } = this.job;
    const from = Date.parse(startedAt ?? createdAt);
    const to = finishedAt ? Date.parse(finishedAt) : now;
    this.#elapsed.textContent = formatDuration(to - from);
  }

  #showProgress(progress: Progress): void {
    const { total, percent, message } = progress;
    if (total !== null && total !== undefined && percent !== null && percent !== undefined) {
      this.#bar.max = 100;
      this.#bar.value = percent;
      this.#bar.setAttribute(
        'aria-valuetext',
        `${progress.progress} of ${total} (${Math.round(percent)}%)`,
      );
      this.#percent.textContent = `${Math.round(percent)}%`;
    } else {
      this.#bar.removeAttribute('value');
      this.#bar.setAttribute('aria-valuetext', `${progress.progress} so far, total unknown`);
      this.#percent.textContent = `${progress.progress}`;
    }
    if (message) this.#message.textContent = message;
  }

  #render(): void {
    const { status } = this.job;
    this.element.dataset.status = status;
    this.#status.textContent = status;
    this.#status.dataset.status = status;
    this.#cancel.hidden = this.final || this.gone;
    if (!this.job.progress && !this.final && this.progressValues.length === 0) {
      this.#bar.removeAttribute('value');
      this.#percent.textContent = status === 'queued' ? 'queued' : '';
    }
    if (this.final && this.#rendered !== status) {
      // A bar that never learned its total stops moving: full if it succeeded.
      if (!this.#bar.hasAttribute('value')) this.#bar.value = status === 'succeeded' ? 100 : 0;
      const { result, error } = this.job;
      replaceChildren(
        this.#outcome,
        h(
          'summary',
          {},
          status === 'succeeded' ? 'Result' : status === 'cancelled' ? 'Cancelled' : 'Error',
        ),
        error ? renderError(error) : null,
        result ? renderResult(result) : null,
      );
      this.#outcome.hidden = false;
      this.#outcome.open = this.#sawRun;
    }
    this.#rendered = status;
    this.tick(Date.now());
  }
}

/** The last six characters of a job id: enough to tell jobs apart on one page. */
export function shortId(id: string): string {
  return id.slice(-6);
}
