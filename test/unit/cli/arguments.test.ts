// The CLI's value parsers (cli/arguments.ts): a job id must have the shape of one klingflow makes, so a typo is
// refused at once instead of waited for or sent.
import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { collect, parseJobId } from '../../../cli/arguments.ts';
import { jobIdForIdempotencyKey, newJobId } from '../../../lambdas/domain/job-id.ts';
import { jobIdForUpload } from '../../../lambdas/domain/uploads.ts';

describe('parseJobId', () => {
  it('takes every id klingflow makes: new, idempotency-keyed, and both kinds of upload job', () => {
    const ids = [
      newJobId(),
      newJobId(new Date(0)),
      jobIdForIdempotencyKey('caller', 'key-1'),
      jobIdForUpload({ bucket: 'inputs', key: 'uploads/up_abcdefghijklmnopqrstuvwxyz/cat.png' }),
      jobIdForUpload({ bucket: 'inputs', key: 'dropped/cat.png', versionId: 'v1' }),
    ];
    expect(ids.map((id) => id.slice(0, 5))).toEqual(['job_0', 'job_0', 'job_k', 'job_t', 'job_u']);
    for (const id of ids) expect(parseJobId(id)).toBe(id);
  });

  it.each([
    '',
    ' ',
    'foo',
    'job_',
    'job_1',
    `${newJobId()} `,
    newJobId().toUpperCase(),
    `${newJobId()}x`,
    'job_ilou0000000000000000000000', // not Crockford base32
    `job_t${'g'.repeat(40)}`, // not hex
    `job_x${'0'.repeat(40)}`,
  ])('refuses %j, saying what a job id looks like', (value) => {
    expect(() => parseJobId(value)).toThrow(InvalidArgumentError);
    expect(() => parseJobId(value)).toThrow(/job_ and 26 lower-case letters and digits.*job_t \/ job_u and 40 hex digits/);
  });

  it('checks each id of a variadic argument (watch <jobId...>)', () => {
    const id = newJobId();
    expect(collect(parseJobId)(id, [id])).toEqual([id, id]);
    expect(() => collect(parseJobId)('foo', [id])).toThrow(InvalidArgumentError);
  });
});
