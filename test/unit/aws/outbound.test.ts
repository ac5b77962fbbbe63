// Outbound requests over real sockets: the address a host name resolves to is checked inside the socket's own
// lookup, the socket connects to the address that was checked, and nothing is sent to a refused destination.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlockedDestination, postOutbound, sendOutbound, type Resolve } from '../../../lambdas/aws/outbound.ts';
import { loopbackServer, type LoopbackServer } from './loopback.ts';

let receiver: LoopbackServer;
const bodies: string[] = [];

beforeAll(async () => {
  receiver = await loopbackServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      bodies.push(Buffer.concat(chunks).toString('utf8'));
      res.writeHead(req.url === '/redirect' ? 302 : 204, req.url === '/redirect' ? { location: 'http://169.254.169.254/' } : {}).end();
    });
  });
});

afterAll(async () => {
  await receiver?.close();
});

const table =
  (answers: Record<string, string[]>): Resolve =>
  async (hostname) =>
    (answers[hostname] ?? []).map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
const post = (url: string, policy: Parameters<typeof postOutbound>[2]) =>
  postOutbound(new URL(url), { headers: { 'content-type': 'application/json' }, body: '{"a":1}', timeoutMs: 5000 }, policy);

describe('postOutbound', () => {
  it('reaches a loopback receiver only where loopback is allowed (the local stack)', async () => {
    expect(await post(`${receiver.url}/hook`, { allowLoopback: true })).toEqual({ status: 204 });
    expect(bodies.at(-1)).toBe('{"a":1}');
  });

  it('refuses a loopback address as written on AWS settings, before connecting', async () => {
    const before = receiver.connections();
    await expect(post(`${receiver.url}/hook`, {})).rejects.toThrow(
      new BlockedDestination('127.0.0.1, a loopback address is not a public address'),
    );
    expect(receiver.connections()).toBe(before);
  });

  it.each([
    ['10.0.0.7', 'private'],
    ['169.254.169.254', 'link-local'],
    ['127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
  ])('refuses a name that resolves to %s (%s) before connecting', async (address, kind) => {
    const before = receiver.connections();
    await expect(
      post(`http://hooks.example.com:${receiver.port}/hook`, { resolve: table({ 'hooks.example.com': [address] }) }),
    ).rejects.toThrow(`hooks.example.com resolves to ${address}, a ${kind} address; only public addresses are allowed`);
    expect(receiver.connections()).toBe(before);
  });

  it('connects to the address it checked (a loopback answer, allowed locally, reaches the loopback receiver)', async () => {
    const before = receiver.connections();
    const result = await post(`http://hooks.example.com:${receiver.port}/hook`, {
      allowLoopback: true,
      resolve: table({ 'hooks.example.com': ['127.0.0.1'] }),
    });
    expect(result).toEqual({ status: 204 });
    expect(receiver.connections()).toBe(before + 1);
  });

  it('does not follow redirects: the caller gets the 302, and nothing goes to its Location', async () => {
    expect(await post(`${receiver.url}/redirect`, { allowLoopback: true })).toEqual({ status: 302 });
  });

  it('refuses other schemes', async () => {
    await expect(sendOutbound(new URL('file:///etc/passwd'), { method: 'GET' }, {})).rejects.toThrow(BlockedDestination);
  });

  it('fails with the socket error for a name that does not resolve', async () => {
    await expect(post('http://nowhere.example.com/', { resolve: table({}) })).rejects.toThrow(/nowhere\.example\.com has no address/);
  });
});
