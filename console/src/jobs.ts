// The job list: one card per job, updated in place on every refresh (so a playing preview keeps playing), with its
// status, progress, cost, a playable preview once its video is archived, and a cancel button while it runs.
import { type Api, type Job, isTerminal, type Status } from './api.ts';
import { h, replaceChildren } from './dom.ts';

const STATUS_LABELS: Record<Status, string> = {
  QUEUED: 'Queued',
  SUBMITTED: 'Submitted',
  PROCESSING: 'Generating',
  ARCHIVING: 'Archiving',
  SUCCEEDED: 'Succeeded',
  FAILED: 'Failed',
  CANCELLED: 'Cancelled',
  TIMED_OUT: 'Timed out',
};

export const statusLabel = (status: Status): string => STATUS_LABELS[status] ?? status;

/** What a card shows of a job's cost: credits and dollars, and whether it is the provider's estimate. */
export function costText(cost: Job['cost']): string {
  if (!cost) return 'Cost: not reported';
  const parts = [
    cost.credits !== undefined ? `${cost.credits.toLocaleString('en-US', { maximumFractionDigits: 2 })} credits` : '',
    cost.usd !== undefined ? `$${cost.usd.toFixed(2)}` : '',
  ].filter(Boolean);
  return `Cost: ${parts.join(' · ') || 'none'}${cost.estimated ? ' (estimate)' : ''}`;
}

