import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import type { Simulator } from '../../simulator/server.ts';
import { getJson, postJson, useSimulator } from './helpers.ts';

const credentials = { apiKey: 'sim-api-key', accessKey: 'sim-access-key', secretKey: 'sim-secret-key' };

async function klingJwt(claims: { iss?: string; exp?: number; nbf?: number }, secret = credentials.secretKey): Promise<string> {
  return new SignJWT({ ...claims }).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(new TextEncoder().encode(secret));
}

const now = () => Math.floor(Date.now() / 1000);

describe('simulator (kling dialect): authentication', () => {
  let sim: Simulator;
  const create = (authorization?: string) =>
    postJson(`${sim.url}/v1/videos/text2video`, { prompt: 'an authenticated fox' }, authorization ? { authorization } : {});

  useSimulator({ latencyMs: 200, credentials }, (started) => (sim = started), { reset: false });

  it('accepts a JWT signed with the secret key whose iss is the access key', async () => {
    const token = await klingJwt({ iss: credentials.accessKey, exp: now() + 1800, nbf: now() - 5 });
    const created = await create(`Bearer ${token}`);
    expect(created.status).toBe(200);
    const queried = await getJson(`${sim.url}/v1/videos/text2video/${created.json.data?.task_id}`, {
      authorization: `Bearer ${token}`,
    });
    expect(queried.status).toBe(200);
  });

  it('accepts the API key as a Bearer token', async () => {
    expect((await create(`Bearer ${credentials.apiKey}`)).status).toBe(200);
  });

  it('refuses a JWT signed with the wrong secret with 401/1002', async () => {
    const token = await klingJwt({ iss: credentials.accessKey, exp: now() + 1800, nbf: now() - 5 }, 'wrong-secret');
    const refused = await create(`Bearer ${token}`);
    expect(refused.status).toBe(401);
    expect(refused.json.code).toBe(1002);
  });

  it('refuses a JWT with another issuer with 401/1002', async () => {
    const token = await klingJwt({ iss: 'someone-else', exp: now() + 1800, nbf: now() - 5 });
    expect((await create(`Bearer ${token}`)).json.code).toBe(1002);
  });

  it('refuses an expired JWT with 401/1004 and a future nbf with 401/1003', async () => {
    const expired = await klingJwt({ iss: credentials.accessKey, exp: now() - 600, nbf: now() - 2400 });
    const expiredReply = await create(`Bearer ${expired}`);
    expect(expiredReply.status).toBe(401);
    expect(expiredReply.json.code).toBe(1004);

    const early = await klingJwt({ iss: credentials.accessKey, exp: now() + 3600, nbf: now() + 600 });
    expect((await create(`Bearer ${early}`)).json.code).toBe(1003);
  });

  it('refuses a missing Authorization header with 401/1001', async () => {
    const before = sim.tasks().length;
    const refused = await create();
    expect(refused.status).toBe(401);
    expect(refused.json).toMatchObject({ code: 1001, message: 'Authorization is empty' });
    expect(sim.tasks()).toHaveLength(before);
  });
});
