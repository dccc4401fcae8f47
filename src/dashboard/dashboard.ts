/**
 * The dashboard: upstreams and their tools, a form that starts a job, and the caller's jobs,
 * every running one followed live over one multi-job stream (MultiJobWatch from the client
 * library), so twenty jobs take one connection, not twenty.
 */
import {
  GatewayClient,
  MAX_JOBS_PER_STREAM,
  MultiJobWatch,
  isGatewayClientError,
  type Job,
  type MultiWatchEvent,
  type ServerStatus,
  type StreamState,
  type StreamStateInfo,
  type Tool,
} from '../client/index.js';
import { forgetApiKey, loadApiKey, saveApiKey } from './api-key.js';
import { ConnectionView } from './connection-view.js';
import { byId } from './dom.js';
import { JobCard, shortId } from './job-card.js';
import { RunPanel, type StartRequest } from './run-panel.js';
import { ServersView, type ToolsState } from './servers-view.js';

/** Jobs listed from the gateway on each refresh (its newest). */
const LIST_LIMIT = 20;
/** Cards kept on the page; beyond it the oldest finished ones go. */
const MAX_CARDS = 100;
const REFRESH_MS = 15_000;
const RETRY_MS = 3_000;

type PageState = 'ok' | 'locked' | 'unreachable';

export class Dashboard {
  #apiKey = loadApiKey();
  #client = new GatewayClient('');
  #watch: MultiJobWatch | undefined;
  readonly #cards = new Map<string, JobCard>();
  readonly #tools = new Map<string, ToolsState>();
  #servers: ServerStatus[] = [];
  #pageState: PageState = 'ok';
  #stream: { state: StreamState; info?: StreamStateInfo } = { state: 'idle' };
  #refreshing: Promise<void> | undefined;
  #refreshTimer: ReturnType<typeof setTimeout> | undefined;
  /** Bumped when the API key changes: answers for the previous key are dropped. */
  #session = 0;