function ago(iso: string, now = Date.now()): string {
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.round(seconds / 3600)} h ago`;
  return new Date(iso).toLocaleString();
}

/** A job's progress in percent: the provider's figure while it runs, 100 once it has succeeded. */
function percentOf(job: Job): number {
  if (job.status === 'SUCCEEDED') return 100;
  return Math.max(0, Math.min(100, Math.round(job.progress ?? 0)));
}

interface Card {
  element: HTMLLIElement;
  status: Status;
  /** The preview's video element once the job's video URL has been fetched. */
  video?: HTMLVideoElement;
  /** The signed URL was refreshed after a playback error (URLs expire); once per card. */
  refreshed?: boolean;
}

export class JobList {
  private readonly cards = new Map<string, Card>();

  constructor(
    private readonly root: HTMLElement,
    private readonly api: Api,
    private readonly onCancel: (job: Job) => Promise<void>,
  ) {}

  /** Shows `jobs` (newest first), and answers the jobs whose status changed since the last call. */
  render(jobs: Job[]): { changed: Job[] } {
    const changed: Job[] = [];
    const seen = new Set<string>();
    for (const job of jobs) {
      seen.add(job.jobId);
      const card = this.cards.get(job.jobId);
      if (card && card.status !== job.status) changed.push(job);
      this.update(card ?? this.create(job), job);
    }
    for (const [jobId, card] of this.cards) {
      if (!seen.has(jobId)) {
        card.element.remove();
        this.cards.delete(jobId);
      }
    }
    // Keep the DOM in the list's order, moving only what is out of place (focus stays where it is).
    let previous: Element | null = null;
    for (const job of jobs) {
      const element = this.cards.get(job.jobId)?.element;
      if (!element) continue;
      const expected: Element | null = previous ? previous.nextElementSibling : this.root.firstElementChild;
      if (expected !== element) this.root.insertBefore(element, expected);
      previous = element;
    }
    return { changed };
  }

  get size(): number {
    return this.cards.size;
  }

  private create(job: Job): Card {
    const element = h('li', { class: 'job', 'data-job-id': job.jobId });
    const card: Card = { element, status: job.status };
    this.cards.set(job.jobId, card);
    this.root.append(element);
    return card;
  }

  private update(card: Card, job: Job): void {
    const { element } = card;
    const titleId = `title-${job.jobId}`;
    const prompt = job.request.prompt ?? '(no prompt)';
    const percent = percentOf(job);
    const running = !isTerminal(job.status);
    card.status = job.status;
    element.dataset.status = job.status;

    let preview = element.querySelector<HTMLElement>('.preview');
    if (!preview) preview = h('div', { class: 'preview' });
    if (job.status === 'SUCCEEDED' && job.outputs?.video) {
      if (!card.video) this.attachVideo(card, job, preview, prompt);
    } else if (!preview.firstChild || preview.dataset.status !== job.status) {
      preview.dataset.status = job.status;
      replaceChildren(
        preview,
        h('div', { class: `placeholder ${running ? 'busy' : ''}`, 'aria-hidden': 'true' }, running ? h('span', { class: 'spinner' }) : '—'),
      );
    }

    const meta = [
      job.provider,
      job.model,
      job.request.durationSeconds ? `${job.request.durationSeconds} s` : '',
      job.request.aspectRatio,
      job.request.resolution ?? job.request.quality,
    ]
      .filter(Boolean)
      .join(' · ');

    const body = h(
      'div',
      { class: 'job-body' },
      h('h3', { class: 'prompt', id: titleId, title: prompt }, prompt),
      h('p', { class: 'meta' }, meta),
      h(
        'div',
        { class: 'status-row' },
        h('span', { class: `badge badge-${job.status.toLowerCase()}` }, statusLabel(job.status)),
        h('progress', {
          max: 100,
          value: percent,
          'aria-label': `Progress of "${prompt.slice(0, 60)}"`,
          'aria-valuetext': `${percent} percent`,
        }),
        h('span', { class: 'percent' }, `${percent}%`),
      ),
      h('p', { class: 'cost' }, costText(job.cost)),
      job.error && job.status !== 'SUCCEEDED' ? h('p', { class: 'job-error' }, `${job.error.code}: ${job.error.message}`) : null,
      h(
        'p',
        { class: 'when' },
        h('time', { datetime: job.createdAt, title: new Date(job.createdAt).toLocaleString() }, ago(job.createdAt)),
        ' · ',
        h('code', {}, job.jobId),
      ),
    );

    const actions = h('div', { class: 'actions' });
    if (running) {
      const cancel = h('button', { type: 'button', class: 'secondary', 'aria-describedby': titleId }, 'Cancel');
      cancel.addEventListener('click', () => {
        cancel.disabled = true;
        cancel.textContent = 'Cancelling…';
        void this.onCancel(job).finally(() => {
          cancel.disabled = false;
          cancel.textContent = 'Cancel';
        });
      });
      actions.append(cancel);
    }
    if (card.video?.src)
      actions.append(
        h('a', { href: card.video.src, class: 'button secondary', download: `${job.jobId}.mp4`, 'aria-describedby': titleId }, 'Download'),
      );
    body.append(actions);

    // Replace the text part; the preview (and a playing video) stays the same node.
    const focusedAction =
      element.contains(document.activeElement) && document.activeElement?.closest('.actions')
        ? (document.activeElement as HTMLElement).textContent
        : undefined;
    const article = element.querySelector('article') ?? h('article', { 'aria-labelledby': titleId });
    if (!article.parentNode) element.append(article);
    if (preview.parentNode !== article) article.prepend(preview);
    article.querySelector('.job-body')?.remove();
    article.append(body);
    if (focusedAction) {
      [...body.querySelectorAll<HTMLElement>('.actions > *')].find((a) => a.textContent === focusedAction)?.focus();
    }
  }

  private attachVideo(card: Card, job: Job, preview: HTMLElement, prompt: string): void {
    const video = h('video', {
      controls: true,
      preload: 'metadata',
      playsinline: true,
      muted: true,
      'aria-label': `Video: ${prompt.slice(0, 80)}`,
    });
    card.video = video;
    preview.dataset.status = job.status;
    replaceChildren(preview, video);
    const load = async () => {
      const { url } = await this.api.outputUrl(job.jobId, 'video');
      video.src = url;
      if (job.outputs?.thumbnail) video.poster = (await this.api.outputUrl(job.jobId, 'thumbnail')).url;
      // The download link appears with the URL.
      this.update(card, job);
    };
    video.addEventListener('error', () => {
      // Signed URLs expire: fetch a fresh one, once.
      if (card.refreshed) return;
      card.refreshed = true;
      void load().catch(() => undefined);
    });
    void load().catch(() => {
      replaceChildren(preview, h('div', { class: 'placeholder' }, 'Preview unavailable'));
    });
  }
}
