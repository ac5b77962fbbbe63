// SigV4 and CORS through the real local stack. The front door, started with KLINGFLOW_API_AUTH=sigv4, verifies AWS
// Signature Version 4 with the fixed local test credentials, as API Gateway's IAM authorizer does for auth=iam; the
// CLI signs with the standard AWS credential chain and works against it unchanged. CORS preflights and headers follow
// lambdas/http/cors.ts, as API Gateway is configured from it.
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CORS_POLICY } from '../../lambdas/http/cors.ts';
import { LOCAL_SIGV4_CREDENTIALS, LOCAL_SIGV4_REGION, signRequest } from '../../local/sigv4.ts';
import type { LocalStack } from '../../local/stack.ts';
import { expectDocumented } from './contract.ts';
import { startTestStack } from './local-stack.ts';

const run = promisify(execFile);
const CONSOLE = 'https://console.example.com';

let stack: LocalStack;

beforeAll(async () => {
  stack = await startTestStack(undefined, { KLINGFLOW_API_AUTH: 'sigv4', KLINGFLOW_CORS_ORIGINS: [CONSOLE] });
});

afterAll(async () => {
  await stack?.stop();
});

/** A request signed with `credentials` (the local test ones by default); `tamper` changes it after signing. */
async function signed(
  method: string,
  path: string,
  body?: string,
  options: { credentials?: { accessKeyId: string; secretAccessKey: string }; tamper?: (init: RequestInit) => void } = {},
) {
  const url = new URL(`${stack.url}${path}`);
  const headers = await signRequest(
    { method, url, headers: body ? { 'content-type': 'application/json' } : {}, body },
    options.credentials ?? LOCAL_SIGV4_CREDENTIALS,
    LOCAL_SIGV4_REGION,
  );
  delete headers.host;
  const init: RequestInit = { method, headers, body, redirect: 'manual' };
  options.tamper?.(init);
  const response = await fetch(url, init);
  const text = await response.text();
  await expectDocumented(stack.url, { method, path }, { status: response.status, headers: response.headers, text });
  return { status: response.status, body: text ? JSON.parse(text) : undefined, headers: response.headers };
}