  readonly #connection = new ConnectionView();
  readonly #jobList = byId<HTMLOListElement>('job-list');
  readonly #jobsEmpty = byId('jobs-empty');
  readonly #banner = byId('banner');
  readonly #announcer = byId('announcer');
  readonly #serversView = new ServersView(byId('server-list'), (server, tool) =>
    this.#choose(server, tool),
  );
  readonly #run = new RunPanel(byId('run-body'), byId('run-title'), (request) =>
    this.#startJob(request),
  );

  start(): void {
    this.#wireAuth();
    byId('refresh').addEventListener('click', () => void this.refresh());
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible') void this.refresh();
    });
    setInterval(() => {
      const now = Date.now();
      for (const card of this.#cards.values()) if (!card.final) card.tick(now);
    }, 250);
    this.#useKey(this.#apiKey);
  }

  /** Reads the upstreams, their tools and the newest jobs again. */
  refresh(): Promise<void> {
    this.#refreshing ??= this.#load().finally(() => {
      this.#refreshing = undefined;
      this.#scheduleRefresh(this.#pageState === 'ok' ? REFRESH_MS : RETRY_MS);
    });
    return this.#refreshing;
  }

  #scheduleRefresh(ms: number): void {
    clearTimeout(this.#refreshTimer);
    this.#refreshTimer = setTimeout(() => {
      if (document.visibilityState !== 'hidden' || this.#pageState !== 'ok') void this.refresh();
      else this.#scheduleRefresh(ms);
    }, ms);
  }

  async #load(): Promise<void> {
    const session = this.#session;
    const client = this.#client;
    let servers: ServerStatus[];
    let jobs: Job[];
    try {
      [servers, { jobs }] = await Promise.all([
        client.listServers(),
        client.listJobs({ limit: LIST_LIMIT }),
      ]);
    } catch (error) {
      if (session !== this.#session) return;
      this.#loadFailed(error);
      return;
    }
    if (session !== this.#session) return;
    this.#setPageState('ok');
    this.#banner.hidden = true;
    this.#servers = servers;
    this.#serversView.render(servers, this.#tools);
    this.#mergeJobs(jobs);
    await Promise.all(servers.map((server) => this.#loadTools(server.name, session)));
  }

  async #loadTools(server: string, session: number): Promise<void> {
    const known = this.#tools.get(server);
    if (known && 'tools' in known) return;
    let state: ToolsState;
    try {
      state = { tools: await this.#client.listTools(server) };
    } catch (error) {
      state = { error: error instanceof Error ? error.message : String(error) };
    }
    if (session !== this.#session) return;
    this.#tools.set(server, state);
    this.#serversView.render(this.#servers, this.#tools);
  }

  #loadFailed(error: unknown): void {
    if (isGatewayClientError(error, 'UNAUTHORIZED')) {
      this.#setPageState('locked');
      this.#serversView.message('Enter an API key to see the upstreams.');
      const auth = byId<HTMLDetailsElement>('auth');
      auth.open = true;
      byId('auth-error').textContent = this.#apiKey
        ? 'The gateway did not accept this API key.'
        : 'This gateway needs an API key.';
      byId('api-key').focus();
      return;
    }
    const network = isGatewayClientError(error, 'NETWORK_ERROR');
    if (network) this.#setPageState('unreachable');
    this.#banner.hidden = false;
    this.#banner.textContent = network
      ? 'The gateway cannot be reached; trying again…'
      : `The gateway answered an error: ${error instanceof Error ? error.message : String(error)}`;
  }

  #wireAuth(): void {
    const input = byId<HTMLInputElement>('api-key');
    byId('auth-form').addEventListener('submit', (event) => {
      event.preventDefault();
      const key = input.value.trim();
      if (!key) return;
      input.value = '';
      saveApiKey(key);
      this.#useKey(key);
    });
    byId('auth-forget').addEventListener('click', () => {
      input.value = '';
      forgetApiKey();
      this.#useKey(undefined);
    });
  }

  /** Starts over with another key (or none): its jobs are not the previous key's. */
  #useKey(key: string | undefined): void {
    this.#session++;
    this.#apiKey = key;
    byId('auth-state').textContent = key ? 'set' : 'none';
    byId('auth-error').textContent = '';
    this.#watch?.close();
    for (const card of this.#cards.values()) card.element.remove();
    this.#cards.clear();
    this.#tools.clear();
    this.#updateEmpty();
    this.#client = new GatewayClient('', { apiKey: key });
    this.#watch = new MultiJobWatch({
      client: this.#client,
      apiKey: key,
      onEvent: (event) => this.#onEvent(event),
      onState: (state, info) => {
        this.#stream = { state, info };
        this.#renderConnection();
      },
      onGone: (jobId) => {
        this.#cards.get(jobId)?.markGone();
        this.#follow();
      },
    });
    this.#stream = { state: 'idle' };
    this.#setPageState('ok');
    void this.refresh().then(() => {
      if (key && this.#pageState === 'ok') byId<HTMLDetailsElement>('auth').open = false;
    });
  }

  #setPageState(state: PageState): void {
    this.#pageState = state;
    this.#renderConnection();
  }

  #renderConnection(): void {
    if (this.#pageState !== 'ok') this.#connection.show(this.#pageState);
    else this.#connection.show(this.#stream.state, this.#stream.info);
  }

  #choose(server: string, tool: Tool): void {
    this.#serversView.select(server, tool.name);
    this.#run.show(server, tool);
  }

  async #startJob(request: StartRequest): Promise<void> {
    const session = this.#session;
    const job = await this.#client.startJob(
      request.server,
      request.tool,
      request.args,
      request.options,
    );
    if (session !== this.#session) return;
    this.#card(job);
    this.#follow();
    this.#announce(`Started ${job.tool} job ${shortId(job.id)}`);
  }

  #cancel(card: JobCard): void {
    const session = this.#session;
    card.setCancelling(true);
    this.#client
      .cancel(card.job.id)
      .catch((error: unknown) => {
        // It ended meanwhile: show how.
        if (isGatewayClientError(error, 'JOB_FINISHED')) return this.#client.getJob(card.job.id);
        throw error;
      })
      .then(
        (job) => {
          if (session === this.#session) this.#apply(card, job, 'request');
        },
        (error: unknown) => {
          this.#announce(
            `Could not cancel: ${error instanceof Error ? error.message : String(error)}`,
          );
        },
      )
      .finally(() => card.setCancelling(false));
  }

  #onEvent(event: MultiWatchEvent): void {
    const card = this.#cards.get(event.jobId);
    if (!card) return;
    switch (event.event) {
      case 'snapshot':
        this.#apply(card, event.data, 'snapshot');
        return;
      case 'status':
      case 'done':
        this.#apply(card, event.data, 'event');
        return;
      case 'progress':
        card.progress(event.data);
        return;
      case 'log':
        card.log(event.data);
        return;
    }
  }

  #apply(card: JobCard, job: Job, from: Parameters<JobCard['update']>[1]): void {
    const wasFinal = card.final;
    card.update(job, from);
    if (!wasFinal && card.final) {
      this.#announce(`${card.job.tool} job ${shortId(card.job.id)} ${card.job.status}`);
    }
  }

  /** The card of `job`, made (in newest-first order) if the page has none yet. */
  #card(job: Job): JobCard {
    const existing = this.#cards.get(job.id);
    if (existing) return existing;
    const card = new JobCard(job, { cancel: (c) => this.#cancel(c) });
    this.#cards.set(job.id, card);
    // Newest first: before the first card (in page order) of an older job.
    const newer = (a: Job, b: Job) =>
      a.createdAt === b.createdAt ? a.id > b.id : a.createdAt > b.createdAt;
    let before: Element | null = this.#jobList.firstElementChild;
    while (before) {
      const other = this.#cards.get((before as HTMLElement).dataset.jobId ?? '');
      if (other && newer(job, other.job)) break;
      before = before.nextElementSibling;
    }
    this.#jobList.insertBefore(card.element, before);
    this.#prune();
    this.#updateEmpty();
    return card;
  }

  #mergeJobs(jobs: Job[]): void {
    for (const job of jobs) {
      const known = this.#cards.get(job.id);
      if (known) this.#apply(known, job, 'list');
      else this.#card(job);
    }
    this.#follow();
  }

  /** Follows every running job on the page (the newest, up to the stream's limit). */
  #follow(): void {
    const running = [...this.#cards.values()]
      .filter((card) => !card.final && !card.gone)
      .sort((a, b) => (a.job.createdAt < b.job.createdAt ? 1 : -1))
      .slice(0, MAX_JOBS_PER_STREAM)
      .map((card) => card.job.id);
    this.#watch?.watch(running);
  }

  #prune(): void {
    if (this.#cards.size <= MAX_CARDS) return;
    const oldestFirst = [...this.#cards.values()].sort((a, b) =>
      a.job.createdAt < b.job.createdAt ? -1 : 1,
    );
    for (const card of oldestFirst) {
      if (this.#cards.size <= MAX_CARDS) break;
      if (!card.final && !card.gone) continue;
      card.element.remove();
      this.#cards.delete(card.job.id);
    }
  }

  #updateEmpty(): void {
    this.#jobsEmpty.hidden = this.#cards.size > 0;
  }

  #announce(message: string): void {
    this.#announcer.textContent = message;
  }
}
