/**
 * The dashboard (GET /) in headless Chromium, against gateways with real upstreams (the demo, our
 * fixture server and a form-test server, over stdio): upstreams and tools, jobs started from the
 * generated form, progress to 100% and results, cancelling, a stream cut mid-job and resumed with
 * no progress missing, twenty jobs on one stream, and API keys. The dashboard is built first into
 * dist/dashboard, which the gateway serves. Screenshots of the main states go to test-artifacts/.
 * Without a usable Chromium the suite is skipped, except under CI=true (then it fails).
 */
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { demoUpstream } from '../../src/config/index.js';
import { buildDashboard } from '../../src/dashboard/build.mjs';
import { fixtureStdio, ROOT, startGateway, type TestGateway } from '../helpers/gateway.js';
import { waitUntil } from '../helpers/wait.js';
import { launchChromium } from '../helpers/chromium.js';
import { formUpstream } from './form-server.js';

const ARTIFACTS = path.join(ROOT, 'test-artifacts');
const API_KEY = 'dashboard-test-secret-0123456789';
const STORAGE_KEY = 'mcp-progress-gateway.api-key';

const launched = await launchChromium('the dashboard');
const browser = launched.browser as Browser;
after(() => launched.browser?.close());

/** A /v1/events request the page made. */
interface StreamRequest {
  url: URL;
  resourceType: string;
  headers: Promise<Record<string, string>>;
}

/** A dashboard page with what it requested and the errors it reported. */
interface DashboardPage {
  context: BrowserContext;
  page: Page;
  urls: string[];
  streams: StreamRequest[];
  errors: string[];
}

async function openDashboard(
  url: string,
  options: {
    viewport?: { width: number; height: number };
    setup?: (page: Page) => Promise<unknown>;
  } = {},
): Promise<DashboardPage> {
  const context = await browser.newContext({
    viewport: options.viewport ?? { width: 1280, height: 900 },
  });
  const page = await context.newPage();
  const opened: DashboardPage = { context, page, urls: [], streams: [], errors: [] };
  page.on('request', (request) => {
    opened.urls.push(request.url());
    const requested = new URL(request.url());
    if (requested.pathname === '/v1/events') {
      opened.streams.push({
        url: requested,
        resourceType: request.resourceType(),
        headers: request.allHeaders(),
      });
    }
  });
  page.on('pageerror', (error) => opened.errors.push(error.message));
  page.on('console', (message) => {
    // Chromium logs every non-2xx answer itself; the auth tests provoke 401s on purpose.
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) {
      opened.errors.push(message.text());
    }
  });
  await options.setup?.(page);
  await page.goto(url);
  return opened;
}

/** A screenshot of the top of the page (where the newest job is). */
async function screenshot(page: Page, name: string): Promise<void> {
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(ARTIFACTS, `dashboard-${name}.png`) });
}

async function chooseTool(page: Page, server: string, tool: string): Promise<Locator> {
  const folder = page.locator(`[data-server="${server}"] details.tool-folder`);
  // Folded on a phone-sized screen.
  if (!(await folder.evaluate((d: HTMLDetailsElement) => d.open))) {
    await folder.locator('summary').click();
  }
  await page.locator(`[data-server="${server}"] button[data-tool="${tool}"]`).click();
  const form = page.locator('form.run-form');
  await form.waitFor();
  assert.equal(await page.locator('#run-title').textContent(), `Start a job: ${tool}`);
  return form;
}

/** Clicks "Start job" and returns the id of the job the gateway created. */
async function startFromForm(page: Page): Promise<string> {
  const [response] = await Promise.all([
    page.waitForResponse(
      (r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/v1/jobs',
    ),
    page.getByRole('button', { name: 'Start job' }).click(),
  ]);
  assert.equal(response.status(), 202, await response.text());
  return ((await response.json()) as { id: string }).id;
}

const cardOf = (page: Page, id: string) => page.locator(`.job[data-job-id="${id}"]`);

async function waitForStatus(page: Page, id: string, status: string): Promise<Locator> {
  const card = page.locator(`.job[data-job-id="${id}"][data-status="${status}"]`);
  await card.waitFor({ timeout: 60_000 });
  return card;
}

/** The progress values the page recorded for a job, in the order it received them. */
async function progressValues(card: Locator): Promise<number[]> {
  const recorded = await card.getAttribute('data-progress-values');
  return recorded ? recorded.split(',').map(Number) : [];
}

async function waitForProgress(card: Locator, count: number): Promise<void> {
  await waitUntil(
    async () => (await progressValues(card)).length >= count,
    `${count} progress events`,
  );
}

const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_v, i) => from + i);

