// Which data folder the CLI uses when none is given (cli/connect.ts, nearestDataDir): the one `npm start` keeps.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nearestDataDir } from '../../../cli/connect.ts';

/** A project folder with a package.json and a subfolder `docs/guide`, in a fresh temporary folder. */
function project(): string {
  const top = mkdtempSync(join(tmpdir(), 'klingflow-cli-'));
  writeFileSync(join(top, 'package.json'), '{}');
  mkdirSync(join(top, 'docs', 'guide'), { recursive: true });
  return top;
}

describe('nearestDataDir', () => {
  it('finds the .klingflow folder above a subfolder, as git finds .git', () => {
    const top = project();
    mkdirSync(join(top, '.klingflow'));
    expect(nearestDataDir(join(top, 'docs', 'guide'))).toBe(join(top, '.klingflow'));
  });

  it("before any exists, names the project's top (the nearest package.json), not the subfolder it runs in", () => {
    const top = project();
    expect(nearestDataDir(join(top, 'docs', 'guide'))).toBe(join(top, '.klingflow'));
  });

  it('prefers a .klingflow below the project top to the top', () => {
    const top = project();
    mkdirSync(join(top, 'docs', '.klingflow'));
    expect(nearestDataDir(join(top, 'docs', 'guide'))).toBe(join(top, 'docs', '.klingflow'));
  });
});
