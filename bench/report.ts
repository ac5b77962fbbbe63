// The bench's figures as one table, each beside its reference (a goal of issue 8, a reference workflow run by the
// same interpreter, or a raw copy over the same loopback), in Markdown so the README can carry it as printed.
import type { ArchiveResult } from './archive.ts';
import type { BundleFigure } from './bundles.ts';
import type { BurstResult } from './burst.ts';
import type { JobCost } from './cost.ts';
import type { FrontDoorResult } from './front-door.ts';
import type { LatencyResult } from './latency.ts';

export type Row = [figure: string, measured: string, reference: string];

export interface Results {
  mode: string;
  bundles: BundleFigure[];
  frontDoor: FrontDoorResult;
  latency: LatencyResult;
  archive: ArchiveResult;
  burst: BurstResult;
  cost: { scale: number; rows: JobCost[] };
}

const kb = (bytes: number) => `${Math.round(bytes / 1024)} KB`;
const usd = (n: number) => `$${(n * 1000).toFixed(3)} per 1,000 jobs`;

function table(rows: Row[]): string[] {
  const header: Row = ['figure', 'measured', 'reference'];
  const widths = header.map((_, i) => Math.max(...[header, ...rows].map((r) => r[i]?.length ?? 0)));
  const line = (r: readonly string[]) => `| ${r.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
}

export function rows(results: Results): Row[] {
  const out: Row[] = [];
  const sizes = results.bundles.map((b) => b.bytes);
  const loads = results.bundles.map((b) => b.coldLoadMs.median).sort((a, b) => a - b);
  const medianLoad = loads[Math.floor(loads.length / 2)] ?? 0;
  out.push([
    // Runs before per-deployment bundles carried every adapter in every bundle (no bytesAllProviders).
    `Lambda bundles (minified), ${results.bundles.length}${results.bundles.some((b) => b.bytesAllProviders !== undefined) ? ', default deployment (kling adapter)' : ''}`,
    `${kb(Math.min(...sizes))} to ${kb(Math.max(...sizes))}; ${results.bundles.filter((b) => b.bytes <= 300 * 1024).length} within the goal`,
    'goal ≤ 300 KB each',
  ]);
  const allProviders = results.bundles.flatMap((b) => (b.bytesAllProviders === undefined ? [] : [b.bytesAllProviders]));
  if (allProviders.length) {
    out.push([
      'the same bundles with all seven providers enabled',
      `${kb(Math.min(...allProviders))} to ${kb(Math.max(...allProviders))}; ${allProviders.filter((b) => b <= 300 * 1024).length} within 300 KB`,
      'a deployment enabling every adapter',
    ]);
  }
  for (const b of results.bundles) out.push([`bundle: ${b.handler}`, `${kb(b.bytes)}, cold load ${b.coldLoadMs.median} ms`, '']);
  out.push(["cold module load, median of the bundles' medians", `${medianLoad} ms`, 'goal ≤ 100 ms']);

  const fd = results.frontDoor;
  const [first, last] = [fd.rssMb.checkpoints[0], fd.rssMb.checkpoints.at(-1)];
  out.push([
    'front door, instant provider: jobs accepted / completed per second',
    `${fd.acceptedPerSecond} / ${fd.completedPerSecond}`,
    '',
  ]);
  out.push([
    `local stack RSS after ${first?.jobs} and ${last?.jobs} jobs, after a full GC (busy)`,
    `${first?.rssMb} MB → ${last?.rssMb} MB (× ${fd.growth})`,
    'goal: × ≤ 1.2',
  ]);
  if (first?.reducedRssMb !== undefined && last?.reducedRssMb !== undefined) {
    out.push([
      `local stack RSS after ${first.jobs} and ${last.jobs} jobs, after a memory-reducing GC (quiet)`,
      `${first.reducedRssMb} MB → ${last.reducedRssMb} MB (× ${fd.reducedGrowth})`,
      'goal: × ≤ 1.2',
    ]);
  }

  const lat = results.latency;
  out.push([
    `completion → notice, callback (${lat.callback.jobs} jobs, ${lat.inFlight} in flight)`,
    `p50 ${lat.callback.p50Seconds} s, p95 ${lat.callback.p95Seconds} s`,
    'goal p50 ≤ 1 s',
  ]);
  out.push([
    `completion → notice, polled (${lat.polled.jobs} jobs of ${lat.generationSeconds?.join('–')} s, time scale ${lat.timeScale === 1 ? '1' : `1/${Math.round(1 / lat.timeScale)}`})`,
    `p50 ${lat.polled.p50Seconds} s, p95 ${lat.polled.p95Seconds} s`,
    'goal p50 ≤ 3 s, p95 ≤ 8 s; 10 s poll loop ≈ 5 s mean',
  ]);

  const ar = results.archive;
  out.push([
    `archive of ${(ar.bytes / 1e6).toFixed(0)} MB into the local S3`,
    `${ar.archive.mbPerSecond} MB/s, peak RSS ${ar.archive.peakRssMb} MB`,
    `raw copy ${ar.raw.mbPerSecond} MB/s, ${ar.raw.peakRssMb} MB (goal ≥ 90 %: ${Math.round(ar.throughputRatio * 100)} %; ≤ +32 MB: ${ar.rssOverRawMb >= 0 ? '+' : ''}${ar.rssOverRawMb} MB)`,
  ]);
  if (ar.rawToDisk) {
    out.push([
      `raw copy of ${(ar.bytes / 1e6).toFixed(0)} MB to a bare disk sink (no s3rver)`,
      `${ar.rawToDisk.mbPerSecond} MB/s, peak RSS ${ar.rawToDisk.peakRssMb} MB`,
      '',
    ]);
  }

  const bu = results.burst;
  out.push([
    `burst: ${bu.jobs} jobs at once, ${bu.slots} slots${bu.slotsEnforced ? '' : ' (the provider ran more at once)'}`,
    `provider max in flight ${bu.providerMaxInFlight}, ${bu.rejections} rejections, makespan ${bu.makespanSeconds} s`,
    `⌈${bu.jobs}/${bu.slots}⌉ × ${bu.generationSeconds} s = ${bu.idealMakespanSeconds} s`,
  ]);

  const goal = (r: JobCost) =>
    r.workflow.startsWith('reference')
      ? `notice ${r.noticeLagSeconds} s after completion`
      : r.workflow.endsWith('callback')
        ? 'goal ≤ 10 transitions'
        : 'goal ≤ 16 transitions';
  for (const r of results.cost.rows) {
    out.push([
      `${r.workflow}, ${r.providerSeconds} s job (time scale 1/${results.cost.scale})`,
      `${r.transitions} transitions, ${r.lambdaInvocations} invocations, ${r.lambdaGbSeconds} GB-s, ${usd(r.usd)}`,
      goal(r),
    ]);
  }
  return out;
}

export const render = (results: Results): string[] => table(rows(results));
