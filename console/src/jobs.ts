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
export function costText(cost: Job['cost'], running = false): string {
  if (!cost) return running ? 'Cost: no estimate' : 'Cost: not reported';
  const parts = [
    cost.credits !== undefined
      ? `${cost.credits.toLocaleString('en-US', { maximumFractionDigits: 2 })} ${cost.credits === 1 ? 'credit' : 'credits'}`
      : '',
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

/** How long a finished job took, from creation to its end. */
function took(job: Job): string {
  const seconds = Math.max(0, Math.round((Date.parse(job.finishedAt ?? job.updatedAt) - Date.parse(job.createdAt)) / 1000));
  return seconds < 120 ? `${seconds} s` : `${Math.round(seconds / 60)} min`;
}

/** A job's progress in percent: the provider's figure while it runs, 100 once it has succeeded. */
function percentOf(job: Job): number {
  if (job.status === 'SUCCEEDED') return 100;
  return Math.max(0, Math.min(100, Math.round(job.progress ?? 0)));
}

interface Card {
  element: HTMLLIElement;
  status: Status;
  /** The parts a refresh changes, made once so that focus and a playing preview survive every refresh. */
  parts: {
    preview: HTMLElement;
    badge: HTMLElement;
    progress: HTMLProgressElement;
    percent: HTMLElement;
    cost: HTMLElement;
    error: HTMLElement;
    when: HTMLTimeElement;
    cancel: HTMLButtonElement;
    download: HTMLAnchorElement;
  };
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
    // Keep the DOM in the list's order, moving only what is out of place.
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

  /** A job's card: what never changes (prompt, settings, id) is written once. */
  private create(job: Job): Card {
    const titleId = `title-${job.jobId}`;
    const prompt = job.request.prompt ?? '(no prompt)';
    const meta = [
      job.provider,
      job.model,
      job.request.durationSeconds ? `${job.request.durationSeconds} s` : '',
      job.request.aspectRatio,
      job.request.resolution ?? job.request.quality,
    ]
      .filter(Boolean)
      .join(' · ');
    const parts: Card['parts'] = {
      preview: h('div', { class: 'preview' }),
      badge: h('span', { class: 'badge' }),
      progress: h('progress', { max: 100, value: 0, 'aria-label': `Progress of "${prompt.slice(0, 60)}"` }),
      percent: h('span', { class: 'percent', 'aria-hidden': 'true' }),
      cost: h('p', { class: 'cost' }),
      error: h('p', { class: 'job-error', hidden: true }),
      when: h('time', { datetime: job.createdAt, title: new Date(job.createdAt).toLocaleString() }),
      cancel: h('button', { type: 'button', class: 'secondary', 'aria-describedby': titleId }, 'Cancel'),
      download: h('a', { class: 'button secondary', download: `${job.jobId}.mp4`, 'aria-describedby': titleId, hidden: true }, 'Download'),
    };
    const element = h(
      'li',
      { class: 'job', 'data-job-id': job.jobId },
      h(
        'article',
        { 'aria-labelledby': titleId },
        parts.preview,
        h(
          'div',
          { class: 'job-body' },
          h('h3', { class: 'prompt', id: titleId, title: prompt }, prompt),
          h('p', { class: 'meta' }, meta),
          h('div', { class: 'status-row' }, parts.badge, parts.progress, parts.percent),
          parts.cost,
          parts.error,
          h('p', { class: 'when' }, parts.when, ' · ', h('code', {}, job.jobId)),
          h('div', { class: 'actions' }, parts.cancel, parts.download),
        ),
      ),
    );
    const card: Card = { element, status: job.status, parts };
    parts.cancel.addEventListener('click', () => {
      // aria-disabled, not disabled: a disabled button would drop the keyboard focus on the page's body.
      if (parts.cancel.getAttribute('aria-disabled') === 'true') return;
      parts.cancel.setAttribute('aria-disabled', 'true');
      parts.cancel.textContent = 'Cancelling…';
      void this.onCancel(job).finally(() => {
        parts.cancel.removeAttribute('aria-disabled');
        parts.cancel.textContent = 'Cancel';
      });
    });
    this.cards.set(job.jobId, card);
    this.root.append(element);
    return card;
  }

  private update(card: Card, job: Job): void {
    const { element, parts } = card;
    const percent = percentOf(job);
    const running = !isTerminal(job.status);
    card.status = job.status;
    element.dataset.status = job.status;

    parts.badge.className = `badge badge-${job.status.toLowerCase()}`;
    parts.badge.textContent = statusLabel(job.status);
    parts.progress.value = percent;
    parts.progress.setAttribute('aria-valuetext', `${percent} percent, ${statusLabel(job.status).toLowerCase()}`);
    parts.percent.textContent = `${percent}%`;
    parts.cost.textContent = costText(job.cost, running);
    const error = job.error && job.status !== 'SUCCEEDED' ? `${job.error.code}: ${job.error.message}` : '';
    parts.error.textContent = error;
    parts.error.hidden = !error;
    parts.when.textContent = running
      ? `started ${ago(job.createdAt)}`
      : `${ago(job.createdAt)}${job.finishedAt ? `, took ${took(job)}` : ''}`;
    if (!running && parts.cancel.isConnected) {
      // Focus would be lost with the button: keep it on the card's download link or title.
      const hadFocus = document.activeElement === parts.cancel;
      parts.cancel.remove();
      const title = element.querySelector<HTMLElement>('h3');
      if (hadFocus && title) {
        title.tabIndex = -1;
        title.focus();
      }
    }

    const { preview } = parts;
    if (job.status === 'SUCCEEDED' && job.outputs?.video) {
      if (!card.video) this.attachVideo(card, job, preview, job.request.prompt ?? job.jobId);
    } else if (preview.dataset.status !== job.status) {
      preview.dataset.status = job.status;
      replaceChildren(
        preview,
        h(
          'div',
          { class: `placeholder ${running ? 'busy' : ''}`, 'aria-hidden': 'true' },
          running ? h('span', { class: 'spinner' }) : statusLabel(job.status),
        ),
      );
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
      card.parts.download.href = url;
      card.parts.download.hidden = false;
      if (job.outputs?.thumbnail) video.poster = (await this.api.outputUrl(job.jobId, 'thumbnail')).url;
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
