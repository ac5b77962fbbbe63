// The shared reading of task results (task-results.ts), over the messages each adapter's own tests and the
// simulator's dialects use, so one rule answers for all of them.
import { describe, expect, it } from 'vitest';
import { isWellFormedText } from '../../../lambdas/domain/job.ts';
import {
  CONTENT_POLICY_PATTERN,
  looksLikeContentPolicy,
  nonNegativeNumber,
  MAX_PROVIDER_MESSAGE_CHARS,
  providerTaskFailure,
} from '../../../lambdas/providers/task-results.ts';

// [where the message comes from, the message]
const MODERATION: [string, string][] = [
  ['kling', 'Failure to pass the risk control system'],
  ['kling', 'The content security policy was triggered'],
  ['kling', 'blocked by moderation'],
  ['kling', 'risk control'],
  ['kling simulator', "Failure to pass the risk control system: the content violates the platform's content security policy"],
  ['kling-v3-rest', 'Prompt triggered content filter'],
  ['kling-v3-rest', 'CONTENT_POLICY_VIOLATION: blocked'],
  ['kling-ai', 'Prompt rejected: content policy violation'],
  ['kling-ai', 'NSFW content detected'],
  ['kling-ai', 'CONTENT_POLICY_VIOLATION'],
  ['kling-ai simulator', 'Generation blocked: the prompt or the generated content violates the content policy'],
  ['kling3api', 'Generation failed: the content violates the content policy'],
  ['kling3api', 'blocked by risk control'],
  ['kling3api simulator', 'Generation failed: the content violates the content policy (risk control)'],
  ['klinggenerator', 'content_policy_violation: refused by moderation'],
  ['klinggenerator', 'The prompt violates our content policy'],
  ['klinggenerator', 'CONTENT_POLICY_VIOLATION: prompt refused'],
  ['klinggenerator simulator', 'content_policy_violation: The prompt was refused by content moderation'],
  ['replicate', 'The input was flagged as sensitive (E005)'],
  ['replicate', 'The input or output was flagged as sensitive. (E005)'],
  ['replicate simulator', 'The input was flagged as sensitive content.'],
  ['fal', 'flagged by the content checker'],
  ['fal', 'flagged'],
  ['fal simulator', 'The content could not be processed because it was flagged by a content checker.'],
  // Phrases one adapter's own pattern knew, now recognised for all of them.
  ['kling', 'content-risk detected'],
  ['kling3api', 'CONTENT_MODERATION'],
  ['kling-ai', 'unsafe content'],
  ['kling-ai', 'prohibited subject'],
  ['klinggenerator', 'the video was moderated'],
  ['klinggenerator', 'SENSITIVE_CONTENT'],
  ['replicate', 'E005'],
  ['replicate', 'blocked by the safety checker'],
  ['replicate', 'safety filter triggered'],
  ['fal', 'content/policy'],
];

const OTHER_FAILURES: [string, string][] = [
  ['kling', 'internal render failure'],
  ['kling-v3-rest', 'RENDER_FAILED: failed at 80%'],
  ['kling-ai', 'INVALID_PROMPT: prompt too long'],
  ['kling-ai', 'unsupported parameters'],
  ['kling-ai', 'INSUFFICIENT_CREDITS'],
  ['kling3api', 'render node crashed'],
  ['kling3api', 'upstream timeout'],
  ['klinggenerator', 'generation_failed: renderer crashed'],
  ['klinggenerator', 'GPU out of memory'],
  ['klinggenerator', 'duration must be 5-120'],
  ['klinggenerator', 'Job not found'],
  ['replicate', 'CUDA out of memory'],
  ['replicate', 'input.duration: must be one of 5, 10'],
  ['replicate', 'Bad request'],
  ['fal', 'field required'],
  ['fal', 'prompt is too long'],
  ['fal', 'User is locked. Reason: Exhausted balance.'],
  ['fal', 'Concurrency limit exceeded'],
  // `sensitive`, `violat...` and `moderat...` in their everyday senses.
  ['any', 'task ids are case-sensitive'],
  ['any', 'model names are case insensitive'],
  ['any', 'a time-sensitive request expired'],
  ['any', 'RATE_LIMIT_VIOLATION'],
  ['any', 'quota violation: too many jobs today'],
  ['any', 'schema violation at input.duration'],
  ['kling-ai', 'voice_description: Friendly male voice, American accent, moderate pace'],
];

