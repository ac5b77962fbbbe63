import { createHmac, randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { CallbackRejected } from '../../../lambdas/domain/errors.ts';
import { formatWebhookSecret, signStandardWebhook, verifyStandardWebhook } from '../../../lambdas/domain/webhooks.ts';

const SECRET_BYTES = Buffer.from('klingflow-test-secret-0123456789');
const SECRET = formatWebhookSecret(SECRET_BYTES);
const NOW = new Date('2026-03-01T12:00:00.000Z');
const NOW_SECONDS = NOW.getTime() / 1000;
const BODY = JSON.stringify({ task_id: '1', task_status: 'succeed' });

function rejection(run: () => unknown): CallbackRejected {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(CallbackRejected);
    return error as CallbackRejected;
  }
  throw new Error('expected CallbackRejected');
}

describe('signStandardWebhook / verifyStandardWebhook', () => {
  it('round-trips: what is signed verifies and comes back parsed', () => {
    const headers = signStandardWebhook(SECRET, { id: 'msg_1', timestamp: NOW, body: BODY });
    expect(headers['webhook-id']).toBe('msg_1');
    expect(headers['webhook-timestamp']).toBe(String(NOW_SECONDS));
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(verifyStandardWebhook(SECRET, headers, BODY, { now: NOW })).toEqual(JSON.parse(BODY));
  });

  it('signs exactly as the Standard Webhooks spec says (HMAC-SHA256 over id.timestamp.body, key = decoded secret)', () => {
    const headers = signStandardWebhook(SECRET, { id: 'msg_2', timestamp: NOW_SECONDS, body: BODY });
    const expected = createHmac('sha256', SECRET_BYTES).update(`msg_2.${NOW_SECONDS}.${BODY}`).digest('base64');
    expect(headers['webhook-signature']).toBe(`v1,${expected}`);
  });

  it('accepts the secret with or without the whsec_ prefix', () => {
    const bare = SECRET.slice('whsec_'.length);
    const headers = signStandardWebhook(bare, { id: 'msg_3', timestamp: NOW, body: BODY });
    expect(verifyStandardWebhook(SECRET, headers, BODY, { now: NOW })).toEqual(JSON.parse(BODY));
    expect(verifyStandardWebhook(bare, headers, BODY, { now: NOW })).toEqual(JSON.parse(BODY));
  });

  it('interoperates with the standardwebhooks package', () => {
    const signature = new Webhook(SECRET).sign('msg_4', NOW, BODY);
    const headers = { 'webhook-id': 'msg_4', 'webhook-timestamp': String(NOW_SECONDS), 'webhook-signature': signature };
    expect(verifyStandardWebhook(SECRET, headers, BODY, { now: NOW })).toEqual(JSON.parse(BODY));
  });

  it('accepts any matching entry among several (secret rotation) and header names in any case', () => {
    const good = signStandardWebhook(SECRET, { id: 'msg_5', timestamp: NOW, body: BODY });
    const other = signStandardWebhook(formatWebhookSecret(randomBytes(24)), { id: 'msg_5', timestamp: NOW, body: BODY });
    const headers = {
      'Webhook-Id': 'msg_5',
      'WEBHOOK-TIMESTAMP': good['webhook-timestamp'],
      'webhook-signature': `v2,ignored ${other['webhook-signature']} ${good['webhook-signature']}`,
    };
    expect(verifyStandardWebhook(SECRET, headers, BODY, { now: NOW })).toEqual(JSON.parse(BODY));
    expect(verifyStandardWebhook(SECRET, new Headers(headers), BODY, { now: NOW })).toEqual(JSON.parse(BODY));
  });

  it('refuses a tampered body', () => {
    const headers = signStandardWebhook(SECRET, { id: 'msg_6', timestamp: NOW, body: BODY });
    const error = rejection(() => verifyStandardWebhook(SECRET, headers, BODY.replace('succeed', 'failed'), { now: NOW }));
    expect(error.message).toMatch(/signature/);
  });

  it('refuses a signature made with another secret', () => {
    const headers = signStandardWebhook(formatWebhookSecret(randomBytes(24)), { id: 'msg_7', timestamp: NOW, body: BODY });
    expect(() => verifyStandardWebhook(SECRET, headers, BODY, { now: NOW })).toThrow(CallbackRejected);
  });

  it('refuses a stale timestamp and one too far in the future, honouring the tolerance', () => {
    const old = signStandardWebhook(SECRET, { id: 'msg_8', timestamp: NOW_SECONDS - 301, body: BODY });
    expect(rejection(() => verifyStandardWebhook(SECRET, old, BODY, { now: NOW })).message).toMatch(/stale/);
    expect(verifyStandardWebhook(SECRET, old, BODY, { now: NOW, toleranceSeconds: 600 })).toEqual(JSON.parse(BODY));
    const future = signStandardWebhook(SECRET, { id: 'msg_9', timestamp: NOW_SECONDS + 301, body: BODY });
    expect(rejection(() => verifyStandardWebhook(SECRET, future, BODY, { now: NOW })).message).toMatch(/future/);
    const edge = signStandardWebhook(SECRET, { id: 'msg_10', timestamp: NOW_SECONDS - 300, body: BODY });
    expect(verifyStandardWebhook(SECRET, edge, BODY, { now: NOW })).toEqual(JSON.parse(BODY));
  });

  it('refuses missing headers, naming them', () => {
    const headers = signStandardWebhook(SECRET, { id: 'msg_11', timestamp: NOW, body: BODY });
    const { 'webhook-signature': _signature, ...withoutSignature } = headers;
    expect(rejection(() => verifyStandardWebhook(SECRET, withoutSignature, BODY, { now: NOW })).message).toMatch(
      /missing webhook header\(s\): webhook-signature/,
    );
    expect(rejection(() => verifyStandardWebhook(SECRET, {}, BODY, { now: NOW })).message).toMatch(
      /webhook-id, webhook-timestamp, webhook-signature/,
    );
  });

  it('refuses a timestamp that is not a number', () => {
    const headers = { ...signStandardWebhook(SECRET, { id: 'msg_12', timestamp: NOW, body: BODY }), 'webhook-timestamp': 'yesterday' };
    expect(rejection(() => verifyStandardWebhook(SECRET, headers, BODY, { now: NOW })).message).toMatch(/Unix timestamp/);
  });

  it('refuses a signed body that is not JSON', () => {
    const headers = signStandardWebhook(SECRET, { id: 'msg_13', timestamp: NOW, body: 'not json' });
    expect(rejection(() => verifyStandardWebhook(SECRET, headers, 'not json', { now: NOW })).message).toMatch(/not JSON/);
  });

  it('refuses when the configured secret is empty or not base64', () => {
    const headers = signStandardWebhook(SECRET, { id: 'msg_14', timestamp: NOW, body: BODY });
    expect(rejection(() => verifyStandardWebhook('', headers, BODY, { now: NOW })).message).toMatch(/empty/);
    expect(rejection(() => verifyStandardWebhook('whsec_***not base64***', headers, BODY, { now: NOW })).message).toMatch(/base64/);
  });
});