describe('a local stack in SigV4 mode', () => {
  it('accepts requests signed with the local test credentials, and the caller is the local IAM user', async () => {
    const created = await signed('POST', '/v1/jobs', JSON.stringify({ prompt: 'a signed fox' }));
    expect(created.status, JSON.stringify(created.body)).toBe(202);
    const listed = await signed('GET', `/v1/jobs?limit=5&status=${created.body.status}`);
    expect(listed.status).toBe(200);
    expect(listed.body.items.map((j: { jobId: string }) => j.jobId)).toContain(created.body.jobId);
  });

  it('refuses what is not signed right with a 401 naming Authorization and saying why', async () => {
    const unsigned = await fetch(`${stack.url}/v1/jobs`);
    expect(unsigned.status).toBe(401);
    expect(await unsigned.json()).toMatchObject({ error: { code: 'UNAUTHORIZED', details: [{ path: 'Authorization' }] } });
    // Even the local bearer token: this API wants signatures.
    const bearer = await fetch(`${stack.url}/v1/jobs`, { headers: { authorization: `Bearer ${stack.token}` } });
    expect(bearer.status).toBe(401);

    const wrongSecret = await signed('GET', '/v1/jobs', undefined, {
      credentials: { accessKeyId: LOCAL_SIGV4_CREDENTIALS.accessKeyId, secretAccessKey: 'not-the-secret' },
    });
    expect(wrongSecret.status).toBe(401);
    expect(wrongSecret.body.error.message).toMatch(/signature does not match/);

    const otherKey = await signed('GET', '/v1/jobs', undefined, { credentials: { accessKeyId: 'AKIDSOMEONEELSE', secretAccessKey: 'x' } });
    expect(otherKey.body.error.message).toMatch(/access key is not one this API knows/);

    const tamperedBody = await signed('POST', '/v1/jobs', JSON.stringify({ prompt: 'a fox' }), {
      tamper: (init) => {
        init.body = JSON.stringify({ prompt: 'a wolf' });
      },
    });
    expect(tamperedBody.status).toBe(401);
    expect(tamperedBody.body.error.message).toMatch(/not the SHA-256 of the body|signature does not match/);
    const tamperedDate = await signed('GET', '/v1/jobs', undefined, {
      tamper: (init) => {
        (init.headers as Record<string, string>)['x-amz-date'] = '20200101T000000Z';
      },
    });
    expect(tamperedDate.status).toBe(401);
    expect(tamperedDate.body.error.message).toMatch(/x-amz-date|expired|scope/);
  });

  it('leaves the public routes public: the OpenAPI document needs no signature', async () => {
    expect((await fetch(`${stack.url}/v1/openapi.json`)).status).toBe(200);
  });

  it('the CLI signs with the standard AWS credential chain: generate, providers and upload work unchanged', async () => {
    const env = {
      ...process.env,
      KLINGFLOW_API_TOKEN: '',
      AWS_ACCESS_KEY_ID: LOCAL_SIGV4_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_SIGV4_CREDENTIALS.secretAccessKey,
      AWS_REGION: LOCAL_SIGV4_REGION,
    };
    const cli = (args: string[]) => run(resolve('cli/bin.mjs'), [...args, '--api', stack.url, '--json'], { env, timeout: 60_000 });

    const generated = JSON.parse((await cli(['generate', 'a fox signed by the CLI'])).stdout);
    expect(generated).toMatchObject({ status: 'SUCCEEDED', request: { prompt: 'a fox signed by the CLI' } });
    const catalog = JSON.parse((await cli(['providers'])).stdout);
    expect(catalog.defaultProvider).toBe('kling');
    const uploaded = JSON.parse((await cli(['upload', 'test/fixtures/cat-640x360.png', '--prompt', '一只猫'])).stdout);
    expect(uploaded).toMatchObject({ status: 'SUCCEEDED', mode: 'image-to-video', request: { prompt: '一只猫' } });

    // Without credentials the CLI says what it needs.
    const bare = { ...env, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_PROFILE: 'klingflow-no-such-profile' };
    const refused = await run(resolve('cli/bin.mjs'), ['jobs', '--api', stack.url], { env: bare, timeout: 60_000 }).catch((e) => e);
    expect(refused.code).toBeGreaterThan(0);
    expect(refused.stderr).toMatch(/SigV4 needs AWS credentials|refused the credentials/);
  });
});

describe('CORS', () => {
  const preflight = (origin: string, path = '/v1/jobs') =>
    fetch(`${stack.url}${path}`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
    });

  it('answers a preflight from an allowed origin (the console, the stack itself) before any authorizer', async () => {
    for (const origin of [CONSOLE, stack.url]) {
      const answer = await preflight(origin);
      expect(answer.status).toBe(204);
      expect(answer.headers.get('access-control-allow-origin')).toBe(origin);
      expect(answer.headers.get('access-control-allow-methods')).toBe(CORS_POLICY.allowMethods.join(','));
      expect(answer.headers.get('access-control-allow-headers')).toContain('authorization');
      expect(answer.headers.get('access-control-allow-headers')).toContain('x-amz-date');
      expect(answer.headers.get('access-control-max-age')).toBe('3600');
    }
    expect((await preflight(CONSOLE, '/v1/jobs/job_x/video')).status).toBe(204);
  });

  it('gives another origin no CORS headers, so the browser refuses it', async () => {
    const answer = await preflight('https://evil.example.com');
    expect(answer.headers.get('access-control-allow-origin')).toBeNull();
    const get = await fetch(`${stack.url}/v1/openapi.json`, { headers: { origin: 'https://evil.example.com' } });
    expect(get.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('marks real answers to an allowed origin, errors included, and exposes location', async () => {
    const ok = await fetch(`${stack.url}/v1/openapi.json`, { headers: { origin: CONSOLE } });
    expect(ok.headers.get('access-control-allow-origin')).toBe(CONSOLE);
    expect(ok.headers.get('access-control-expose-headers')).toBe('location');
    const refused = await fetch(`${stack.url}/v1/jobs`, { headers: { origin: CONSOLE } });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('access-control-allow-origin')).toBe(CONSOLE);
  });
});
