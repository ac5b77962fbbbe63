#!/usr/bin/env node
// `npx klingflow ...`. The CLI is TypeScript, run through tsx like the rest of the project, on the Node.js the
// project pins (the `node` dev dependency): a system Node.js that is older re-runs this file with that one, and
// gives that process glibc's malloc settings of `npm start` (local/malloc-env.json; glibc reads them only at process
// start), since an embedded local stack (cli/connect.ts) runs in it. Values already in the environment are kept.
// On Node 24 the CLI, and any embedded stack, runs in this process, without them.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { constants } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(realpathSync(fileURLToPath(import.meta.url))), '..');
const pinned = join(root, 'node_modules', 'node', 'bin', 'node');
const major = Number(process.versions.node.split('.')[0]);

if (major < 24 && existsSync(pinned)) {
  const mallocEnv = JSON.parse(readFileSync(join(root, 'local', 'malloc-env.json'), 'utf8'));
  // Ctrl-C reaches both processes: this one only waits (a listener keeps the signal from ending it first), and the
  // child says what goes on, stops its stack and exits 130, which this one passes on.
  process.on('SIGINT', () => undefined);
  const result = spawnSync(pinned, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...mallocEnv, ...process.env },
  });
  // A child ended by a signal exits as a shell reports it: 128 + the signal's number.
  process.exit(result.status ?? (result.signal ? 128 + (constants.signals[result.signal] ?? 0) : 1));
}

const { register } = await import('tsx/esm/api');
register();
const { run } = await import('./main.ts');
await run(process.argv.slice(2));
