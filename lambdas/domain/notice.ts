// The notice a finished job sends (docs/api.md, "Notices"): a subject and body a person can read, and attributes
// subscribers can filter on. Its download links are share links (share-link.ts): they open in a browser with no
// credentials, and the API signs a fresh S3 URL on each click.
import { type Job, wellFormedText } from './job.ts';
import { counted } from './counted.ts';

export interface Notice {
  subject: string;
  message: string;
  attributes: { status: string; provider: string };
}

const seconds = (from?: string, to?: string): string | undefined => {
  if (!from || !to) return undefined;
  const ms = Date.parse(to) - Date.parse(from);
  return Number.isFinite(ms) ? `${Math.round(ms / 1000)} s` : undefined;
};

function costLine(job: Job): string | undefined {
  if (!job.cost) return undefined;
  const parts = [
    job.cost.credits !== undefined ? counted(job.cost.credits, 'credit') : undefined,
    job.cost.usd !== undefined ? `$${job.cost.usd.toFixed(2)}` : undefined,
  ].filter(Boolean);
  if (!parts.length) return undefined;
  return `${parts.join(' / ')}${job.cost.estimated ? ' (estimated)' : ''}`;
}

/** The links a notice carries: the job in the API, and share links of its outputs (a successful job's). */
export interface NoticeLinks {
  /** `GET /v1/jobs/{jobId}` (needs the API's credentials). */
  details: string;
  /** Share links: no credentials needed. */
  video?: string;
  thumbnail?: string;
}

/** The notice of a finished job. Fields a caller wrote (the prompt) cannot add lines. */
export function formatNotice(job: Job, links: NoticeLinks): Notice {
  const lines: [string, string | undefined][] = [
    ['Job', job.jobId],
    ['Status', job.status],
    ['Prompt', job.request.prompt ?? `(${job.mode})`],
    ['Provider', job.provider],
    ['Model', job.model],
    ['Mode', job.mode],
    ['Video length', `${job.request.durationSeconds} s`],
    ['Took', seconds(job.createdAt, job.finishedAt)],
    ['Cost', costLine(job)],
    ['Reason', job.error ? `${job.error.message} (${job.error.code})` : undefined],
    ['Download', job.status === 'SUCCEEDED' ? links.video : undefined],
    ['Thumbnail', job.status === 'SUCCEEDED' ? links.thumbnail : undefined],
    ['Details', links.details],
  ];
  const message = lines
    .filter((line): line is [string, string] => line[1] !== undefined)
    // One line per field whatever the caller wrote: a prompt cannot add a line such as a fake "Download:". A lone
    // surrogate (from a provider's error text, say) becomes U+FFFD: SNS cannot encode one, and the notice would be lost.
    .map(([label, value]) => `${label}: ${wellFormedText(value.replace(/[\r\n\u2028\u2029]+/g, ' '))}`)
    .join('\n');
  // SNS subjects: at most 100 printable ASCII characters.
  const subject = `klingflow job ${job.jobId} ${job.status}`.replace(/[^\x20-\x7e]/g, '').slice(0, 100);
  return { subject, message, attributes: { status: job.status, provider: job.provider } };
}
