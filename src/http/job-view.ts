import type { JobRecord } from '../domain/job.js';

/** The job as every response and `status`/`done` event shows it (see openapi.yaml, `Job`). */
export type JobView = Omit<JobRecord, 'owner' | 'timeoutMs' | 'idleTimeoutMs'> & {
  links: { self: string; events: string; cancel: string; input: string };
};

/** The client's view of a job: no owner, no deadlines, and the /v1 URLs that act on it. */
export function toJobView(record: JobRecord): JobView {
  const self = `/v1/jobs/${record.id}`;
  return {
    id: record.id,
    server: record.server,
    tool: record.tool,
    status: record.status,
    createdAt: record.createdAt,
    startedAt: record.startedAt,
    finishedAt: record.finishedAt,
    progress: record.progress,
    result: record.result ?? null,
    error: record.error,
    // Records stored before these fields existed lack them.
    statusMessage: record.statusMessage ?? null,
    task: record.task ?? null,
    pendingInput: record.pendingInput ?? [],
    lastInput: record.lastInput ?? null,
    links: { self, events: `${self}/events`, cancel: `${self}/cancel`, input: `${self}/input` },
  };
}
