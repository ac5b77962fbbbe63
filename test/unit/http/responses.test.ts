// Error answers (lambdas/http/responses.ts): a hostile body with a million problems gets a small answer that still
// names the first of them and counts the rest.
import { describe, expect, it } from 'vitest';
import { boundedDetails, errorResponse, MAX_DETAIL_CHARS, MAX_ERROR_DETAILS } from '../../../lambdas/http/responses.ts';

describe('error answers', () => {
  it('list at most MAX_ERROR_DETAILS details and count the rest in one more', () => {
    const details = Array.from({ length: 1_000_000 }, (_, i) => ({ path: String(i), message: 'is not a field the API takes' }));
    const answer = errorResponse(422, 'VALIDATION_FAILED', 'the job request is not valid', details);
    expect(answer.body!.length).toBeLessThan(10_000);
    const shown = JSON.parse(answer.body!).error.details as Array<{ path: string; message: string }>;
    expect(shown).toHaveLength(MAX_ERROR_DETAILS + 1);
    expect(shown[0]).toEqual({ path: '0', message: 'is not a field the API takes' });
    expect(shown.at(-1)).toEqual({ path: 'body', message: `and ${1_000_000 - MAX_ERROR_DETAILS} more problems` });
  });

  it('cut a path or message longer than MAX_DETAIL_CHARS, and leave short ones and short lists as they are', () => {
    const long = 'k'.repeat(MAX_DETAIL_CHARS * 50);
    const [detail] = boundedDetails([{ path: long, message: `Unrecognized keys: ${long}` }]);
    expect(detail!.path).toHaveLength(MAX_DETAIL_CHARS);
    expect(detail!.path.endsWith('…')).toBe(true);
    expect(detail!.message).toHaveLength(MAX_DETAIL_CHARS);
    const few = [
      { path: 'prompt', message: 'is required' },
      { path: 'durationSeconds', message: 'must be 5 or 10' },
    ];
    expect(boundedDetails(few)).toEqual(few);
    expect(boundedDetails([...few, ...few].slice(0, MAX_ERROR_DETAILS + 1))).toHaveLength(4);
  });
});
