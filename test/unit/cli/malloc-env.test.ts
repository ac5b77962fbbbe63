// glibc's malloc settings (local/malloc-env.json): `npm start` and `npm run bench` set exactly these, and the CLI
// re-run under the pinned Node (cli/bin.mjs, on an older system Node), where an embedded local stack runs, gets them.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const MALLOC_ENV = JSON.parse(readFileSync(resolve('local/malloc-env.json'), 'utf8')) as Record<string, string>;
const scripts = (JSON.parse(readFileSync(resolve('package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;

/** The VAR=value assignments a POSIX npm script starts with (the words before its first `node`). */
function assignments(script: string): Record<string, string> {
  const words = script.split(/\s+/);
  return Object.fromEntries(words.slice(0, words.indexOf('node')).map((word) => word.split('=', 2)));
}

describe('malloc settings', () => {
  it('are glibc variables, and npm start and npm run bench set exactly them', () => {
    expect(Object.keys(MALLOC_ENV)).toEqual(['MALLOC_ARENA_MAX', 'MALLOC_MMAP_THRESHOLD_', 'MALLOC_TRIM_THRESHOLD_']);
    for (const name of ['start', 'bench']) {
      expect(assignments(scripts[name]!)).toEqual(MALLOC_ENV);
    }
  });

  it('npm start and npm run bench cap the young generation alike (--max-semi-space-size)', () => {
    // The words between `node` and the script's file: Node's own options.
    const nodeOptions = (script: string) => {
      const words = script.split(/\s+/);
      return words.slice(words.indexOf('node') + 1).filter((word) => word.startsWith('--max-semi-space-size='));
    };
    expect(nodeOptions(scripts.start!)).toEqual(['--max-semi-space-size=16']);
    expect(nodeOptions(scripts.bench!)).toEqual(nodeOptions(scripts.start!));
  });

  it('go to the CLI re-run under the pinned Node, with values the caller set kept', () => {
    // A copy of the bin whose pinned "node" prints its environment, run as if the system Node were 20.
    const root = mkdtempSync(join(tmpdir(), 'klingflow-bin-'));
    mkdirSync(join(root, 'cli'));
    mkdirSync(join(root, 'local'));
    mkdirSync(join(root, 'node_modules', 'node', 'bin'), { recursive: true });
    copyFileSync(resolve('cli/bin.mjs'), join(root, 'cli', 'bin.mjs'));
    copyFileSync(resolve('local/malloc-env.json'), join(root, 'local', 'malloc-env.json'));
    const pinned = join(root, 'node_modules', 'node', 'bin', 'node');
    writeFileSync(pinned, '#!/bin/sh\nenv\n');
    chmodSync(pinned, 0o755);
    const run = (env: Record<string, string>) => {
      const printed = execFileSync(
        process.execPath,
        [
          '--import',
          'data:text/javascript,Object.defineProperty(process.versions,"node",{value:"20.19.0"})',
          join(root, 'cli', 'bin.mjs'),
          'jobs',
        ],
        { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', ...env } },
      );
      return Object.fromEntries(printed.split('\n').map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
    };
    expect(run({})).toMatchObject(MALLOC_ENV);
    expect(run({ MALLOC_ARENA_MAX: '4' })).toMatchObject({ ...MALLOC_ENV, MALLOC_ARENA_MAX: '4' });
  });
});
