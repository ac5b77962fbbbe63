// What every adapter does the same way when it reads a provider's account of a task: tell from a failure's wording
// whether moderation refused it, turn a failed task's reason into the job's error, and read the non-negative numbers
// (credits charged) that providers send as a number or as a string.
import { errorCodeOf } from '../domain/errors.ts';
import { type JobError, wellFormedText } from '../domain/job.ts';

/**
 * Wording that means a moderation refusal, in a message or a code. No provider's public documentation gives its exact
 * text, so this is the union of the phrases Kling, its resellers, fal and Replicate use: risk control, content
 * security / safety / risk / policy / moderation / filter / violation, safety filter / check / system / policy,
 * moderation (moderated, moderator), NSFW, unsafe, prohibited, flagged, Replicate's E005, sensitive, violates.
 * Two words are common outside moderation too, so their other uses are left out: `sensitive` in "case-sensitive",
 * "time-sensitive" and "insensitive", and `violat...` after rate, limit, quota, concurrency, constraint, schema or
 * parameter ("rate limit violation"). Separators between words may be spaces, `_` or `-` (codes and prose alike).
 */
export const CONTENT_POLICY_PATTERN = new RegExp(
  [
    String.raw`risk[\s_-]*control`,
    String.raw`content.?[\s_-]*(?:security|safety|risk|policy|moderation|filter|violation)`,
    String.raw`safety[\s_-]*(?:filter|check|system|policy)`,
    'moderat(?:ion|ed|ing|or)',
    String.raw`nsfw|unsafe|prohibited|flagged|\bE005\b`,
    String.raw`(?<![a-z]|(?:case|time)[\s_-]*)sensitive`,
    String.raw`(?<!(?:rate|limit|quota|concurrency|constraint|schema|parameter)[\s_-]*)violat`,
  ].join('|'),
  'i',
);

/** Whether a provider's message (or code) says moderation refused the request. */
export function looksLikeContentPolicy(text: string | null | undefined): boolean {
  return text ? CONTENT_POLICY_PATTERN.test(text) : false;
}

/**
 * Characters of a provider's failure message kept in the job's error. A message is the provider's text, of any
 * length (a signed callback may carry up to the callback body limit): the job record, the workflow's payloads
 * (256 KB) and DynamoDB's items (400 KB) are not the place for more than a reason a person reads.
 */
export const MAX_PROVIDER_MESSAGE_CHARS = 1000;

/** `text` well-formed (a lone surrogate becomes U+FFFD) and at most `max` code points, `…` marking a cut. */
function readableText(text: string, max: number): string {
  const points = Array.from(wellFormedText(text));
  return points.length > max ? `${points.slice(0, max - 1).join('')}…` : points.join('');
}

/**
 * A failed task as the job's error: `CONTENT_POLICY` when the provider's message reads as moderation, else
 * `PROVIDER_FAILED`; never retryable (the same request would fail the same way). A missing or blank message is
 * replaced by `fallbackMessage`, which should say who failed and that no reason was given. The message is kept to
 * {@link MAX_PROVIDER_MESSAGE_CHARS} characters, well-formed (the whole of it is read for moderation wording).
 */
export function providerTaskFailure(message: string | null | undefined, fallbackMessage: string): JobError {
  const said = message?.trim();
  if (!said) return { code: 'PROVIDER_FAILED', message: fallbackMessage, retryable: false };
  return {
    code: looksLikeContentPolicy(said) ? errorCodeOf('content_policy') : 'PROVIDER_FAILED',
    message: readableText(said, MAX_PROVIDER_MESSAGE_CHARS),
    retryable: false,
  };
}

/**
 * A count a provider reports as a number or a numeric string (credits charged, units deducted). Anything that is not
 * a finite number of at least 0 (absent, blank, negative, not numeric) is `undefined`, so it is ignored, not guessed.
 */
export function nonNegativeNumber(value: string | number | null | undefined): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = String(value).trim();
  if (text === '') return undefined;
  const number = Number(text);
  return Number.isFinite(number) && number >= 0 ? number : undefined;
}
