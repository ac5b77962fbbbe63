// The klingflow web console: the token, the submit form, and the job list with live updates (polling: fast while
// a job runs, slow when none does, paused while the tab is hidden). Served by the local stack at `/`, and from S3
// behind CloudFront by the CDK app (docs/api.md, "Web console").
import { Api, ApiError, type Job, isTerminal } from './api.ts';
import { announce, byId } from './dom.ts';
import { SubmitForm } from './form.ts';
import { JobList, statusLabel } from './jobs.ts';

const TOKEN_KEY = 'klingflow.console.token';
const FAST_MS = 1500;
const SLOW_MS = 10_000;
const PAGE_SIZE = 24;
/** The most jobs the list asks for at once (the API's limit). */
const MAX_PAGE_SIZE = 100;

interface ConsoleConfig {
  /** The API's base URL; empty: the page's own origin (the local stack). */
  apiUrl: string;
}

async function readConfig(): Promise<ConsoleConfig> {
  try {
    const response = await fetch('console/config.json', { cache: 'no-store' });
    if (response.ok) return { apiUrl: '', ...((await response.json()) as Partial<ConsoleConfig>) };
  } catch {
    // no config: same origin
  }
  return { apiUrl: '' };
}

/** A token handed over in the URL's fragment (`#token=…`, as `npm start` prints it) is kept, then removed from the URL. */
function takeTokenFromFragment(): void {
  const fragment = new URLSearchParams(location.hash.slice(1));
  const token = fragment.get('token');
  if (!token) return;
  localStorage.setItem(TOKEN_KEY, token);
  history.replaceState(null, '', location.pathname + location.search);
}

async function main(): Promise<void> {
  takeTokenFromFragment();
  const config = await readConfig();
  const tokenInput = byId<HTMLInputElement>('token');
  const connection = byId('connection');
  const listStatus = byId('list-status');
  const statusFilter = byId<HTMLSelectElement>('status-filter');
  tokenInput.value = localStorage.getItem(TOKEN_KEY) ?? '';
  const api = new Api(config.apiUrl.replace(/\/+$/, ''), () => tokenInput.value.trim());

  const more = byId<HTMLButtonElement>('more');
  let limit = PAGE_SIZE;
  let timer: number | undefined;
  let refreshing = false;
  let catalogLoaded = false;
  /** Jobs submitted from this page that the list has not shown finished yet (polled fast until they are). */
  const watching = new Set<string>();

  const setConnection = (state: 'ok' | 'error', text: string) => {
    connection.dataset.state = state;
    connection.textContent = text;
  };

  const jobs = new JobList(byId('jobs'), api, async (job: Job) => {
    try {
      const cancelled = await api.cancelJob(job.jobId);
      announce(`Job "${(job.request.prompt ?? job.jobId).slice(0, 60)}" ${statusLabel(cancelled.status).toLowerCase()}`);
    } catch (error) {
      announce(`Could not cancel: ${(error as Error).message}`);
    }
    await refresh();
  });

  const form = new SubmitForm(api, {
    submitted: (jobId, prompt) => {
      watching.add(jobId);
      announce(`Job "${prompt.slice(0, 60)}" accepted`);
      void refresh();
    },
  });

  const schedule = (ms: number) => {
    window.clearTimeout(timer);
    if (document.visibilityState === 'hidden') return;
    timer = window.setTimeout(() => void refresh(), ms);
  };

  async function refresh(): Promise<void> {
    if (refreshing) return;
    refreshing = true;
    let next = SLOW_MS;
    try {
      if (!catalogLoaded) {
        form.load(await api.providers());
        catalogLoaded = true;
      }
      const page = await api.listJobs({ limit, status: statusFilter.value || undefined });
      more.hidden = !page.nextCursor || limit >= MAX_PAGE_SIZE;
      const { changed } = jobs.render(page.items);
      setConnection('ok', 'Connected');
      for (const job of changed) {
        announce(`Job "${(job.request.prompt ?? job.jobId).slice(0, 60)}" is now ${statusLabel(job.status).toLowerCase()}`);
        if (isTerminal(job.status)) watching.delete(job.jobId);
      }
      listStatus.textContent = page.items.length ? '' : 'No jobs yet. Submit one above.';
      if (page.items.some((job) => !isTerminal(job.status)) || watching.size) next = FAST_MS;
    } catch (error) {
      const unauthorized = error instanceof ApiError && (error.status === 401 || error.status === 403);
      // No token yet is not a refused one: a first visit without `#token=` is told what to do, not that it failed.
      const noToken = !localStorage.getItem(TOKEN_KEY);
      const refused = noToken ? 'No API token yet: paste the one the stack printed' : 'Token refused: paste the API token';
      setConnection('error', unauthorized ? refused : (error as Error).message);
      if (unauthorized) listStatus.textContent = 'Enter the API token to see jobs.';
    } finally {
      refreshing = false;
      schedule(next);
    }
  }

  byId<HTMLFormElement>('token-form').addEventListener('submit', (event) => {
    event.preventDefault();
    localStorage.setItem(TOKEN_KEY, tokenInput.value.trim());
    catalogLoaded = false;
    void refresh();
  });
  statusFilter.addEventListener('change', () => {
    limit = PAGE_SIZE;
    void refresh();
  });
  more.addEventListener('click', () => {
    limit = Math.min(MAX_PAGE_SIZE, limit + PAGE_SIZE);
    void refresh();
  });
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') void refresh();
  });
  await refresh();
}

void main();
