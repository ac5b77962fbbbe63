// The simulator's loopback certificate (simulator/tls.ts): made at first start, none committed, kept in its folder
// and reused on later starts, and trusted by this process's fetch for the https media links.
import { execFileSync } from 'node:child_process';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { startSimulator } from '../../simulator/server.ts';
import { CERTIFICATE_FILE, KEY_FILE, loopbackIdentity } from '../../simulator/tls.ts';

const ROOT = new URL('../..', import.meta.url).pathname;

/** A pair kept in another folder, whose key belongs to another certificate. */
let other: Awaited<ReturnType<typeof loopbackIdentity>>;
beforeAll(async () => {
  other = await loopbackIdentity(mkdtempSync(join(tmpdir(), 'klingflow-tls-other-')));
});

/** The certificate a TLS server on 127.0.0.1:<port> presents, as PEM. */
function presentedCertificate(port: number, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, ca, servername: 'localhost' }, () => {
      const raw = socket.getPeerX509Certificate();
      socket.end();
      if (raw) resolve(raw.toString());
      else reject(new Error('no peer certificate'));
    });
    socket.once('error', reject);
  });
}

describe('simulator TLS identity', () => {
  it('has no private key committed in the repository', () => {
    expect(existsSync(join(ROOT, 'simulator/fixtures/tls'))).toBe(false);
    let tracked = '';
    try {
      // git grep exits 1 when nothing matches.
      tracked = execFileSync('git', ['grep', '-l', '-e', `BEGIN ${'PRIVATE'} KEY`, '-e', `BEGIN EC ${'PRIVATE'} KEY`], {
        cwd: ROOT,
        encoding: 'utf8',
      });
    } catch (error) {
      if ((error as { status?: number }).status !== 1) throw error;
    }
    expect(tracked).toBe('');
  });

  it('makes a loopback certificate for 127.0.0.1 and localhost that matches its key', async () => {
    const identity = await loopbackIdentity();
    const certificate = new X509Certificate(identity.certificate);
    expect(certificate.subjectAltName).toBe('IP Address:127.0.0.1, DNS:localhost');
    expect(certificate.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(certificate.checkPrivateKey(createPrivateKey(identity.key))).toBe(true);
    expect(new Date(certificate.validTo).getTime()).toBeGreaterThan(Date.now() + 365 * 24 * 60 * 60 * 1000);
    expect(identity.certificateFile).toBeUndefined();
    // One pair per process when no folder keeps it.
    expect((await loopbackIdentity()).certificate).toBe(identity.certificate);
  });

  it('writes the pair into its folder at first start (the key owner-only) and reads it back after', async () => {
    const folder = join(mkdtempSync(join(tmpdir(), 'klingflow-tls-')), 'nested');
    const first = await loopbackIdentity(folder);
    expect(first.certificateFile).toBe(join(folder, CERTIFICATE_FILE));
    expect(readFileSync(join(folder, CERTIFICATE_FILE), 'utf8')).toBe(first.certificate);
    expect(readFileSync(join(folder, KEY_FILE), 'utf8')).toBe(first.key);
    expect(statSync(join(folder, KEY_FILE)).mode & 0o077).toBe(0);
    const again = await loopbackIdentity(folder);
    expect(again).toEqual(first);
    expect((await loopbackIdentity(mkdtempSync(join(tmpdir(), 'klingflow-tls-')))).certificate).not.toBe(first.certificate);
  });

  it('makes a kept key that was widened to 0644 owner-only again at start, saying so, and keeps the pair', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'klingflow-tls-'));
    const first = await loopbackIdentity(folder);
    const keyFile = join(folder, KEY_FILE);
    const said = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    let lines: string[];
    let again: Awaited<ReturnType<typeof loopbackIdentity>>;
    let quiet: string[];
    try {
      chmodSync(keyFile, 0o644);
      again = await loopbackIdentity(folder);
      lines = said.mock.calls.map(([line]) => String(line));
      said.mockClear();
      await loopbackIdentity(folder); // owner-only now: nothing to say
      quiet = said.mock.calls.map(([line]) => String(line));
    } finally {
      said.mockRestore();
    }
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(again).toEqual(first);
    expect(lines).toEqual([`simulator: the loopback key ${keyFile} was readable by others (mode 0644): made owner-only (0600)\n`]);
    expect(quiet).toEqual([]);
  });

  it.each([
    ['an empty certificate', (folder: string) => writeFileSync(join(folder, CERTIFICATE_FILE), '')],
    ['an empty key', (folder: string) => writeFileSync(join(folder, KEY_FILE), '')],
    ['a truncated certificate', (folder: string) => truncateSync(join(folder, CERTIFICATE_FILE), 200)],
    ['a key of another certificate', (folder: string) => writeFileSync(join(folder, KEY_FILE), other.key)],
    ['no certificate beside the key', (folder: string) => rmSync(join(folder, CERTIFICATE_FILE))],
  ])('makes a new pair, saying so, when the kept one has %s', async (_case, damage) => {
    const folder = mkdtempSync(join(tmpdir(), 'klingflow-tls-'));
    const first = await loopbackIdentity(folder);
    damage(folder);
    const said = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    let again: Awaited<ReturnType<typeof loopbackIdentity>>;
    let lines: string[];
    try {
      again = await loopbackIdentity(folder);
      lines = said.mock.calls.map(([line]) => String(line));
    } finally {
      said.mockRestore();
    }
    expect(again.certificate).not.toBe(first.certificate);
    expect(new X509Certificate(again.certificate).checkPrivateKey(createPrivateKey(again.key))).toBe(true);
    expect(readFileSync(join(folder, KEY_FILE), 'utf8')).toBe(again.key);
    expect(readFileSync(join(folder, CERTIFICATE_FILE), 'utf8')).toBe(again.certificate);
    expect(lines).toEqual([expect.stringMatching(new RegExp(`loopback certificate in ${folder} is unusable \\(.+\\): making a new pair`))]);
  });

  it('a simulator on a state folder presents the same certificate after a restart, and its https links fetch', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'klingflow-sim-tls-'));
    const first = await startSimulator({ stateDir, latencyMs: 50 });
    let before: string;
    try {
      expect(first.certificateFile).toBe(join(stateDir, CERTIFICATE_FILE));
      before = await presentedCertificate(first.port, first.certificate);
      expect(new X509Certificate(before).fingerprint256).toBe(new X509Certificate(first.certificate).fingerprint256);
      // This process trusts it: fetch reaches the TLS side (a 404 for an unknown task, not a certificate error).
      expect((await fetch(`${first.secureUrl}/media/no-such-task.mp4`)).status).toBe(404);
    } finally {
      await first.close();
    }
    const second = await startSimulator({ stateDir, latencyMs: 50 });
    try {
      expect(second.certificate).toBe(first.certificate);
      expect(new X509Certificate(await presentedCertificate(second.port, second.certificate)).fingerprint256).toBe(
        new X509Certificate(before).fingerprint256,
      );
    } finally {
      await second.close();
    }
  });
});
