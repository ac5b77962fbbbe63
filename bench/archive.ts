// Archive throughput: a large video through the real archive code into the local S3, beside a raw copy of the same
// bytes over the same loopback to the same destination: a bare, unsigned HTTP PUT into the same local S3, so both
// pay s3rver's own write path (its MD5 and its disk). A second raw copy goes to a bare sink that only writes to disk,
// to show what s3rver itself costs. bench/archive-child.ts does each copy in a process of its own.
import { execFile } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { startS3 } from '../local/emulators/s3.ts';

export interface CopyFigure {
  seconds: number;
  mbPerSecond: number;
  peakRssMb: number;
}

export interface ArchiveResult {
  bytes: number;
  archive: CopyFigure;
  /** The same bytes PUT raw into the same local S3 (the reference). */
  raw: CopyFigure;
  /** The same bytes to a bare HTTP sink writing to disk: the loopback and disk without s3rver. */
  rawToDisk?: CopyFigure;
  /** Archive throughput over raw throughput (into the same local S3). */
  throughputRatio: number;
  /** Archive peak RSS minus raw peak RSS, MB. */
  rssOverRawMb: number;
}

const listen = async (server: Server): Promise<string> => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
};

/** Serves `bytes` bytes of a fixed pseudo-random megabyte, repeated, as video/mp4 with a Content-Length. */
function source(bytes: number): Server {
  const block = Buffer.alloc(1024 * 1024);
  for (let i = 0, x = 2463534242; i < block.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    block[i] = x & 0xff;
  }
  return createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': String(bytes) });
    let left = bytes;
    const write = () => {
      while (left > 0) {
        const chunk = left >= block.length ? block : block.subarray(0, left);
        left -= chunk.length;
        if (!res.write(chunk)) return void res.once('drain', write);
      }
      res.end();
    };
    write();
  });
}

export async function archiveBench(options: { bytes: number }): Promise<ArchiveResult> {
  const dir = mkdtempSync(join(tmpdir(), 'klingflow-bench-archive-'));
  const from = source(options.bytes);
  // The raw copy's sink writes to disk too, as the local S3 does.
  const sink = createServer((req, res) => {
    void pipeline(req, createWriteStream(join(dir, 'raw.bin'))).then(
      () => res.end('ok'),
      () => res.destroy(),
    );
  });
  const s3 = await startS3(join(dir, 's3'), ['bench-archive']);
  try {
    const sourceUrl = `${await listen(from)}/video.mp4`;
    const sinkUrl = `${await listen(sink)}/raw.bin`;
    const child = async (mode: 'archive' | 'raw', target: string): Promise<CopyFigure> => {
      const { stdout } = await promisify(execFile)(
        process.execPath,
        ['--import', 'tsx', join(import.meta.dirname, 'archive-child.ts'), mode, sourceUrl, target],
        {
          env: {
            ...process.env,
            AWS_REGION: 'us-east-1',
            AWS_ACCESS_KEY_ID: 'S3RVER',
            AWS_SECRET_ACCESS_KEY: 'S3RVER',
            AWS_ENDPOINT_URL_S3: s3.endpoint,
            KLINGFLOW_S3_FORCE_PATH_STYLE: 'true',
            POWERTOOLS_LOG_LEVEL: 'SILENT',
          },
          maxBuffer: 1024 * 1024,
        },
      );
      const { ms, bytes, peakRssMb } = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as {
        ms: number;
        bytes: number;
        peakRssMb: number;
      };
      if (bytes !== options.bytes) throw new Error(`${mode} copied ${bytes} of ${options.bytes} bytes`);
      return { seconds: Math.round(ms) / 1000, mbPerSecond: Math.round((bytes / 1e6 / (ms / 1000)) * 10) / 10, peakRssMb };
    };
    // Each copy starts on a quiet disk: the one before is deleted and its dirty pages written back, or the later
    // copy would pay for the earlier one's writeback (at 2 GB, several seconds).
    const settle = () => promisify(execFile)('sync');
    const rawToDisk = await child('raw', sinkUrl);
    rmSync(join(dir, 'raw.bin'), { force: true });
    await settle();
    const rawUrl = `${s3.endpoint}/bench-archive/bench/raw.bin`;
    const raw = await child('raw', rawUrl);
    await fetch(rawUrl, { method: 'DELETE' });
    await settle();
    const archive = await child('archive', 'bench-archive');
    return {
      bytes: options.bytes,
      archive,
      raw,
      rawToDisk,
      throughputRatio: Math.round((archive.mbPerSecond / raw.mbPerSecond) * 100) / 100,
      rssOverRawMb: archive.peakRssMb - raw.peakRssMb,
    };
  } finally {
    from.close();
    sink.close();
    await s3.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
