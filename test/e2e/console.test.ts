// The web console in headless Chromium, through the real local stack: the page at `/`, the token from the URL's
// fragment, a form that offers only what the chosen model takes, a job submitted and watched to the end, its
// preview played, a running job cancelled from the keyboard, and a refused request shown beside its field.
// Screenshots go to test-output/console/ (git-ignored).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.ts';
import { type Browser, launchChromium, SCREENSHOTS } from './browser.ts';
import { Client, startTestStack } from './local-stack.ts';

let stack: LocalStack;
let client: Client;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  [stack, browser] = await Promise.all([startTestStack(undefined, { KLINGFLOW_SIMULATOR_LATENCY_MS: 1500 }), launchChromium()]);
  client = new Client(stack);
  page = await browser.context.newPage();
  // Everything the page reads out through its live region, in order.
  await page.addInitScript(`
    const said = (window.announcements = []);
    new MutationObserver(() => {
      const text = document.getElementById('announcer')?.textContent;
      if (text) said.push(text);
    }).observe(document, { subtree: true, childList: true, characterData: true });
  `);
  await page.goto(`${stack.url}/#token=${encodeURIComponent(stack.token)}`);
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

/** What the tests read of a `<video>` (the test project has no DOM types). */
interface Video {
  readyState: number;
  currentTime: number;
  played: { length: number };
  error: { code: number } | null;
  src: string;
  currentSrc: string;
  play(): Promise<void>;
}

const card = (prompt: string) => page.locator('li.job', { has: page.locator('h3.prompt', { hasText: prompt }) });

