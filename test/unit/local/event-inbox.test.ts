// The local queue of asynchronous invocations: an event is kept on disk until its function has run, so a stack
// killed before that delivers it when it starts again; a failed one is dead-lettered, not retried for ever.
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EventInbox } from '../../../local/event-inbox.ts';

const folder = () => mkdtempSync(join(tmpdir(), 'klingflow-inbox-'));
const quiet = () => undefined;

describe('EventInbox', () => {
  it('keeps an event that came before delivery started, and delivers it on open, once', async () => {
    const dir = folder();
    const delivered: unknown[] = [];
    const inbox = new EventInbox<{ n: number }>(dir, quiet);
    await inbox.submit({ n: 1 });
    expect(delivered).toEqual([]);
    expect(await inbox.open(async (event) => delivered.push(event))).toBe(1);
    await inbox.submit({ n: 2 });
    expect(delivered).toEqual([{ n: 1 }, { n: 2 }]);
    expect(readdirSync(join(dir, 'pending'))).toEqual([]);
  });

  it('delivers, after a restart, an event whose function never returned (the process died mid-delivery)', async () => {
    const dir = folder();
    const first = new EventInbox<{ key: string }>(dir, quiet);
    void first.open(() => new Promise(() => undefined)); // a function that never returns: the process "dies"
    void first.submit({ key: 'uploads/cat.png' });
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(readdirSync(join(dir, 'pending'))).toHaveLength(1);

    const delivered: unknown[] = [];
    const second = new EventInbox<{ key: string }>(dir, quiet);
    expect(await second.open(async (event) => delivered.push(event))).toBe(1);
    expect(delivered).toEqual([{ key: 'uploads/cat.png' }]);
    expect(readdirSync(join(dir, 'pending'))).toEqual([]);
  });

  it('dead-letters an event whose function failed, says where, and does not deliver it again', async () => {
    const dir = folder();
    const lines: string[] = [];
    const inbox = new EventInbox<{ n: number }>(dir, (line) => lines.push(line));
    await inbox.open(async () => {
      throw new Error('manifest unreadable');
    });
    await inbox.submit({ n: 1 });
    expect(readdirSync(join(dir, 'dead-letter'))).toHaveLength(1);
    expect(lines.join('\n')).toMatch(/dead-letter.*manifest unreadable/);
    const again: unknown[] = [];
    expect(await new EventInbox(dir, quiet).open(async (event) => again.push(event))).toBe(0);
    expect(again).toEqual([]);
  });

  it('drops a file cut short as it was written, and delivers the others', async () => {
    const dir = folder();
    new EventInbox(dir, quiet);
    writeFileSync(join(dir, 'pending', '0-a.json'), '{"n":');
    writeFileSync(join(dir, 'pending', '1-b.json'), '{"n":2}');
    const delivered: unknown[] = [];
    await new EventInbox(dir, quiet).open(async (event) => delivered.push(event));
    expect(delivered).toEqual([{ n: 2 }]);
    expect(readdirSync(join(dir, 'pending'))).toEqual([]);
  });
});