describe('the dashboard in headless Chromium', { skip: launched.reason ?? false }, () => {
  let gw: TestGateway;
  let d: DashboardPage;

  before(async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    await buildDashboard();
    gw = await startGateway(undefined, {
      upstreams: [demoUpstream(), fixtureStdio(), formUpstream()],
    });
    d = await openDashboard(`${gw.url}/`);
  });

  after(async () => {
    await d?.context.close();
    await gw?.close();
  });

  test('serves the page and its assets with a strict CSP, nothing from elsewhere', async () => {
    const page = await gw.http.get('/');
    assert.equal(page.status, 200);
    assert.match(page.headers['content-type']!, /^text\/html/);
    assert.match(page.headers['content-security-policy']!, /default-src 'none'/);
    assert.match(page.headers['content-security-policy']!, /connect-src 'self'/);
    for (const asset of ['/dashboard/dashboard.js', '/dashboard/dashboard.css']) {
      const res = await gw.http.get(asset);
      assert.equal(res.status, 200, asset);
      const again = await gw.http.get(asset).set('if-none-match', res.headers.etag!);
      assert.equal(again.status, 304, `${asset} revalidates`);
    }
    assert.equal((await gw.http.get('/dashboard/../package.json')).status, 404);
    assert.equal((await gw.http.get('/dashboard/index.ts')).status, 404);
    await d.page.locator('[data-server="demo"] button[data-tool="countdown"]').waitFor();
    const origins = new Set(d.urls.map((u) => new URL(u).origin));
    assert.deepEqual([...origins], [gw.url], 'the page loads nothing from another origin');
  });

  test('shows the upstreams with their state and each one’s tools', async () => {
    const { page } = d;
    for (const [server, tool] of [
      ['demo', 'countdown'],
      ['demo', 'wait_for_cancel'],
      ['fixture', 'image'],
      ['forms', 'configure'],
    ]) {
      await page.locator(`[data-server="${server}"] button[data-tool="${tool}"]`).waitFor();
    }
    await page.getByRole('button', { name: 'Refresh' }).click();
    await page.locator('[data-server="demo"][data-state="connected"]').waitFor();
    assert.equal(await page.locator('[data-server="demo"] .badge').textContent(), 'connected');
    assert.match(
      (await page.locator('[data-server="demo"] .meta').textContent())!,
      /stdio · 5 tools/,
    );
    await page.locator('#connection[data-state="idle"]').waitFor();
    await screenshot(page, 'upstreams');
  });

  test('starts a job from the generated form: the bar reaches 100% and the result appears', async () => {
    const { page } = d;
    const form = await chooseTool(page, 'demo', 'countdown');
    const seconds = form.getByLabel('seconds');
    const interval = form.getByLabel('intervalMs');
    assert.equal(await seconds.getAttribute('type'), 'number');
    assert.equal(await seconds.getAttribute('min'), '1');
    assert.equal(await seconds.getAttribute('max'), '3600');
    assert.equal(await seconds.getAttribute('step'), '1');
    assert.equal(await seconds.getAttribute('required'), '');
    assert.equal(await interval.inputValue(), '1000', 'the default is filled in');
    await seconds.fill('5');
    await interval.fill('300');
    const id = await startFromForm(page);
    const card = cardOf(page, id);
    await waitForProgress(card, 2);
    await page.locator('#connection[data-state="open"]').waitFor();
    assert.equal(await card.locator('progress').evaluate((p: HTMLProgressElement) => p.max), 100);
    await screenshot(page, 'running');

    await waitForStatus(page, id, 'succeeded');
    assert.equal(await card.locator('progress').evaluate((p: HTMLProgressElement) => p.value), 100);
    assert.equal(await card.locator('.percent').textContent(), '100%');
    assert.deepEqual(await progressValues(card), [1, 2, 3, 4, 5]);
    assert.equal(await card.locator('.message').textContent(), 'liftoff');
    assert.equal(await card.locator('.outcome pre').textContent(), 'Countdown from 5 finished');
    assert.equal(await card.locator('.log summary').textContent(), 'Log (5)');
    assert.equal(await card.getByRole('button', { name: /^Cancel/ }).isVisible(), false);
    assert.match((await card.locator('.elapsed').textContent())!, /^\d+(\.\d)? s$/);
    await page.locator('#connection[data-state="idle"]').waitFor();
    await screenshot(page, 'succeeded');
  });

  test('the form follows the schema: enums, bounds, booleans, nested objects, arrays, JSON', async () => {
    const { page } = d;
    const form = await chooseTool(page, 'forms', 'configure');
    const top = form.locator('div.fields > .field');
    // Required fields' labels end in an asterisk (hidden from screen readers).
    const field = (label: string) => top.getByLabel(new RegExp(`^${label}( \\*)?$`));
    assert.equal(await field('mode').evaluate((e) => e.tagName), 'SELECT');
    assert.equal(
      await field('mode').evaluate((s: HTMLSelectElement) => s.selectedOptions[0]?.textContent),
      'safe',
    );
    assert.equal(await field('verbose').getAttribute('type'), 'checkbox');
    assert.equal(await field('ratio').getAttribute('step'), 'any');
    assert.equal(await field('extra').evaluate((e) => e.tagName), 'TEXTAREA');
    const target = form.locator('fieldset.group', {
      has: page.locator('legend', { hasText: 'target' }),
    });
    const tags = form.locator('fieldset.group', {
      has: page.locator('legend', { hasText: 'tags' }),
    });
    const steps = form.locator('fieldset.group', {
      has: page.locator('legend', { hasText: /^steps/ }),
    });

    await field('name').fill('probe');
    await field('mode').selectOption({ label: 'thorough' });
    await field('count').fill('11');
    const posts = () => d.urls.filter((u) => new URL(u).pathname === '/v1/jobs').length;
    const before = posts();
    await page.getByRole('button', { name: 'Start job' }).click();
    assert.equal(
      await field('count').evaluate((e: HTMLInputElement) => e.validity.rangeOverflow),
      true,
    );
    await field('count').fill('7');
    await field('verbose').check();
    await target.getByLabel('host').fill('example.org');
    await target.getByLabel('port').fill('8443');
    const addTag = tags.getByRole('button', { name: 'Add tags item' });
    for (const tag of ['a', 'b', 'c']) {
      await addTag.click();
      // The keyboard lands in the new row.
      await page.keyboard.type(tag);
    }
    assert.equal(await addTag.isDisabled(), true, 'maxItems 3');
    await tags.getByRole('button', { name: 'Remove tags item 2' }).click();
    assert.deepEqual(
      await tags.locator('input').evaluateAll((l) => l.map((i) => (i as HTMLInputElement).value)),
      ['a', 'c'],
    );
    await steps.getByRole('button', { name: 'Add steps item' }).click();
    const step = steps.locator('fieldset.group', {
      has: page.locator('legend', { hasText: 'steps item 1' }),
    });
    await step.getByLabel('name').fill('one');
    await step.getByLabel('wait').fill('5');
    await field('extra').fill('42');
    assert.equal(posts(), before, 'an out-of-range count was not sent');
    await screenshot(page, 'form');

    const expected = {
      name: 'probe',
      mode: 'thorough',
      count: 7,
      verbose: true,
      target: { host: 'example.org', port: 8443 },
      tags: ['a', 'c'],
      steps: [{ name: 'one', wait: 5 }],
      extra: 42,
    };
    const id = await startFromForm(page);
    const card = await waitForStatus(page, id, 'succeeded');
    const structured = JSON.parse((await card.locator('.structured pre').textContent())!);
    assert.deepEqual(structured, { args: expected });

    // Raw JSON: what the form holds, editable; back in the form, the fields follow.
    const toggle = form.getByLabel('Edit arguments as JSON');
    await toggle.check();
    const raw = form.getByLabel('Arguments (JSON object)');
    assert.deepEqual(JSON.parse(await raw.inputValue()), expected);
    await raw.fill(JSON.stringify({ ...expected, count: 3, tags: undefined }));
    await toggle.uncheck();
    assert.equal(await field('count').inputValue(), '3');
    assert.equal(await tags.locator('input').count(), 0);
    await toggle.check();
    await raw.fill('{ not json');
    assert.equal(await raw.evaluate((e: HTMLTextAreaElement) => e.validity.customError), true);
    await raw.fill(JSON.stringify({ ...expected, count: 2 }));
    const second = await startFromForm(page);
    const secondCard = await waitForStatus(page, second, 'succeeded');
    const echoed = JSON.parse((await secondCard.locator('.structured pre').textContent())!);
    assert.equal(echoed.args.count, 2);
    await toggle.uncheck();
  });

  test('renders results by content type, and errors', async () => {
    const { page } = d;
    await chooseTool(page, 'fixture', 'image');
    const imageJob = await startFromForm(page);
    const image = await waitForStatus(page, imageJob, 'succeeded');
    const img = image.locator('img.content-image');
    assert.match((await img.getAttribute('src'))!, /^data:image\/png;base64,/);
    assert.equal(await img.evaluate((i: HTMLImageElement) => i.complete && i.naturalWidth), 1);
    assert.match((await image.locator('.content-link').textContent())!, /pixel\.png/);
    assert.equal(await image.locator('.content-link a').count(), 0, 'a file: URI is not a link');

    const form = await chooseTool(page, 'demo', 'crawl');
    await form.getByLabel('pages').fill('4');
    await form.getByLabel('intervalMs').fill('400');
    const crawlJob = await startFromForm(page);
    const crawl = cardOf(page, crawlJob);
    await waitForProgress(crawl, 1);
    assert.equal(
      await crawl.locator('progress').evaluate((p) => p.hasAttribute('value')),
      false,
      'no total: an indeterminate bar',
    );
    await waitForStatus(page, crawlJob, 'succeeded');
    assert.deepEqual(JSON.parse((await crawl.locator('.structured pre').textContent())!), {
      pages: 4,
    });
    assert.deepEqual(await progressValues(crawl), [1, 2, 3, 4]);

    await chooseTool(page, 'demo', 'reject');
    const rejected = await waitForStatus(page, await startFromForm(page), 'failed');
    assert.match((await rejected.locator('.job-error').textContent())!, /^TOOL_ERROR: /);
    assert.match((await rejected.locator('.result').textContent())!, /rejected the request/);

    await chooseTool(page, 'demo', 'fail');
    const failed = await waitForStatus(page, await startFromForm(page), 'failed');
    assert.match((await failed.locator('.job-error').textContent())!, /^UPSTREAM_ERROR: /);
    await screenshot(page, 'results');
  });

  test('cancels a running job', async () => {
    const { page } = d;
    const form = await chooseTool(page, 'demo', 'wait_for_cancel');
    await form.getByLabel('intervalMs').fill('100');
    const id = await startFromForm(page);
    const card = cardOf(page, id);
    await waitForProgress(card, 2);
    await card.getByRole('button', { name: /^Cancel wait_for_cancel job/ }).click();
    await waitForStatus(page, id, 'cancelled');
    assert.match((await card.locator('.job-error').textContent())!, /^CANCELLED: /);
    assert.equal(await card.getByRole('button', { name: /^Cancel/ }).isVisible(), false);
    assert.match((await page.locator('#announcer').textContent())!, /cancelled/);
    const job = await gw.http.get(`/v1/jobs/${id}`);
    assert.equal(job.body.status, 'cancelled');
    await screenshot(page, 'cancelled');
  });

  test('a stream cut mid-job resumes with no progress missing', async () => {
    const { page } = d;
    const form = await chooseTool(page, 'demo', 'countdown');
    await form.getByLabel('seconds').fill('40');
    await form.getByLabel('intervalMs').fill('100');
    const id = await startFromForm(page);
    const card = cardOf(page, id);
    await waitForProgress(card, 5);
    const opened = d.streams.length;
    gw.app.gateway.streams.endAll();
    await page.locator('#connection[data-state="reconnecting"]').waitFor();
    await screenshot(page, 'reconnecting');
    await page.locator('#connection[data-state="open"]').waitFor();
    await waitForStatus(page, id, 'succeeded');
    assert.deepEqual(await progressValues(card), range(1, 40), 'every value once, in order');
    assert.ok(d.streams.length > opened, 'the page reconnected');
    const resumed = d.streams[opened]!;
    assert.equal(resumed.resourceType, 'eventsource');
    assert.deepEqual(resumed.url.searchParams.getAll('job'), [id], 'the same stream again');
    assert.ok((await resumed.headers)['last-event-id'], 'EventSource resumed with Last-Event-ID');
  });

  test('a refused reconnect is retried from where the stream stopped', async () => {
    const { page } = d;
    // The first reconnect of the next stream gets a 503: EventSource gives up on a non-200, so
    // the page must open a new stream itself, at its cursor.
    let seen = 0;
    const streams = (url: URL) => url.pathname === '/v1/events';
    await page.route(streams, (route) =>
      ++seen === 2
        ? route.fulfill({
            status: 503,
            contentType: 'application/problem+json',
            body: '{"status":503,"code":"UNAVAILABLE"}',
          })
        : route.continue(),
    );
    try {
      const form = await chooseTool(page, 'demo', 'countdown');
      await form.getByLabel('seconds').fill('40');
      // Long enough (12 s) that the refused reconnect and the new stream happen while the job
      // runs, even on a loaded machine: this test is about resuming a live job.
      await form.getByLabel('intervalMs').fill('300');
      const id = await startFromForm(page);
      const card = cardOf(page, id);
      await waitForProgress(card, 5);
      const opened = d.streams.length;
      gw.app.gateway.streams.endAll();
      await waitForStatus(page, id, 'succeeded');
      assert.deepEqual(await progressValues(card), range(1, 40), 'every value once, in order');
      const [refused, reopened] = d.streams.slice(opened);
      assert.ok(refused && reopened, 'a refused reconnect, then a new stream');
      assert.equal(reopened.resourceType, 'eventsource');
      assert.ok(
        reopened.url.searchParams.get('lastEventId'),
        'the new stream starts at the cursor',
      );
    } finally {
      await page.unroute(streams);
    }
  });

  test('twenty jobs share one stream', async () => {
    const { page } = d;
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) {
      const job = await gw.startJob({
        server: 'demo',
        tool: 'countdown',
        arguments: { seconds: 20, intervalMs: 150 },
      });
      ids.push(job.id);
    }
    const opened = d.streams.length;
    await page.getByRole('button', { name: 'Refresh' }).click();
    await page
      .locator('#connection[data-state="open"]', { hasText: 'following 20 jobs' })
      .waitFor();
    await waitUntil(() => gw.app.gateway.streams.size === 1, 'one open stream on the gateway');
    await screenshot(page, 'twenty-jobs');
    for (const id of ids) await waitForStatus(page, id, 'succeeded');
    const made = d.streams.slice(opened);
    assert.equal(
      made.length,
      1,
      `one /v1/events request: ${made.map((s) => s.url.search).join(' ')}`,
    );
    assert.deepEqual(new Set(made[0]!.url.searchParams.getAll('job')), new Set(ids));
    for (const id of ids) {
      assert.deepEqual(await progressValues(cardOf(page, id)), range(1, 20), id);
    }
  });

  test('is keyboard-usable and labelled', async () => {
    const { page } = d;
    const unlabelled = await page
      .locator('input, select, textarea')
      .evaluateAll((controls) =>
        controls
          .filter(
            (c) => (c as HTMLInputElement).labels?.length === 0 && !c.getAttribute('aria-label'),
          )
          .map((c) => c.outerHTML),
      );
    assert.deepEqual(unlabelled, []);
    const tool = page.locator('[data-server="demo"] button[data-tool="countdown"]');
    await tool.focus();
    await page.keyboard.press('Enter');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'run-title');
    assert.equal(await tool.getAttribute('aria-pressed'), 'true');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.tagName), 'INPUT');
    const focusRing = await page.evaluate(
      () => getComputedStyle(document.activeElement!).outlineStyle,
    );
    assert.notEqual(focusRing, 'none', 'the focus is visible');
  });

  test('fits a phone-sized screen', async () => {
    const phone = await openDashboard(`${gw.url}/`, { viewport: { width: 390, height: 844 } });
    try {
      const { page } = phone;
      await page.locator('[data-server="demo"] details.tool-folder').waitFor();
      assert.equal(
        await page.locator('details.tool-folder[open]').count(),
        0,
        'tool lists start folded',
      );
      await screenshot(page, 'phone');
      const form = await chooseTool(page, 'demo', 'countdown');
      await form.getByLabel('seconds').fill('3');
      await form.getByLabel('intervalMs').fill('100');
      const id = await startFromForm(page);
      const card = await waitForStatus(page, id, 'succeeded');
      await card.screenshot({ path: path.join(ARTIFACTS, 'dashboard-phone-job.png') });
      const overflow = await page.evaluate(
        () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
      );
      assert.ok(overflow <= 0, `no sideways scrolling (${overflow}px too wide)`);
      assert.deepEqual(phone.errors, []);
    } finally {
      await phone.context.close();
    }
  });

  test('the page reported no errors', () => {
    assert.deepEqual(d.errors, []);
  });
});