describe('the web console', () => {
  it('is served at / without a token, with its config and a content security policy', async () => {
    const index = await fetch(`${stack.url}/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toMatch(/^text\/html/);
    expect(index.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await (await fetch(`${stack.url}/console/config.json`)).json()).toEqual({ apiUrl: '' });
    expect((await fetch(`${stack.url}/console/app.js`)).headers.get('content-type')).toMatch(/^text\/javascript/);
    // The API stays behind its token.
    expect((await fetch(`${stack.url}/v1/jobs`)).status).toBe(401);
  });

  it('takes the token from the URL fragment, keeps it, and removes it from the address', async () => {
    await expect.poll(() => page.locator('#connection').textContent()).toBe('Connected');
    expect(page.url()).toBe(`${stack.url}/`);
    expect(await page.evaluate(() => localStorage.getItem('klingflow.console.token'))).toBe(stack.token);
  });

  it("offers only the chosen model's choices", async () => {
    const catalog = (await client.request('GET', '/v1/providers')).body;
    const options = (selector: string) =>
      page.locator(`${selector} option`).evaluateAll((all) => all.map((o) => (o as unknown as { value: string }).value));
    await expect.poll(() => options('#f-provider')).toEqual(catalog.providers.map((p: { id: string }) => p.id));
    expect(await page.locator('#f-provider').inputValue()).toBe(catalog.defaultProvider);

    await page.selectOption('#f-provider', 'klinggenerator');
    const generator = catalog.providers.find((p: { id: string }) => p.id === 'klinggenerator');
    expect(await options('#f-model')).toEqual(generator.models.map((m: { id: string }) => m.id));
    await page.selectOption('#f-model', 'kling-2');
    const kling2 = generator.models.find((m: { id: string }) => m.id === 'kling-2');
    expect(await options('#f-durationSeconds')).toEqual(kling2.durationsSeconds.map(String));
    expect(await options('#f-resolution')).toEqual(['', ...kling2.resolutions]);
    expect(await options('#f-fps')).toEqual(['', ...kling2.fps.map(String)]);
    expect(await options('#f-quality')).toEqual(['std']);
    expect(await page.locator('#f-image-set').isHidden()).toBe(true); // text-to-video only
    expect(await page.locator('#f-audio').count()).toBe(0);

    await page.selectOption('#f-provider', 'kling');
    await page.selectOption('#f-model', 'kling-v1-5'); // image-to-video only
    expect(await page.locator('#f-image-set').isVisible()).toBe(true);
    expect(await page.locator('#f-image-legend').textContent()).toContain('required');
    expect(await page.locator('#f-resolution').count()).toBe(0);
    expect(await page.locator('#f-cfgScale').count()).toBe(1);

    await page.selectOption('#f-model', 'kling-v3');
    expect(await options('#f-durationSeconds')).toEqual(['3', '4', '5', '6', '7', '8', '9', '10', '11', '12', '13', '14', '15']);
    expect(await page.locator('#f-durationSeconds').inputValue()).toBe('5');
    expect(await page.locator('#f-audio').count()).toBe(1);
  });

  it('submits a job, shows it finish with its cost, and plays its preview', async () => {
    const prompt = 'a red fox running through snow';
    await page.selectOption('#f-provider', 'kling-v3-rest'); // has a price table: the card shows a cost
    await page.fill('#f-prompt', prompt);
    await page.getByRole('button', { name: 'Generate video' }).click();
    await expect.poll(() => page.locator('#form-status').textContent()).toMatch(/^Job accepted: job_/);
    const jobId = (await page.locator('#form-status').textContent())!.replace('Job accepted: ', '');

    const job = card(prompt);
    await expect.poll(() => job.getAttribute('data-status'), { timeout: 45_000 }).toBe('SUCCEEDED');
    expect(await job.locator('.badge').textContent()).toBe('Succeeded');
    expect(await job.locator('progress').getAttribute('value')).toBe('100');
    const api = (await client.request('GET', `/v1/jobs/${jobId}`)).body;
    expect(api).toMatchObject({ status: 'SUCCEEDED', provider: 'kling-v3-rest', cost: { estimated: true } });
    expect(await job.locator('.cost').textContent()).toMatch(/credits.*\(estimate\)/);

    const video = job.locator('video');
    await expect.poll(() => video.evaluate((v: Video) => v.currentSrc)).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//);
    await video.evaluate((v: Video) => v.play());
    await expect
      .poll(() => video.evaluate((v: Video) => ({ ready: v.readyState, time: v.currentTime, played: v.played.length })), {
        timeout: 20_000,
      })
      .toMatchObject({ ready: expect.any(Number), time: expect.any(Number), played: 1 });
    const state = await video.evaluate((v: Video) => ({ ready: v.readyState, time: v.currentTime, error: v.error?.code }));
    expect(state.error).toBeUndefined();
    expect(state.ready).toBeGreaterThanOrEqual(2); // HAVE_CURRENT_DATA: a frame is decoded
    expect(state.time).toBeGreaterThan(0);
    expect(await job.getByRole('link', { name: 'Download' }).getAttribute('href')).toBe(await video.evaluate((v: Video) => v.src));

    const announced = await page.evaluate(() => (globalThis as unknown as { announcements: string[] }).announcements);
    expect(announced).toContain(`Job "${prompt}" accepted`);
    expect(announced).toContain(`Job "${prompt}" is now succeeded`);
    await page.screenshot({ path: join(SCREENSHOTS, 'jobs.png'), fullPage: true });
  });

  it('uploads an image dropped on the form, and the job it starts finishes as image-to-video', async () => {
    const png = readFileSync('test/fixtures/cat-640x360.png').toString('base64');
    await page.selectOption('#f-provider', 'kling');
    await page.selectOption('#f-model', 'kling-v1-5'); // image-to-video only
    await page.fill('#f-prompt', 'the cat yawns and stretches');
    // A real drop: a DataTransfer holding the file, dispatched on the drop zone.
    const dataTransfer = await page.evaluateHandle((b64: string) => {
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const transfer = new (globalThis as any).DataTransfer();
      transfer.items.add(new (globalThis as any).File([bytes], 'cat 640x360.png', { type: 'image/png' }));
      return transfer;
    }, png);
    await page.dispatchEvent('#dropzone', 'drop', { dataTransfer });
    await expect.poll(() => page.locator('#f-image-chosen').textContent()).toContain('cat 640x360.png');
    await page.getByRole('button', { name: 'Generate video' }).click();
    await expect
      .poll(() => page.locator('#form-status').textContent(), { timeout: 15_000 })
      .toMatch(/^Image uploaded; job job_\w+ starts$/);
    const jobId = /job (job_\w+)/.exec((await page.locator('#form-status').textContent())!)![1]!;

    const job = page.locator(`li.job[data-job-id="${jobId}"]`);
    await expect.poll(() => job.getAttribute('data-status'), { timeout: 45_000 }).toBe('SUCCEEDED');
    const api = (await client.request('GET', `/v1/jobs/${jobId}`)).body;
    expect(api).toMatchObject({
      status: 'SUCCEEDED',
      mode: 'image-to-video',
      model: 'kling-v1-5',
      request: { prompt: 'the cat yawns and stretches' },
      source: { key: expect.stringMatching(/\/cat 640x360\.png$/) },
    });
    await expect.poll(() => job.locator('video').evaluate((v: Video) => v.currentSrc)).toMatch(/^http:/);
  });

  it('gets the signed URL of a preview as JSON when it asks for JSON (a <video> cannot send the token)', async () => {
    const jobId = await client.createJob({ prompt: 'a heron [sim:latency=100]' });
    const job = await client.waitForJob(jobId);
    const answer = await client.request('GET', `/v1/jobs/${jobId}/video`, undefined, { accept: 'application/json' });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('cache-control')).toBe('no-store');
    expect(answer.body).toMatchObject({ url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:/), contentType: 'video/mp4' });
    expect(Date.parse(answer.body.expiresAt)).toBeGreaterThan(Date.now());
    const bytes = Buffer.from(await (await fetch(answer.body.url)).arrayBuffer());
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(job.outputs.video.sha256);
    // Without it, the redirect as before.
    expect((await client.request('GET', `/v1/jobs/${jobId}/video`)).status).toBe(302);
  });

  it('cancels a running job from the keyboard', async () => {
    const prompt = 'a slow tide coming in [sim:latency=60000]';
    await page.selectOption('#f-provider', 'kling');
    await page.fill('#f-prompt', prompt);
    await page.focus('#f-prompt');
    await page.keyboard.press('Tab');
    // Submitting by keyboard: Enter on the button.
    await page.getByRole('button', { name: 'Generate video' }).focus();
    await page.keyboard.press('Enter');
    const job = card('a slow tide coming in');
    await expect.poll(() => job.getAttribute('data-status'), { timeout: 20_000 }).toMatch(/^(SUBMITTED|PROCESSING)$/);
    await page.screenshot({ path: join(SCREENSHOTS, 'running.png'), fullPage: true });

    await job.getByRole('button', { name: 'Cancel' }).focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => job.getAttribute('data-status'), { timeout: 15_000 }).toBe('CANCELLED');
    expect(await job.locator('.badge').textContent()).toBe('Cancelled');
    expect(await job.getByRole('button', { name: 'Cancel' }).count()).toBe(0);
    // The focused button went with the job's end: focus stays on the card, not lost to the page.
    expect(await job.locator('h3').evaluate((el) => el === (globalThis as any).document.activeElement)).toBe(true);
    // Announced once the cancel's answer is in (a list refresh may have shown the job cancelled before it), 50 ms
    // after: waited for, not read at once.
    await expect
      .poll(() => page.evaluate(() => (globalThis as unknown as { announcements: string[] }).announcements), { timeout: 10_000 })
      .toContain('Job "a slow tide coming in [sim:latency=60000]" cancelled');
    const jobId = await job.getAttribute('data-job-id');
    expect((await client.request('GET', `/v1/jobs/${jobId}`)).body).toMatchObject({ status: 'CANCELLED' });
  });

  it('shows what the API refused beside the field it names', async () => {
    await page.selectOption('#f-provider', 'kling');
    await page.selectOption('#f-model', 'kling-v3');
    await page.fill('#f-prompt', '');
    await page.getByRole('button', { name: 'Generate video' }).click();
    await expect.poll(() => page.locator('#form-status').textContent()).toMatch(/^Not submitted:/);
    const field = page.locator('[aria-invalid="true"]');
    expect(await field.count()).toBeGreaterThan(0);
    const describedBy = (await field.first().getAttribute('aria-describedby')) ?? '';
    const errorId = describedBy.split(' ').find((id) => id.endsWith('-error'))!;
    expect(await page.locator(`#${errorId}`).isVisible()).toBe(true);
    expect(await page.locator(`#${errorId}`).textContent()).not.toBe('');
    await page.screenshot({ path: join(SCREENSHOTS, 'refused.png'), fullPage: true });
  });

  // Last: it clears the token the pages of this browser share.
  it('says there is no token yet on a first visit without one, and that a wrong token is refused', async () => {
    await page.close();
    const visit = await browser.context.newPage();
    await visit.goto(`${stack.url}/`);
    await visit.evaluate(() => localStorage.clear());
    await visit.reload();
    await expect.poll(() => visit.locator('#connection').textContent()).toBe('No API token yet: paste the one the stack printed');
    await visit.fill('#token', 'not-the-token-of-this-stack');
    await visit.getByRole('button', { name: 'Connect' }).click();
    await expect.poll(() => visit.locator('#connection').textContent()).toBe('Token refused: paste the API token');
    await visit.screenshot({ path: join(SCREENSHOTS, 'token-refused.png'), fullPage: true });
  });
});
