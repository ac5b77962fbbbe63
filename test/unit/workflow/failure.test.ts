import { describe, expect, it } from 'vitest';
import { ProviderError, ValidationFailed } from '../../../lambdas/domain/errors.ts';
import { failureOf } from '../../../lambdas/workflow/failure.ts';
import type { FailurePayload, ProviderResult } from '../../../lambdas/workflow/contract.ts';

const JOB_ID = 'job_01jx3k5m7n9pqrstvwxyz01234';

/** A Lambda error as Step Functions catches it on AWS: Cause is JSON `{errorType, errorMessage, trace}`. */
function lambdaError(error: Error) {
  return {
    Error: error.name,
    Cause: JSON.stringify({
      errorType: error.name,
      errorMessage: error.message,
      trace: [`${error.name}: ${error.message}`, '    at handler (index.mjs:1:1)'],
    }),
  };
}

const failed = (error: FailurePayload['error']) => failureOf({ jobId: JOB_ID, error });
const finished = (result: ProviderResult) => failureOf({ jobId: JOB_ID, result });

describe('failureOf: provider errors', () => {
  it.each([
    ['ProviderInvalidRequest', 'INVALID', false],
    ['ProviderAuthFailed', 'AUTH', false],
    ['ProviderInsufficientCredits', 'INSUFFICIENT_CREDITS', false],
    ['ProviderContentPolicy', 'CONTENT_POLICY', false],
    ['ProviderRateLimited', 'RATE_LIMITED', true],
    ['ProviderConcurrencyLimited', 'CONCURRENCY_LIMITED', true],
    ['ProviderOverloaded', 'OVERLOADED', true],
    ['ProviderServerError', 'SERVER', true],
    ['ProviderNetworkError', 'NETWORK', true],
  ])('%s → FAILED with code %s, retryable %s', (name, code, retryable) => {
    const failure = failed({ Error: name, Cause: JSON.stringify({ errorType: name, errorMessage: 'kling said no', trace: [] }) });
    expect(failure).toEqual({
      status: 'FAILED',
      error: { code, message: retryable ? 'kling said no (gave up after retrying)' : 'kling said no', retryable },
    });
  });

  it('reads a ProviderError exactly as a Lambda reports it', () => {
    const failure = failed(lambdaError(new ProviderError('content_policy', 'blocked by content security policy', { providerCode: 1301 })));
    expect(failure).toEqual({
      status: 'FAILED',
      error: { code: 'CONTENT_POLICY', message: 'blocked by content security policy', retryable: false },
    });
  });

  it('takes a plain-string Cause as the message', () => {
    expect(failed({ Error: 'ProviderAuthFailed', Cause: 'Kling credentials are missing' }).error.message).toBe(
      'Kling credentials are missing',
    );
  });

  it('falls back to the error name when there is no Cause', () => {
    expect(failed({ Error: 'ProviderAuthFailed' }).error).toEqual({ code: 'AUTH', message: 'ProviderAuthFailed', retryable: false });
  });

  it.each([
    ['JSON without errorMessage', '{"errorType":"X"}'],
    ['JSON whose errorMessage is not a string', '{"errorMessage":42}'],
    ['a JSON string', '"just text"'],
    ['JSON null', 'null'],
    ['broken JSON', '{"errorMessage": "cut off'],
  ])('keeps the whole Cause as the message when it is %s', (_name, cause) => {
    expect(failed({ Error: 'ProviderInvalidRequest', Cause: cause }).error.message).toBe(cause);
  });
});

