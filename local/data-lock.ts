// One local stack per data folder: a lock file made atomically before anything in the folder is opened. Two stacks on
// one folder would corrupt it (LevelDB refuses a second opener, and the loser died with dynalite's raw "Database is
// closed"), and a check of stack.json alone let two starts at the same moment both through, since that file is
// written only once the stack is up.
import { linkSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The lock's file name in the data folder; it holds the pid of the process whose stack owns the folder. */
export const LOCK_FILE = 'stack.lock';

/** Thrown by {@link lockDataDir} when a live process holds the folder; `pid` is that process. */
export class DataDirLocked extends Error {
  constructor(
    readonly dataDir: string,
    readonly pid: number,
  ) {
    super(`a local stack is already running on ${dataDir} (pid ${pid})`);
  }
}

/** A held lock. `release()` removes the file if it is still this one's; it is safe to call twice. */
export interface DataLock {
  readonly file: string;
  /** Whether a lock left by a process that is gone was taken over: the last stack on the folder did not stop cleanly. */
  readonly tookOver: boolean;
  release(): void;
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** The pid a lock file holds, or undefined when the file is gone or does not hold one. */
function holderOf(file: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(file, 'utf8'), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Takes the data folder `dataDir` (which must exist) for this process: `<dataDir>/stack.lock`, holding this
 * process's pid, is made with link(2), which fails when the file exists, so of two starts at the same moment exactly
 * one wins, and the file is never seen empty. A lock whose process is gone (a stack killed with -9) is taken over;
 * the takeover renames the old file aside first, so two starts that both found it stale cannot both win.
 *
 * Throws {@link DataDirLocked} when a live process (this one included) holds the folder, and the file system's error
 * (EACCES, EROFS, ...) when the file cannot be made.
 */
export function lockDataDir(dataDir: string): DataLock {
  const file = join(dataDir, LOCK_FILE);
  const mine = `${file}.${process.pid}.tmp`;
  writeFileSync(mine, `${process.pid}\n`, { mode: 0o644 });
  let tookOver = false;
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        linkSync(mine, file);
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 5) throw error;
      }
      const holder = holderOf(file);
      if (holder !== undefined && alive(holder)) throw new DataDirLocked(dataDir, holder);
      takeOverStale(file, holder);
      tookOver = true;
    }
  } finally {
    rmSync(mine, { force: true });
  }
  let held = true;
  return {
    file,
    tookOver,
    release() {
      if (!held) return;
      held = false;
      if (holderOf(file) === process.pid) rmSync(file, { force: true });
    },
  };
}

/**
 * Moves a stale lock (held by `stalePid`, or by no readable pid) out of the way. Another start may have replaced it
 * in between with a live one: then it is put back, and the next attempt to link finds it and refuses.
 */
function takeOverStale(file: string, stalePid: number | undefined): void {
  const aside = `${file}.${process.pid}.stale`;
  try {
    renameSync(file, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return; // another start moved it first
    throw error;
  }
  const moved = holderOf(aside);
  if (moved !== stalePid && moved !== undefined && alive(moved)) {
    try {
      linkSync(aside, file);
    } catch {
      // a third start took the folder meanwhile: it holds it
    }
  }
  rmSync(aside, { force: true });
}
