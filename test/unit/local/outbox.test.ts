// The local notices file (local/outbox.ts): the share links in a notice open the video for whoever holds them, so the
// file is owner-only, and made so again when a kept one is not.
import { chmodSync, mkdirSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it, vi } from 'vitest';
import { Outbox } from '../../../local/outbox.ts';

afterEach(() => {
  vi.restoreAllMocks();
});

const notice = {
  messageId: 'm1',
  topicArn: 'arn:aws:sns:us-east-1:0:t',
  subject: 's',
  message: 'Download: link',
  attributes: {},
  publishedAt: '',
};

it('writes notices owner-only (0600), and tightens a kept file that others could read', () => {
  const fresh = mkdtempSync(join(tmpdir(), 'klingflow-outbox-'));
  const outbox = new Outbox(fresh, () => undefined);
  outbox.append(notice);
  expect(statSync(outbox.file).mode & 0o777).toBe(0o600);
  expect(outbox.read()).toEqual([notice]);

  const kept = mkdtempSync(join(tmpdir(), 'klingflow-outbox-'));
  mkdirSync(join(kept, 'outbox'));
  writeFileSync(join(kept, 'outbox', 'notices.jsonl'), `${JSON.stringify(notice)}\n`);
  chmodSync(join(kept, 'outbox', 'notices.jsonl'), 0o644);
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  const reopened = new Outbox(kept, () => undefined);
  expect(statSync(reopened.file).mode & 0o777).toBe(0o600);
  expect(reopened.read()).toEqual([notice]);
});