describe('the dashboard with API keys', { skip: launched.reason ?? false }, () => {
  let gw: TestGateway;

  before(async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    await buildDashboard();
    // Streams end every second: the page must resume them, whichever way it reads them.
    gw = await startGateway(undefined, {
      upstreams: [demoUpstream()],
      env: { API_KEYS: `alice:${API_KEY}`, SSE_MAX_STREAM_AGE_MS: '1000', SSE_RETRY_MS: '100' },
    });
  });

  after(() => gw?.close());

  async function enterKey(page: Page, key: string): Promise<void> {
    await page.getByLabel('API key', { exact: true }).fill(key);
    await page.getByRole('button', { name: 'Use key' }).click();
  }

  async function runCountdown(page: Page, seconds: number): Promise<Locator> {
    const form = await chooseTool(page, 'demo', 'countdown');
    await form.getByLabel('seconds').fill(String(seconds));
    await form.getByLabel('intervalMs').fill('150');
    const id = await startFromForm(page);
    const card = await waitForStatus(page, id, 'succeeded');
    assert.deepEqual(await progressValues(card), range(1, seconds), 'every value once, in order');
    return card;
  }

  test('asks for a key once, keeps it for the tab, never puts it in a URL', async () => {
    const d = await openDashboard(`${gw.url}/`);
    try {
      const { page } = d;
      await page.locator('#connection[data-state="locked"]').waitFor();
      assert.equal(await page.locator('#auth').evaluate((e: HTMLDetailsElement) => e.open), true);
      assert.equal(
        await page.locator('#auth-error').textContent(),
        'This gateway needs an API key.',
      );
      await screenshot(page, 'locked');
      await enterKey(page, 'not-the-key-0123456789');
      await page.locator('#auth-error', { hasText: 'did not accept' }).waitFor();
      await enterKey(page, API_KEY);
      await page.locator('[data-server="demo"] button[data-tool="countdown"]').waitFor();
      assert.equal(await page.locator('#auth-state').textContent(), 'set');
      assert.equal(await page.evaluate((k) => sessionStorage.getItem(k), STORAGE_KEY), API_KEY);

      await runCountdown(page, 12);
      assert.ok(d.streams.length >= 2, 'the stream was ended by age and resumed');
      for (const stream of d.streams) {
        const headers = await stream.headers;
        if (stream.resourceType === 'eventsource') {
          assert.ok(stream.url.searchParams.get('token'), 'EventSource carries a stream token');
        } else {
          assert.equal(headers.authorization, `Bearer ${API_KEY}`);
        }
      }
      const leaked = d.urls.filter((u) => u.includes(API_KEY));
      assert.deepEqual(leaked, [], 'the API key is in no URL');

      await page.reload();
      await page.locator('[data-server="demo"] button[data-tool="countdown"]').waitFor();
      assert.notEqual(await page.locator('#connection').getAttribute('data-state'), 'locked');
      assert.deepEqual(d.errors, []);
    } finally {
      await d.context.close();
    }
  });

  test('without stream tokens, follows jobs with fetch and the Authorization header', async () => {
    const d = await openDashboard(`${gw.url}/`, {
      // A gateway that has no POST /v1/stream-tokens.
      setup: (page) =>
        page.route('**/v1/stream-tokens', (route) =>
          route.fulfill({
            status: 404,
            contentType: 'application/problem+json',
            body: JSON.stringify({
              type: 'urn:mcp-progress-gateway:problem:ROUTE_NOT_FOUND',
              title: 'No such route',
              status: 404,
              detail: 'Route POST:/v1/stream-tokens not found',
              code: 'ROUTE_NOT_FOUND',
            }),
          }),
        ),
    });
    try {
      const { page } = d;
      await enterKey(page, API_KEY);
      await runCountdown(page, 12);
      assert.ok(d.streams.length >= 2, 'the stream was ended by age and resumed');
      for (const [i, stream] of d.streams.entries()) {
        const headers = await stream.headers;
        assert.equal(stream.resourceType, 'fetch');
        assert.equal(headers.authorization, `Bearer ${API_KEY}`);
        assert.equal(stream.url.searchParams.get('token'), null);
        if (i > 0) assert.ok(headers['last-event-id'], 'a resumed stream sends Last-Event-ID');
      }
      assert.deepEqual(
        d.urls.filter((u) => u.includes(API_KEY)),
        [],
      );
      assert.deepEqual(d.errors, []);
    } finally {
      await d.context.close();
    }
  });
});
