// One copy of a large video, in a process of its own so its peak RSS is its own: `archive` runs the real archive
// code (lambdas/aws/s3-archive.ts: download, SHA-256, upload) into the local S3; `raw` copies the same bytes from
// the same source with a bare HTTP PUT to a loopback URL (the same local S3, or a sink that only writes to disk),
// with nothing in between. Both load the same modules, so their
// resident baselines match. Prints one JSON line: { ms, bytes, peakRssMb }.
import { request } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { s3 } from '../lambdas/aws/clients/s3.ts';
import { archiveObject } from '../lambdas/aws/s3-archive.ts';

const [mode, sourceUrl, target] = process.argv.slice(2) as ['archive' | 'raw', string, string];

async function raw(): Promise<number> {
  const response = await fetch(sourceUrl);
  if (!response.ok || !response.body) throw new Error(`source answered ${response.status}`);
  const bytes = Number(response.headers.get('content-length'));
  const sink = request(target, { method: 'PUT', headers: { 'content-length': String(bytes) } });
  const answered = new Promise<void>((resolve, reject) => {
    sink.on('response', (res) => {
      res.resume();
      res.on('end', () =>
        res.statusCode && res.statusCode < 300 ? resolve() : reject(new Error(`the raw PUT answered ${res.statusCode}`)),
      );
    });
    sink.on('error', reject);
  });
  await pipeline(Readable.fromWeb(response.body as never), sink);
  await answered;
  return bytes;
}

async function archive(): Promise<number> {
  const stored = await archiveObject(
    { s3: s3(), outbound: { trustedHosts: [new URL(sourceUrl).host] }, timeoutMs: 30 * 60_000 },
    sourceUrl,
    {
      bucket: target,
      key: 'bench/video.mp4',
      defaultContentType: 'video/mp4',
      maxBytes: 2 * 1024 ** 3,
    },
  );
  return stored.bytes;
}

const started = performance.now();
const bytes = mode === 'raw' ? await raw() : await archive();
const ms = performance.now() - started;
// maxRSS: the process's peak resident set, in KiB.
process.stdout.write(`${JSON.stringify({ ms, bytes, peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024) })}\n`);
