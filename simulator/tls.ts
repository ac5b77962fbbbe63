// The simulator's loopback-only TLS identity (127.0.0.1 and localhost): a self-signed certificate and its key, made
// when first needed (none is committed: a private key in the repository trips secret scanners). With a folder, the
// pair is kept there and reused on later starts, so links handed out before a restart still verify, and a client in
// another process can trust it with NODE_EXTRA_CA_CERTS=<folder>/loopback-cert.pem. Without one it lives in memory,
// one pair per process. A kept key whose mode was widened is made owner-only again at start.
import { createPrivateKey, generateKeyPair, randomBytes, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import forge from 'node-forge';
import { keepOwnerOnly } from './owner-only.ts';

/** A certificate and its private key, both PEM. */
export interface LoopbackIdentity {
  certificate: string;
  key: string;
  /** Where the certificate is on disk (for NODE_EXTRA_CA_CERTS), when it is kept in a folder. */
  certificateFile?: string;
}

/** The certificate's file name in its folder. */
export const CERTIFICATE_FILE = 'loopback-cert.pem';
/** The key's file name in its folder (written owner-only). */
export const KEY_FILE = 'loopback-key.pem';

const SUBJECT = [{ name: 'commonName', value: 'klingflow provider simulator (loopback only)' }];
const generateKeyPairAsync = promisify(generateKeyPair);
const VALIDITY_YEARS = 10;

let inMemory: Promise<LoopbackIdentity> | undefined;

/**
 * The loopback identity kept in `folder` (made and written there the first time, read back afterwards), or, with no
 * folder, one made once for this process and kept in memory. A kept key file whose mode lets others read it is
 * chmod'ed back to 0600, with a line on stderr; an unusable pair is made again (also said on stderr). Rejects only
 * when a new pair cannot be written to `folder`.
 */
export function loopbackIdentity(folder?: string): Promise<LoopbackIdentity> {
  if (!folder) {
    inMemory ??= generateLoopbackIdentity();
    return inMemory;
  }
  return keptIn(folder);
}

async function keptIn(folder: string): Promise<LoopbackIdentity> {
  const certificateFile = join(folder, CERTIFICATE_FILE);
  const keyFile = join(folder, KEY_FILE);
  if (existsSync(certificateFile) || existsSync(keyFile)) {
    if (existsSync(keyFile)) keepOwnerOnly(keyFile, 'simulator: the loopback key');
    const kept = readPair(certificateFile, keyFile);
    if (kept.ok) return { ...kept.identity, certificateFile };
    // A pair that cannot serve TLS (an empty or damaged file, a key of another certificate) is made again, as a
    // missing one is: it is the simulator's own, and nothing outside this folder holds it.
    process.stderr.write(`simulator: the loopback certificate in ${folder} is unusable (${kept.reason}): making a new pair\n`);
  }
  const made = await generateLoopbackIdentity();
  mkdirSync(folder, { recursive: true });
  // The key first and each file whole (written aside, then renamed), so a start that dies half way leaves no
  // certificate without its key.
  writeWhole(keyFile, made.key, 0o600);
  writeWhole(certificateFile, made.certificate, 0o644);
  return { ...made, certificateFile };
}

/** The kept pair if both files read as PEM, the certificate is valid now and the key is its own; else why not. */
function readPair(
  certificateFile: string,
  keyFile: string,
): { ok: true; identity: { certificate: string; key: string } } | { ok: false; reason: string } {
  try {
    const certificate = readFileSync(certificateFile, 'utf8');
    const key = readFileSync(keyFile, 'utf8');
    const x509 = new X509Certificate(certificate);
    if (!x509.checkPrivateKey(createPrivateKey(key))) return { ok: false, reason: 'the key is not the certificate’s' };
    const now = Date.now();
    if (now < Date.parse(x509.validFrom) || now > Date.parse(x509.validTo))
      return { ok: false, reason: `valid only until ${x509.validTo}` };
    return { ok: true, identity: { certificate, key } };
  } catch (error) {
    return { ok: false, reason: (error as Error).message };
  }
}

function writeWhole(file: string, text: string, mode: number): void {
  const aside = `${file}.${process.pid}.tmp`;
  writeFileSync(aside, text, { mode });
  renameSync(aside, file);
}

/**
 * Makes a new self-signed certificate for 127.0.0.1 and localhost (a CA for itself, server auth only), valid from a
 * day ago for ten years, and its RSA key (PKCS#8). The key pair comes from node:crypto; node-forge writes the
 * certificate, which node:crypto cannot.
 */
export async function generateLoopbackIdentity(): Promise<LoopbackIdentity> {
  const { privateKey, publicKey } = await generateKeyPairAsync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const certificate = forge.pki.createCertificate();
  certificate.publicKey = forge.pki.publicKeyFromPem(publicKey);
  // A positive serial (the first byte's high bit clear), random so that a new pair is never mistaken for an old one.
  certificate.serialNumber = `01${randomBytes(15).toString('hex')}`;
  const notBefore = new Date(Date.now() - 24 * 60 * 60 * 1000);
  const notAfter = new Date(notBefore);
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + VALIDITY_YEARS);
  certificate.validity.notBefore = notBefore;
  certificate.validity.notAfter = notAfter;
  certificate.setSubject(SUBJECT);
  certificate.setIssuer(SUBJECT);
  certificate.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, keyCertSign: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    {
      name: 'subjectAltName',
      altNames: [
        { type: 7, ip: '127.0.0.1' },
        { type: 2, value: 'localhost' },
      ],
    },
    { name: 'subjectKeyIdentifier' },
  ]);
  certificate.sign(forge.pki.privateKeyFromPem(privateKey), forge.md.sha256.create());
  return { certificate: forge.pki.certificateToPem(certificate), key: privateKey };
}
