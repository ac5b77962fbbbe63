// The query of GET /v1/jobs (ListJobsQuery): every refusal names the parameter and says what is allowed.
import { describe, expect, it } from 'vitest';
import { zodDetails } from '../../../lambdas/http/responses.ts';
import { ListJobsQuery } from '../../../lambdas/http/schemas.ts';

const refusal = (query: Record<string, string>) => {
  const parsed = ListJobsQuery.safeParse(query);
  expect(parsed.success).toBe(false);
  return parsed.success ? [] : zodDetails(parsed.error, 'query');
};

describe('ListJobsQuery', () => {
  it('takes plain values and defaults limit to 20', () => {
    expect(ListJobsQuery.parse({})).toEqual({ limit: 20 });
    expect(ListJobsQuery.parse({ limit: '100', status: 'SUCCEEDED', provider: 'kling' })).toEqual({
      limit: 100,
      status: 'SUCCEEDED',
      provider: 'kling',
    });
    expect(ListJobsQuery.parse({ limit: '1' }).limit).toBe(1);
  });

  it.each(['abc', '\0', '0', '101', '1e2', '0x10', '-1', '1.5', ' 5', '', '99999999999999999999999'])(
    'refuses limit=%j, saying 1 to 100',
    (limit) => {
      expect(refusal({ limit })).toEqual([{ path: 'limit', message: 'must be a whole number from 1 to 100, given once (default 20)' }]);
    },
  );

  it('says when a parameter was given twice (API Gateway joins them with a comma)', () => {
    expect(refusal({ limit: '5,6' })).toEqual([
      { path: 'limit', message: 'must be a whole number from 1 to 100, given once (default 20); limit was given more than once' },
    ]);
    const [status] = refusal({ status: 'SUCCEEDED,FAILED' });
    expect(status?.path).toBe('status');
    expect(status?.message).toMatch(/^must be one of QUEUED, .*SUCCEEDED.*; status was given more than once$/);
  });

  it('names the statuses for a wrong one, lower case included', () => {
    const [status] = refusal({ status: 'succeeded' });
    expect(status).toEqual({ path: 'status', message: expect.stringMatching(/^must be one of QUEUED, .* \(upper case\)$/) });
  });
});
