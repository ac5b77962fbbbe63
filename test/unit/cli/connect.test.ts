// Which data folder the CLI uses when none is given (cli/connect.ts, nearestDataDir): the one `npm start` keeps; and
// which token `--api` to this project's own stack uses.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { connect, nearestDataDir, UsageError } from '../../../cli/connect.ts';
import { STACK_FILE } from '../../../local/stack.ts';

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

describe('connect --api to a stack on this machine', () => {
  it("uses the saved token of this project's stack when --api names it (localhost or 127.0.0.1), and says so when not", async () => {
    const seen: string[] = [];
    const server = createServer((req, res) => {
      seen.push(String(req.headers.authorization));
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"items":[],"nextCursor":null}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const dataDir = mkdtempSync(join(tmpdir(), 'klingflow-cli-stack-'));
    // A running stack's record (this process stands for its pid) and its saved token, as npm start leaves them.
    writeFileSync(join(dataDir, STACK_FILE), JSON.stringify({ url: `http://127.0.0.1:${port}`, pid: process.pid }));
    writeFileSync(join(dataDir, 'api-token'), 'saved-token-of-the-stack\n');
    const names = ['KLINGFLOW_API_TOKEN', 'AWS_REGION', 'AWS_DEFAULT_REGION'] as const;
    const saved = names.map((name) => process.env[name]);
    for (const name of names) delete process.env[name];
    try {
      for (const api of [`http://localhost:${port}`, `http://127.0.0.1:${port}/`]) {
        const target = await connect({ api, dataDir }, () => undefined);
        await target.api.listJobs({});
      }
      expect(seen).toEqual(['Bearer saved-token-of-the-stack', 'Bearer saved-token-of-the-stack']);
      // Another port on this machine is another stack: its token is not this one.
      const other = connect({ api: `http://127.0.0.1:${port + 1}`, dataDir }, () => undefined);
      await expect(other).rejects.toThrow(UsageError);
      await expect(other).rejects.toThrow("the stack of this project's data folder needs no --api");
    } finally {
      names.forEach((name, i) => {
        if (saved[i] !== undefined) process.env[name] = saved[i];
      });
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
