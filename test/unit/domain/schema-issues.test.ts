// One cause per field: a wrong type is not also told a length limit of another type, a huge number is told the
// field's own bound, and a refused metadata key says why.
import { describe, expect, it } from 'vitest';
import { parseLeniently } from '../../../lambdas/domain/job.ts';
import { meaningfulIssues } from '../../../lambdas/domain/schema-issues.ts';
import * as z from '../../../lambdas/domain/zod.ts';
import { zodDetails } from '../../../lambdas/http/responses.ts';
import { planUpload } from '../../../lambdas/jobs/plan-upload.ts';

const problemsOf = (body: unknown) => parseLeniently(body).problems;

describe('schema issues as problems', () => {
  it.each([
    [{ shots: 'abcdefgh' }, 'shots', 'Invalid input: expected array, received string'],
    [{ shots: '' }, 'shots', 'Invalid input: expected array, received string'],
    [{ referenceImages: 'abcdefghij' }, 'referenceImages', 'Invalid input: expected array, received string'],
    [{ prompt: [] }, 'prompt', 'Invalid input: expected string, received array'],
    [{ model: [] }, 'model', 'Invalid input: expected string, received array'],
  ])('a wrong type is the one problem of its field: %j', (body, path, message) => {
    expect(problemsOf(body)).toEqual([{ path, message }]);
  });

  it('a number past 2^53 is told the field bound, not zod’s safe-integer bound', () => {
    expect(problemsOf({ prompt: 'x', durationSeconds: 1e21 })).toEqual([
      { path: 'durationSeconds', message: 'Too big: expected number to be <=600' },
    ]);
    expect(problemsOf({ prompt: 'x', fps: 1e308 })).toEqual([{ path: 'fps', message: 'Too big: expected number to be <=120' }]);
  });

  it('the safe-integer bound stays when it is the only problem of its field', () => {
    const schema = z.object({ n: z.int() });
    const parsed = schema.safeParse({ n: 2 ** 60 });
    expect(parsed.success).toBe(false);
    expect(meaningfulIssues(parsed.error!.issues).map((issue) => issue.path.join('.'))).toEqual(['n']);
  });

  it('a refused metadata key says why', () => {
    const key = 'k'.repeat(129);
    expect(problemsOf({ prompt: 'x', metadata: { [key]: 'v' } })).toEqual([
      { path: `metadata.${key}`, message: 'Invalid key in record: Too big: expected string to have <=128 characters' },
    ]);
  });

  it.each([
    [{ prompt: '\u00a0\u3000 ' }, 'prompt'],
    [{ prompt: '' }, 'prompt'],
    [{ shots: [{ prompt: '\t\n', durationSeconds: 5 }] }, 'shots.0.prompt'],
    [{ prompt: 'x', voice: { description: '  ' } }, 'voice.description'],
  ])('an empty or whitespace-only text says so: %j', (body, path) => {
    expect(problemsOf(body)).toEqual([{ path, message: 'is empty or only whitespace; write at least one character' }]);
  });

  it('problems of other fields are all kept, each once', () => {
    expect(problemsOf({ shots: 'abcdefgh', prompt: [], durationSeconds: -1 })).toEqual([
      { path: 'prompt', message: 'Invalid input: expected string, received array' },
      { path: 'durationSeconds', message: 'Too small: expected number to be >0' },
      { path: 'shots', message: 'Invalid input: expected array, received string' },
    ]);
  });

  it('upload tickets and HTTP details read issues the same way', () => {
    const plan = planUpload(
      { enabledProviders: ['kling'], defaultProvider: 'kling', allowLoopbackCallbackUrls: false, capabilitiesOf: () => undefined },
      { fileName: 'a.png', contentType: 'image/png', bytes: 1e21 },
      'inputs',
    );
    expect(plan.ok).toBe(false);
    expect(plan.ok ? [] : plan.details.filter((d) => d.path === 'bytes')).toHaveLength(1);
    const parsed = z.object({ shots: z.array(z.string()).check(z.maxLength(6)) }).safeParse({ shots: 'abcdefgh' });
    expect(zodDetails(parsed.error!)).toEqual([{ path: 'shots', message: 'Invalid input: expected array, received string' }]);
  });
});
