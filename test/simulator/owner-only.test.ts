// keepOwnerOnly (simulator/owner-only.ts): a kept secret file whose mode lets others in is made 0600 again, said once
// on stderr; an owner-only file is left alone and nothing is said.
import { chmodSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { keepOwnerOnly } from '../../simulator/owner-only.ts';

afterEach(() => {
  vi.restoreAllMocks();
});

function secretFile(mode: number): string {
  const file = join(mkdtempSync(join(tmpdir(), 'klingflow-owner-only-')), 'secret');
  writeFileSync(file, 'x\n', { mode });
  chmodSync(file, mode);
  return file;
}

describe('keepOwnerOnly', () => {
  it.each([0o644, 0o640, 0o604, 0o666])('tightens mode %o to 0600 and says so', (mode) => {
    const lines: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((line) => lines.push(String(line)) > 0);
    const file = secretFile(mode);
    expect(keepOwnerOnly(file, 'klingflow: the secret')).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(lines).toEqual([
      `klingflow: the secret ${file} was readable by others (mode ${mode.toString(8).padStart(4, '0')}): made owner-only (0600)\n`,
    ]);
  });

  it.each([0o600, 0o400])('leaves an owner-only file (mode %o) alone, silently', (mode) => {
    const write = vi.spyOn(process.stderr, 'write');
    const file = secretFile(mode);
    expect(keepOwnerOnly(file, 'klingflow: the secret')).toBe(false);
    expect(statSync(file).mode & 0o777).toBe(mode);
    expect(write).not.toHaveBeenCalled();
  });
});