describe('looksLikeContentPolicy', () => {
  it.each(MODERATION)('%s: %s is moderation', (_source, message) => {
    expect(looksLikeContentPolicy(message)).toBe(true);
    expect(looksLikeContentPolicy(message.toUpperCase())).toBe(true);
  });

  it.each(OTHER_FAILURES)('%s: %s is not moderation', (_source, message) => {
    expect(looksLikeContentPolicy(message)).toBe(false);
  });

  it('reads nothing into an absent or empty text', () => {
    expect(looksLikeContentPolicy(undefined)).toBe(false);
    expect(looksLikeContentPolicy(null)).toBe(false);
    expect(looksLikeContentPolicy('')).toBe(false);
  });

  it('exports a stateless pattern (no g or y flag), so a table of patterns can hold it', () => {
    expect(CONTENT_POLICY_PATTERN.global || CONTENT_POLICY_PATTERN.sticky).toBe(false);
    expect([CONTENT_POLICY_PATTERN.test('nsfw'), CONTENT_POLICY_PATTERN.test('nsfw')]).toEqual([true, true]);
  });
});

describe('providerTaskFailure', () => {
  const FALLBACK = 'the provider reported the task failed without a reason';

  it.each(MODERATION)('%s: %s is CONTENT_POLICY, not retryable', (_source, message) => {
    expect(providerTaskFailure(message, FALLBACK)).toEqual({ code: 'CONTENT_POLICY', message, retryable: false });
  });

  it.each(OTHER_FAILURES)('%s: %s is PROVIDER_FAILED, not retryable', (_source, message) => {
    expect(providerTaskFailure(message, FALLBACK)).toEqual({ code: 'PROVIDER_FAILED', message, retryable: false });
  });

  it('trims the message', () => {
    expect(providerTaskFailure('  risk control \n', FALLBACK)).toEqual({
      code: 'CONTENT_POLICY',
      message: 'risk control',
      retryable: false,
    });
  });

  it('keeps a reason a person reads: a 900 KB message is cut to 1000 characters, moderation wording found anywhere', () => {
    const huge = `${'e'.repeat(900_000)} flagged by the safety filter`;
    const error = providerTaskFailure(huge, FALLBACK);
    expect(error.code).toBe('CONTENT_POLICY');
    expect(Array.from(error.message)).toHaveLength(MAX_PROVIDER_MESSAGE_CHARS);
    expect(error.message.endsWith('e…')).toBe(true);
    expect(providerTaskFailure('x'.repeat(MAX_PROVIDER_MESSAGE_CHARS), FALLBACK).message).toBe('x'.repeat(MAX_PROVIDER_MESSAGE_CHARS));
  });

  it('never cuts a character in half, and replaces a lone surrogate', () => {
    const emoji = providerTaskFailure('🎬'.repeat(2000), FALLBACK).message;
    expect(isWellFormedText(emoji)).toBe(true);
    expect(Array.from(emoji)).toHaveLength(MAX_PROVIDER_MESSAGE_CHARS);
    expect(providerTaskFailure('bad \ud800 thing', FALLBACK).message).toBe('bad \ufffd thing');
  });

  it.each([undefined, null, '', '   '])('uses the fallback message for %j', (message) => {
    expect(providerTaskFailure(message, FALLBACK)).toEqual({ code: 'PROVIDER_FAILED', message: FALLBACK, retryable: false });
  });
});

describe('nonNegativeNumber', () => {
  it.each<[string | number, number]>([
    [400, 400],
    [0, 0],
    ['2', 2],
    [' 1.5 ', 1.5],
    ['0', 0],
    [144, 144],
  ])('reads %j as %d', (value, expected) => {
    expect(nonNegativeNumber(value)).toBe(expected);
  });

  it.each<[string | number | null | undefined]>([
    [undefined],
    [null],
    [''],
    ['   '],
    ['-1'],
    [-0.5],
    ['abc'],
    ['Infinity'],
    [Number.NaN],
    ['1e999'],
  ])('ignores %j', (value) => {
    expect(nonNegativeNumber(value)).toBeUndefined();
  });
});
