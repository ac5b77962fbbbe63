import { describe, expect, it } from 'vitest';
import { ADMIN_SCOPE, callerFromAuthorizer, canSee, principalMatches, UPLOADS_OWNER, uploadOwner } from '../../../lambdas/domain/caller.ts';
import { parseApiTokens } from '../../../local/settings.ts';

const ROLE = 'arn:aws:sts::123456789012:assumed-role/KlingflowAdmin/alice';

describe('callerFromAuthorizer', () => {
  it('owns IAM jobs by the principal ARN (callerId when there is no ARN); admin by ARN pattern', () => {
    expect(callerFromAuthorizer({ iam: { userArn: ROLE } }, [])).toEqual({ owner: ROLE, admin: false });
    expect(callerFromAuthorizer({ iam: { userArn: ROLE } }, ['arn:aws:sts::123456789012:assumed-role/KlingflowAdmin/*'])).toEqual({
      owner: ROLE,
      admin: true,
    });
    expect(callerFromAuthorizer({ iam: { userArn: ROLE } }, ['arn:aws:sts::123456789012:assumed-role/Klingflow/*']).admin).toBe(false);
    expect(callerFromAuthorizer({ iam: { callerId: 'AROAEXAMPLE:alice' } }, [])).toEqual({ owner: 'AROAEXAMPLE:alice', admin: false });
  });

  it('owns JWT jobs by sub; admin with the scope in scopes, scope or scp, or the claim', () => {
    expect(callerFromAuthorizer({ jwt: { claims: { sub: 'u1' }, scopes: [] } }, [])).toEqual({ owner: 'u1', admin: false });
    expect(callerFromAuthorizer({ jwt: { claims: { sub: 'u1' }, scopes: [ADMIN_SCOPE] } }, []).admin).toBe(true);
    expect(callerFromAuthorizer({ jwt: { claims: { sub: 'u1', scope: `openid ${ADMIN_SCOPE}` } } }, []).admin).toBe(true);
    expect(callerFromAuthorizer({ jwt: { claims: { sub: 'u1', scp: [ADMIN_SCOPE] } } }, []).admin).toBe(true);
    expect(callerFromAuthorizer({ jwt: { claims: { sub: 'u1', [ADMIN_SCOPE]: 'true' } } }, []).admin).toBe(true);
    expect(callerFromAuthorizer({ jwt: { claims: { sub: 'u1', scope: 'klingflow:administrator' } } }, []).admin).toBe(false);
  });

  it('is anonymous and no admin without an authorizer', () => {
    expect(callerFromAuthorizer(undefined, ['arn:*'])).toEqual({ owner: 'anonymous', admin: false });
  });
});

describe('principalMatches', () => {
  it('treats * as any run of characters and everything else literally', () => {
    expect(principalMatches('arn:aws:iam::1:user/a.b', 'arn:aws:iam::1:user/a.b')).toBe(true);
    expect(principalMatches('arn:aws:iam::1:user/aXb', 'arn:aws:iam::1:user/a.b')).toBe(false);
    expect(principalMatches('arn:aws:iam::1:user/anyone', 'arn:aws:iam::1:user/*')).toBe(true);
    expect(principalMatches('arn:aws:iam::2:user/anyone', 'arn:aws:iam::1:user/*')).toBe(false);
  });
});

describe('canSee', () => {
  it('shows a caller its own jobs, an admin every job, and a job without an owner to admins only', () => {
    expect(canSee({ owner: 'a', admin: false }, { owner: 'a' })).toBe(true);
    expect(canSee({ owner: 'a', admin: false }, { owner: 'b' })).toBe(false);
    expect(canSee({ owner: 'a', admin: false }, {})).toBe(false);
    expect(canSee({ owner: 'a', admin: true }, { owner: 'b' })).toBe(true);
    expect(canSee({ owner: 'a', admin: true }, {})).toBe(true);
  });
});

describe('uploadOwner', () => {
  it("takes the owner metadata when it is a valid name, else 'uploads'", () => {
    expect(uploadOwner({ owner: 'alice' })).toBe('alice');
    expect(uploadOwner({})).toBe(UPLOADS_OWNER);
    expect(uploadOwner({ owner: 'has space' })).toBe(UPLOADS_OWNER);
  });

  it("takes an upload ticket's manifest owner (the caller who asked for the ticket) when the metadata names none", () => {
    expect(uploadOwner({}, JSON.stringify({ prompt: 'a cat', owner: ROLE }))).toBe(ROLE);
    expect(uploadOwner({ owner: 'alice' }, JSON.stringify({ owner: ROLE }))).toBe('alice');
    expect(uploadOwner({}, '{not json')).toBe(UPLOADS_OWNER);
    expect(uploadOwner({}, JSON.stringify({ owner: 42 }))).toBe(UPLOADS_OWNER);
  });
});

describe('parseApiTokens (KLINGFLOW_API_TOKENS)', () => {
  it('reads name:token pairs', () => {
    expect(parseApiTokens('alice:0123456789abcdef, bob:fedcba9876543210')).toEqual([
      { name: 'alice', token: '0123456789abcdef' },
      { name: 'bob', token: 'fedcba9876543210' },
    ]);
  });

  it('names the entry and what is wrong', () => {
    expect(() => parseApiTokens('alice')).toThrow(/entry 1: expected name:token/);
    expect(() => parseApiTokens('alice:short')).toThrow(/entry 1: the token of 'alice' must be at least 16 characters/);
    expect(() => parseApiTokens('local:0123456789abcdef')).toThrow(/entry 1: the name 'local' is taken/);
    expect(() => parseApiTokens('a:0123456789abcdef,a:0123456789abcdeg')).toThrow(/entry 2: the name 'a' is taken/);
  });
});