describe('failureOf: workflow errors', () => {
  it('PollBudgetExhausted → TIMED_OUT, retryable, with the cause as message', () => {
    expect(failed({ Error: 'PollBudgetExhausted', Cause: 'no result after 60 polls' })).toEqual({
      status: 'TIMED_OUT',
      error: { code: 'TIMED_OUT', message: 'no result after 60 polls', retryable: true },
    });
  });

  it('ValidationFailed → FAILED, VALIDATION_FAILED, not retryable', () => {
    const failure = failed(lambdaError(new ValidationFailed([{ path: 'durationSeconds', message: '7 is not allowed' }])));
    expect(failure).toEqual({
      status: 'FAILED',
      error: { code: 'VALIDATION_FAILED', message: 'durationSeconds: 7 is not allowed', retryable: false },
    });
  });

  it('ArchiveSourceGone → FAILED, RESULT_UNAVAILABLE, not retryable', () => {
    const failure = failed({
      Error: 'ArchiveSourceGone',
      Cause: JSON.stringify({ errorType: 'ArchiveSourceGone', errorMessage: 'the result URL answered 403', trace: [] }),
    });
    expect(failure).toEqual({
      status: 'FAILED',
      error: { code: 'RESULT_UNAVAILABLE', message: 'the result URL answered 403', retryable: false },
    });
  });

  it('JobAlreadyFinished → CANCELLED', () => {
    expect(failed({ Error: 'JobAlreadyFinished', Cause: 'job was cancelled' })).toEqual({
      status: 'CANCELLED',
      error: { code: 'CANCELLED', message: 'job was cancelled', retryable: false },
    });
  });

  it('States.Timeout → FAILED, STEP_TIMEOUT, retryable, with a fixed message', () => {
    expect(failed({ Error: 'States.Timeout', Cause: 'Task timed out after 30.00 seconds' })).toEqual({
      status: 'FAILED',
      error: { code: 'STEP_TIMEOUT', message: 'a workflow step took too long', retryable: true },
    });
  });

  it.each([
    [
      'TypeError',
      JSON.stringify({ errorType: 'TypeError', errorMessage: "Cannot read properties of undefined (reading 'x')", trace: [] }),
      "TypeError: Cannot read properties of undefined (reading 'x')",
    ],
    [
      'States.Runtime',
      'The JsonPath argument for the field could not be found',
      'States.Runtime: The JsonPath argument for the field could not be found',
    ],
    ['Lambda.ServiceException', undefined, 'Lambda.ServiceException: Lambda.ServiceException'],
    // Archive's own storage (lambdas/aws/s3-archive.ts): the S3 error's text stays in the logs.
    [
      'ArchiveStoreFailed',
      'storing the result in S3 failed after 10 bytes: AccessDenied: arn:aws:iam::1:role/x',
      'ArchiveStoreFailed: storing the result in S3 failed after 10 bytes: AccessDenied: arn:aws:iam::1:role/x',
    ],
    // Not a taxonomy name: the base class name, and a near miss, are unknown errors too.
    ['ProviderError', 'x', 'ProviderError: x'],
    ['providerratelimited', 'x', 'providerratelimited: x'],
  ])('an unknown error %s → FAILED, INTERNAL, retryable, naming the error but not its text', (name, cause, text) => {
    const failure = failed({ Error: name, ...(cause === undefined ? {} : { Cause: cause }) });
    expect(failure).toEqual({
      status: 'FAILED',
      error: { code: 'INTERNAL', message: `an internal error ended the job (${name}); creating it again may work`, retryable: true },
    });
    // The text is the operator's (MarkFailed logs it), never the owner's.
    if (cause) expect(failure.error.message).not.toContain(text.slice(name.length + 2));
  });

  it("an AWS error's text, which names the account and role, stays out of the job's error", () => {
    const cause = JSON.stringify({
      errorType: 'AccessDeniedException',
      errorMessage: 'User: arn:aws:sts::123456789012:assumed-role/klingflow-Submit/x is not authorized to perform: dynamodb:UpdateItem',
    });
    const { error } = failed({ Error: 'AccessDeniedException', Cause: cause });
    expect(error.code).toBe('INTERNAL');
    expect(error.message).toBe('an internal error ended the job (AccessDeniedException); creating it again may work');
    expect(error.message).not.toMatch(/123456789012|arn:/);
  });

  it('an error name is shown as a name only: at most 100 word characters, dots, colons and dashes', () => {
    expect(failed({ Error: `Evil <b>${'x'.repeat(200)}\n` }).error.message).toBe(
      `an internal error ended the job (Evilb${'x'.repeat(95)}); creating it again may work`,
    );
  });

  it('an error wins over a result in the same payload', () => {
    const failure = failureOf({
      jobId: JOB_ID,
      error: { Error: 'PollBudgetExhausted', Cause: 'out of polls' },
      result: { providerTaskId: 't', status: 'cancelled', source: 'poll' },
    });
    expect(failure.status).toBe('TIMED_OUT');
  });
});

describe('failureOf: provider-reported results', () => {
  it('a failed result keeps the provider error', () => {
    const error = { code: 'CONTENT_POLICY', message: 'risk control', retryable: false };
    expect(finished({ providerTaskId: 't', status: 'failed', error, source: 'callback' })).toEqual({ status: 'FAILED', error });
  });

  it('a failed result without an error → PROVIDER_FAILED', () => {
    expect(finished({ providerTaskId: 't', status: 'failed', source: 'poll' })).toEqual({
      status: 'FAILED',
      error: { code: 'PROVIDER_FAILED', message: 'the provider reported a failure without a reason', retryable: false },
    });
  });

  it('a cancelled result keeps the provider error', () => {
    const error = { code: 'CANCELLED', message: 'cancelled in the console', retryable: false };
    expect(finished({ providerTaskId: 't', status: 'cancelled', error, source: 'poll' })).toEqual({ status: 'CANCELLED', error });
  });

  it('a cancelled result without an error → CANCELLED', () => {
    expect(finished({ providerTaskId: 't', status: 'cancelled', source: 'callback' })).toEqual({
      status: 'CANCELLED',
      error: { code: 'CANCELLED', message: 'the provider cancelled the task', retryable: false },
    });
  });

  it.each([
    ['no error and no result', undefined],
    [
      'a result that is not a failure',
      { providerTaskId: 't', status: 'succeeded', videoUrl: 'https://e.com/v.mp4', source: 'poll' } as const,
    ],
    ['a pending result', { providerTaskId: 't', status: 'pending', source: 'poll' } as const],
  ])('%s → FAILED, INTERNAL, retryable', (_name, result) => {
    expect(failureOf({ jobId: JOB_ID, ...(result && { result }) })).toEqual({
      status: 'FAILED',
      error: { code: 'INTERNAL', message: 'the workflow failed without an error', retryable: true },
    });
  });
});
