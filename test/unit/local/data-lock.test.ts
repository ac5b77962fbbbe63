// The data folder's lock (local/data-lock.ts): one holder at a time, a dead holder's lock taken over, released only
// by its holder.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DataDirLocked, LOCK_FILE, lockDataDir } from '../../../local/data-lock.ts';

const folder = () => mkdtempSync(join(tmpdir(), 'klingflow-lock-'));
/** A pid no process has any more: a child that has already exited. */
const deadPid = () => spawnSync(process.execPath, ['-e', '']).pid;

const children: ChildProcess[] = [];
afterEach(() => {
  for (let child = children.pop(); child; child = children.pop()) child.kill();
});

describe('lockDataDir', () => {
  it('holds the folder for this process until released, and leaves no other file behind', () => {
    const dir = folder();
    const lock = lockDataDir(dir);
    expect(lock.file).toBe(join(dir, LOCK_FILE));
    expect(readFileSync(lock.file, 'utf8').trim()).toBe(String(process.pid));
    expect(() => lockDataDir(dir)).toThrow(DataDirLocked);
    expect(() => lockDataDir(dir)).toThrow(`a local stack is already running on ${dir} (pid ${process.pid})`);
    expect(readdirSync(dir)).toEqual([LOCK_FILE]);
    lock.release();
    lock.release();
    expect(existsSync(lock.file)).toBe(false);
    lockDataDir(dir).release();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('refuses a folder another live process holds, naming its pid', () => {
    const dir = folder();
    const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)']);
    children.push(other);
    writeFileSync(join(dir, LOCK_FILE), `${other.pid}\n`);
    expect(() => lockDataDir(dir)).toThrow(expect.objectContaining({ pid: other.pid }));
    expect(readFileSync(join(dir, LOCK_FILE), 'utf8').trim()).toBe(String(other.pid));
  });

  it.each([
    ['a process that is gone', () => `${deadPid()}\n`],
    ['no pid', () => ''],
    ['garbage', () => 'not a pid'],
  ])('takes over a lock left by %s', (_case, content) => {
    const dir = folder();
    writeFileSync(join(dir, LOCK_FILE), content());
    const lock = lockDataDir(dir);
    expect(readFileSync(lock.file, 'utf8').trim()).toBe(String(process.pid));
    expect(readdirSync(dir)).toEqual([LOCK_FILE]);
    lock.release();
  });

  it('says whether it took over a lock left behind (the last stack on the folder did not stop cleanly)', () => {
    const dir = folder();
    const clean = lockDataDir(dir);
    expect(clean.tookOver).toBe(false);
    clean.release();
    writeFileSync(join(dir, LOCK_FILE), `${deadPid()}\n`);
    const afterCrash = lockDataDir(dir);
    expect(afterCrash.tookOver).toBe(true);
    afterCrash.release();
  });

  it('release leaves a lock that is no longer its own', () => {
    const dir = folder();
    const lock = lockDataDir(dir);
    writeFileSync(lock.file, '1\n'); // taken over by another holder meanwhile
    lock.release();
    expect(readFileSync(lock.file, 'utf8')).toBe('1\n');
  });
});
