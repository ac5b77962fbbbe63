// Front door: jobs accepted and completed per second with an instant provider (the simulator's latency 0), and the
// process's memory at checkpoints of a steady stream of jobs. The stream keeps at most `inFlight` jobs unfinished,
// as a steady load does. RSS is read twice at each checkpoint: after a full garbage collection (what a busy stack
// keeps resident), then after a memory-reducing one (what it holds: V8 gives back what it kept for speed, as it does
// when the stack goes quiet), with the V8 heap beside them.
import { readFileSync } from 'node:fs';
import { createJobs, reducedRssMb, settledRssMb, startBenchStack } from './stack.ts';

export interface MemoryCheckpoint {
  jobs: number;
  /** After a full GC, under load. */
  rssMb: number;
  /** After a memory-reducing GC. */
  reducedRssMb: number;
  heapUsedMb: number;
  heapTotalMb: number;
  /** Memory of C++ objects bound to JS objects (Buffers among them), after the memory-reducing GC. */
  externalMb?: number;
  /** ArrayBuffers and Buffers alone (part of `externalMb`). */
  arrayBuffersMb?: number;
  /**
   * Of `reducedRssMb`, the pages of mapped files (Linux only): the node binary and its libraries, and the database
   * files LevelDB maps to read them (dynalite), which grow with the data kept. The rest is anonymous memory.
   */
  reducedRssFileMb?: number;
}

/** The file-backed part of the RSS in MB (Linux /proc/self/status RssFile), or undefined elsewhere. */
function rssFileMb(): number | undefined {
  try {
    const kb = /^RssFile:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    return kb === undefined ? undefined : Math.round(Number(kb) / 1024);
  } catch {
    return undefined;
  }
}

export interface FrontDoorResult {
  jobs: number;
  acceptedPerSecond: number;
  completedPerSecond: number;
  rssMb: { start: number; checkpoints: MemoryCheckpoint[] };
  /** RSS at the last checkpoint over RSS at the first (after a full GC, under load). */
  growth: number;
  /** The same after a memory-reducing GC. */
  reducedGrowth: number;
}

const mb = (bytes: number) => Math.round(bytes / 1024 / 1024);

export async function frontDoor(options: { checkpoints: number[]; inFlight: number }): Promise<FrontDoorResult> {
  const stack = await startBenchStack();
  try {
    const start = settledRssMb();
    const checkpoints: MemoryCheckpoint[] = [];
    let done = 0;
    let acceptMs = 0;
    const began = performance.now();
    for (const target of options.checkpoints) {
      while (done < target) {
        const batch = Math.min(options.inFlight, target - done);
        const bodies = Array.from({ length: batch }, (_, i) => ({ prompt: `bench job ${done + i}` }));
        const t0 = performance.now();
        const ids = await createJobs(stack, bodies, 32);
        acceptMs += performance.now() - t0;
        await stack.noticed(ids, 300_000);
        done += batch;
      }
      const rssMb = settledRssMb();
      const { heapUsed, heapTotal } = process.memoryUsage();
      const reduced = reducedRssMb();
      const { external, arrayBuffers } = process.memoryUsage();
      const fileMb = rssFileMb();
      checkpoints.push({
        jobs: done,
        rssMb,
        reducedRssMb: reduced,
        heapUsedMb: mb(heapUsed),
        heapTotalMb: mb(heapTotal),
        externalMb: mb(external),
        arrayBuffersMb: mb(arrayBuffers),
        ...(fileMb === undefined ? {} : { reducedRssFileMb: fileMb }),
      });
    }
    const totalMs = performance.now() - began;
    const first = checkpoints[0]?.rssMb ?? start;
    const last = checkpoints.at(-1)?.rssMb ?? start;
    return {
      jobs: done,
      acceptedPerSecond: Math.round((done / acceptMs) * 1000 * 10) / 10,
      completedPerSecond: Math.round((done / totalMs) * 1000 * 10) / 10,
      rssMb: { start, checkpoints },
      growth: Math.round((last / first) * 100) / 100,
      reducedGrowth: Math.round(((checkpoints.at(-1)?.reducedRssMb ?? start) / (checkpoints[0]?.reducedRssMb ?? start)) * 100) / 100,
    };
  } finally {
    await stack.close();
  }
}
