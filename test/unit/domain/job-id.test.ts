import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hashRequest, jobIdForIdempotencyKey, newJobId } from '../../../lambdas/domain/job-id.ts';

/** A valid Step Functions execution name, as the job id must be. */
const EXECUTION_NAME = /^[A-Za-z0-9_-]{1,80}$/;
/** Crockford base32, lower case: no i, l, o, u. */
const CROCKFORD = '[0-9a-hjkmnp-tv-z]';

describe('newJobId', () => {
  it('is job_ + 10 time characters + 16 random characters of Crockford base32, and a valid execution name', () => {
    const id = newJobId(new Date('2025-06-01T12:00:00.000Z'));
    expect(id).toMatch(new RegExp(`^job_${CROCKFORD}{26}$`));
    expect(id).toMatch(EXECUTION_NAME);
  });

  it.each([
    [0, 'job_0000000000'],
    [1, 'job_0000000004'], // the 48 time bits end in the top 3 bits of the 10th character
    [2 ** 48 - 1, 'job_zzzzzzzzzw'],
  ])('encodes %d ms as the prefix %s', (ms, prefix) => {
    const id = newJobId(new Date(ms));
    expect(id.slice(0, prefix.length)).toBe(prefix);
    expect(id).toMatch(EXECUTION_NAME);
  });

  it('sorts by creation time as plain strings', () => {
    const times = [
      0,
      1,
      31,
      32,
      255,
      256,
      Date.parse('2024-12-31T23:59:59.999Z'),
      Date.parse('2025-01-01T00:00:00.000Z'),
      Date.parse('2025-01-01T00:00:00.001Z'),
      Date.parse('2038-01-19T03:14:08.000Z'),
      Date.parse('2100-01-01T00:00:00.000Z'),
    ];
    const ids = times.map((ms) => newJobId(new Date(ms)));
    const shuffled = [...ids].reverse();
    expect(shuffled.sort()).toEqual(ids);
  });

  it('is unique within one millisecond', () => {
    const now = new Date('2025-06-01T12:00:00.000Z');
    const ids = new Set(Array.from({ length: 2000 }, () => newJobId(now)));
    expect(ids.size).toBe(2000);
    // ... and the ids of one millisecond share their time prefix.
    expect(new Set([...ids].map((id) => id.slice(0, 14))).size).toBe(1);
  });

  it('uses the current time when no date is given', () => {
    const before = newJobId(new Date(Date.now() - 1));
    const id = newJobId();
    const after = newJobId(new Date(Date.now() + 1000));
    expect(before.slice(0, 14) <= id.slice(0, 14)).toBe(true);
    expect(id.slice(0, 14) <= after.slice(0, 14)).toBe(true);
  });
});

describe('jobIdForIdempotencyKey', () => {
  it('is deterministic and a valid execution name', () => {
    const id = jobIdForIdempotencyKey('arn:aws:iam::123456789012:user/alice', 'order-42');
    expect(id).toBe(jobIdForIdempotencyKey('arn:aws:iam::123456789012:user/alice', 'order-42'));
    expect(id).toMatch(new RegExp(`^job_k${CROCKFORD}{32}$`));
    expect(id).toMatch(EXECUTION_NAME);
  });

  it('is scoped to the caller: the same key from two callers gives two ids', () => {
    expect(jobIdForIdempotencyKey('alice', 'order-42')).not.toBe(jobIdForIdempotencyKey('bob', 'order-42'));
  });

  it('gives different keys different ids', () => {
    expect(jobIdForIdempotencyKey('alice', 'order-42')).not.toBe(jobIdForIdempotencyKey('alice', 'order-43'));
  });

  it('does not confuse where the caller ends and the key begins', () => {
    expect(jobIdForIdempotencyKey('ab', 'c')).not.toBe(jobIdForIdempotencyKey('a', 'bc'));
  });

  it('stays a valid execution name for the longest key the API accepts', () => {
    expect(jobIdForIdempotencyKey('anonymous', '~'.repeat(255))).toMatch(EXECUTION_NAME);
  });

  it('cannot collide with a time-ordered id of today', () => {
    // newJobId starts with the time (first character '0' until the year 10889); keyed ids start with 'k'.
    expect(newJobId().startsWith('job_k')).toBe(false);
  });
});

describe('hashRequest', () => {
  const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

  it('is the SHA-256 of the JSON with keys sorted', () => {
    expect(hashRequest({ prompt: 'a cat', durationSeconds: 5 })).toBe(sha256('{"durationSeconds":5,"prompt":"a cat"}'));
    expect(hashRequest({ b: 1, a: 2 })).toMatch(/^[0-9a-f]{64}$/);
  });

  it('does not depend on key order, at any depth', () => {
    const a = {
      prompt: 'x',
      image: { url: 'https://e.com/a.png' },
      metadata: { z: '1', a: '2' },
      shots: [{ prompt: 'p', durationSeconds: 5 }],
    };
    const b = {
      shots: [{ durationSeconds: 5, prompt: 'p' }],
      metadata: { a: '2', z: '1' },
      image: { url: 'https://e.com/a.png' },
      prompt: 'x',
    };
    expect(hashRequest(a)).toBe(hashRequest(b));
  });

  it('ignores undefined fields, at any depth', () => {
    expect(hashRequest({ prompt: 'x', model: undefined })).toBe(hashRequest({ prompt: 'x' }));
    expect(hashRequest({ image: { url: 'u', extra: undefined } })).toBe(hashRequest({ image: { url: 'u' } }));
  });

  it.each<[unknown, unknown, string]>([
    [{ prompt: 'x' }, { prompt: 'y' }, 'a different value'],
    [{ prompt: 'x' }, { prompt: 'x', audio: false }, 'an extra field (false is not undefined)'],
    [{ prompt: 'x', model: null }, { prompt: 'x' }, 'null is not absent'],
    [{ durationSeconds: 5 }, { durationSeconds: '5' }, 'a number and its string'],
    [{ shots: [1, 2] }, { shots: [2, 1] }, 'array order'],
    [{ a: { b: 1 } }, { 'a.b': 1 }, 'nesting'],
  ])('tells %j from %j (%s)', (left, right) => {
    expect(hashRequest(left)).not.toBe(hashRequest(right));
  });
});
