// Parses the `[sim:<fault>]` directives that tests embed in a prompt. Dialect-neutral: a dialect decides
// what a provider code means and which failure text a content-policy failure carries.

/** A create attempt the simulator refuses before a task exists. */
export type SubmitRejection = { kind: 'provider-code'; code: string; times: number } | { kind: 'http'; status: number; times: number };

export type TerminalFailure = { kind: 'content-policy' } | { kind: 'message'; message: string };

export interface FaultPlan {
  /** Applied in order: the first `times` attempts get the first rejection, and so on. */
  rejections: SubmitRejection[];
  failure: TerminalFailure | null;
  noCallback: boolean;
  duplicateCallback: boolean;
  latencyMs: number | null;
  /**
   * How many of the task's video downloads are cut short (the full Content-Length declared, the connection closed
   * after half): `[sim:truncated-download]` every one (EVERY_DOWNLOAD), `[sim:truncated-downloadx<N>]` the first N.
   */
  truncatedDownloads: number;
  /** How many of the task's video downloads are answered 500 (`[sim:download-error]` every one, `x<N>` the first N). */
  failedDownloads: number;
  expiredUrl: boolean;
  /** The task reaches 'processing' and never finishes. */
  stuck: boolean;
  /** The create is accepted (the task exists and runs), but its answer never arrives: the connection is dropped. */
  lostResponse: boolean;
  /** The task's outputs are removed as soon as it ends (where a provider removes outputs: Replicate). */
  dataRemoved: boolean;
  /** Milliseconds the create's answer is held back (a slow provider); null: answered at once. */
  answerDelayMs: number | null;
  /** Callbacks arrive out of order: the terminal one first, the progress ones after it. */
  reorderCallbacks: boolean;
}

export interface FaultParseResult {
  plan: FaultPlan;
  /** Directives that could not be understood, quoted as written. */
  problems: string[];
}

/** A download fault that hits every download of the task. */
export const EVERY_DOWNLOAD = Number.MAX_SAFE_INTEGER;
const DOWNLOAD_FAULT = /^(truncated-download|download-error)(?:x(\d+))?$/;
const DOWNLOAD_FAULTS = { 'truncated-download': 'truncatedDownloads', 'download-error': 'failedDownloads' } as const;

const DIRECTIVE = /\[sim:([^\]]*)\]/g;
const HTTP_STATUS = /^http(\d{3})(?:x(\d+))?$/;
const PROVIDER_CODE = /^(\d+|[A-Z][A-Z0-9_]*)(?:x(\d+))?$/;
const FLAGS = {
  'no-callback': 'noCallback',
  'duplicate-callback': 'duplicateCallback',
  'expired-url': 'expiredUrl',
  stuck: 'stuck',
  'lost-response': 'lostResponse',
  'data-removed': 'dataRemoved',
  'reorder-callbacks': 'reorderCallbacks',
} as const;

export function emptyFaultPlan(): FaultPlan {
  return {
    rejections: [],
    failure: null,
    noCallback: false,
    duplicateCallback: false,
    latencyMs: null,
    truncatedDownloads: 0,
    failedDownloads: 0,
    expiredUrl: false,
    stuck: false,
    lostResponse: false,
    dataRemoved: false,
    answerDelayMs: null,
    reorderCallbacks: false,
  };
}

export function parseFaultDirectives(text: string | null | undefined): FaultParseResult {
  const plan = emptyFaultPlan();
  const problems: string[] = [];
  for (const match of (text ?? '').matchAll(DIRECTIVE)) {
    const directive = (match[1] ?? '').trim();
    if (!applyDirective(plan, directive)) problems.push(match[0]);
  }
  return { plan, problems };
}

function applyDirective(plan: FaultPlan, directive: string): boolean {
  if (directive in FLAGS) {
    plan[FLAGS[directive as keyof typeof FLAGS]] = true;
    return true;
  }
  const download = DOWNLOAD_FAULT.exec(directive);
  if (download) {
    const times = download[2] === undefined ? EVERY_DOWNLOAD : parseTimes(download[2]);
    if (times === null) return false;
    plan[DOWNLOAD_FAULTS[download[1] as keyof typeof DOWNLOAD_FAULTS]] = times;
    return true;
  }
  if (directive === 'content-policy') {
    plan.failure = { kind: 'content-policy' };
    return true;
  }
  if (directive.startsWith('fail=')) {
    const message = directive.slice('fail='.length).trim();
    if (!message) return false;
    plan.failure = { kind: 'message', message };
    return true;
  }
  if (directive.startsWith('delay=')) {
    const delay = Number(directive.slice('delay='.length));
    if (!Number.isInteger(delay) || delay < 0) return false;
    plan.answerDelayMs = delay;
    return true;
  }
  if (directive.startsWith('latency=')) {
    const latency = Number(directive.slice('latency='.length));
    if (!Number.isInteger(latency) || latency < 0) return false;
    plan.latencyMs = latency;
    return true;
  }
  const http = HTTP_STATUS.exec(directive);
  if (http) {
    const status = Number(http[1]);
    const times = parseTimes(http[2]);
    if (status < 400 || status > 599 || times === null) return false;
    plan.rejections.push({ kind: 'http', status, times });
    return true;
  }
  const code = PROVIDER_CODE.exec(directive);
  if (code) {
    const times = parseTimes(code[2]);
    if (times === null) return false;
    plan.rejections.push({ kind: 'provider-code', code: code[1] ?? '', times });
    return true;
  }
  return false;
}

function parseTimes(raw: string | undefined): number | null {
  if (raw === undefined) return 1;
  const times = Number(raw);
  return Number.isInteger(times) && times >= 1 ? times : null;
}

/** The rejection for the given zero-based attempt, or null once all rejections are used up. */
export function rejectionForAttempt(plan: FaultPlan, attempt: number): SubmitRejection | null {
  let remaining = attempt;
  for (const rejection of plan.rejections) {
    if (remaining < rejection.times) return rejection;
    remaining -= rejection.times;
  }
  return null;
}
