// Each caller's own jobs, on the real local stack: two tokens of their own (KLINGFLOW_API_TOKENS) and the main token,
// which is an admin (KLINGFLOW_API_ADMINS defaults to it). A caller cannot see, read, cancel or download another
// caller's job: every such request answers 404, exactly as for an id that names no job, so ids do not leak.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.ts';
import { Client, startTestStack } from './local-stack.ts';

const ALICE = 'alice-token-0123456789';
const BOB = 'bob-token-0123456789abc';

let stack: LocalStack;
let admin: Client;
let alice: Client;
let bob: Client;

beforeAll(async () => {
  stack = await startTestStack(undefined, {
    KLINGFLOW_API_TOKENS: [
      { name: 'alice', token: ALICE },
      { name: 'bob', token: BOB },
    ],
  });
  admin = new Client(stack);
  alice = new Client({ url: stack.url, token: ALICE });
  bob = new Client({ url: stack.url, token: BOB });
});

afterAll(async () => {
  await stack?.stop();
});

/** Lists every page of `client`'s listing and answers the job ids. */
async function listedIds(client: Client, query = ''): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const separator = query ? '&' : '?';
    const { status, body } = await client.request('GET', `/v1/jobs${query}${cursor ? `${separator}cursor=${cursor}` : ''}`);
    expect(status).toBe(200);
    ids.push(...body.items.map((job: { jobId: string }) => job.jobId));
    cursor = body.nextCursor;
  } while (cursor);
  return ids;
}

describe("each caller's own jobs", () => {
  it("keeps alice's job from bob (404 on read, cancel and download, absent from his list); the admin sees both", async () => {
    const alicesJob = await alice.createJob({ prompt: 'a lighthouse at dusk [sim:latency=4000]' });
    const bobsJob = await bob.createJob({ prompt: 'a heron taking off' });

    const read = await alice.request('GET', `/v1/jobs/${alicesJob}`);
    expect(read.status).toBe(200);
    expect(read.body.owner).toBe('alice');

    const unknown = await bob.request('GET', '/v1/jobs/job_01aaaaaaaaaaaaaaaaaaaaaaaa');
    for (const [method, path] of [
      ['GET', `/v1/jobs/${alicesJob}`],
      ['DELETE', `/v1/jobs/${alicesJob}`],
      ['GET', `/v1/jobs/${alicesJob}/video`],
      ['GET', `/v1/jobs/${alicesJob}/thumbnail`],
    ] as const) {
      const answer = await bob.request(method, path);
      expect(answer.status, `${method} ${path}`).toBe(404);
      expect(answer.body.error.code).toBe('NOT_FOUND');
      // The same shape as a job that does not exist: nothing tells bob the id is taken.
      expect(answer.body.error.details[0].path).toBe(unknown.body.error.details[0].path);
    }
    // Bob's cancel changed nothing.
    expect((await alice.request('GET', `/v1/jobs/${alicesJob}`)).body.status).not.toBe('CANCELLED');

    const bobSees = await listedIds(bob, '?limit=1');
    expect(bobSees).toContain(bobsJob);
    expect(bobSees).not.toContain(alicesJob);
    expect(await listedIds(alice)).toEqual([alicesJob]);
    // A status filter stays within the caller's own jobs too.
    expect(await listedIds(bob, `?status=${read.body.status}`)).not.toContain(alicesJob);

    const adminSees = await listedIds(admin);
    expect(adminSees).toEqual(expect.arrayContaining([alicesJob, bobsJob]));
    expect((await admin.request('GET', `/v1/jobs/${alicesJob}`)).status).toBe(200);

    // The owner may cancel; the admin may cancel anyone's.
    expect((await alice.request('DELETE', `/v1/jobs/${alicesJob}`)).status).toBe(200);
    const adminCancel = await admin.request('DELETE', `/v1/jobs/${bobsJob}`);
    expect([200, 409]).toContain(adminCancel.status);
  });

  it('refuses a cursor issued to another caller', async () => {
    for (let i = 0; i < 2; i += 1) await alice.createJob({ prompt: `a kite, take ${i}` });
    const page = await alice.request('GET', '/v1/jobs?limit=1');
    expect(page.body.nextCursor).toEqual(expect.any(String));
    const stolen = await bob.request('GET', `/v1/jobs?cursor=${page.body.nextCursor}`);
    expect(stolen.status).toBe(400);
    expect(stolen.body.error.details[0].path).toBe('cursor');
  });

  it('keeps idempotency keys per caller: the same key from two callers makes two jobs, each its own', async () => {
    const headers = { 'idempotency-key': 'same-key-1' };
    const a = await alice.createJob({ prompt: 'a tide pool' }, headers);
    const b = await bob.createJob({ prompt: 'a tide pool' }, headers);
    expect(a).not.toBe(b);
    expect((await bob.request('GET', `/v1/jobs/${a}`)).status).toBe(404);
  });

  it("keeps the local metrics (every caller's jobs) to admin tokens: 403 for bob, even for his own job", async () => {
    const bobsJob = await bob.createJob({ prompt: 'a kingfisher diving' });
    for (const path of ['/v1/metrics', `/v1/metrics?jobId=${bobsJob}`]) {
      const answer = await bob.request('GET', path);
      expect(answer.status, path).toBe(403);
      expect(answer.body.error).toMatchObject({ code: 'FORBIDDEN', details: [{ path: 'Authorization' }] });
    }
    expect((await admin.request('GET', `/v1/metrics?jobId=${bobsJob}`)).status).toBe(200);
  });

  it('takes the Bearer scheme in any letter case (RFC 9110), and nothing but the token after it', async () => {
    for (const scheme of ['bearer', 'BEARER', 'Bearer']) {
      const answer = await fetch(`${stack.url}/v1/jobs?limit=1`, { headers: { authorization: `${scheme} ${ALICE}` } });
      expect(answer.status, scheme).toBe(200);
    }
    const glued = await fetch(`${stack.url}/v1/jobs?limit=1`, { headers: { authorization: `Bearer${ALICE}` } });
    expect(glued.status).toBe(401);
  });

  it('answers 401 naming Authorization for a token that is not one of them', async () => {
    const stranger = new Client({ url: stack.url, token: 'not-a-token-of-this-stack' });
    const answer = await stranger.request('GET', '/v1/jobs');
    expect(answer.status).toBe(401);
    expect(answer.body.error.details[0].path).toBe('Authorization');
  });
});
