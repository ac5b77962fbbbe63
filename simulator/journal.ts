// The simulator's memory on disk (simulator/README.md, "Restarts"): an append-only JSON-lines journal of tasks accepted,
// their status changes, the create attempts counted for fault directives and the creates refused. Each line is written synchronously, so
// a process killed with kill -9 keeps everything it answered; a restart reads the journal back and rewrites it compact.
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { SimRejection, SimTask, SimTaskStatus } from './engine.ts';

/** One journal line. */
export type JournalEntry =
  | { kind: 'task'; task: SimTask; failureMessage: string | null }
  | { kind: 'status'; taskId: string; status: SimTaskStatus; progress: number; statusMessage: string | null; updatedAt: number }
  | { kind: 'attempt'; key: string; count: number }
  | { kind: 'rejection'; rejection: SimRejection };

/** What a journal holds once read: every task in its latest state, and the attempt counts. */
export interface JournalState {
  tasks: { task: SimTask; failureMessage: string | null }[];
  attempts: Map<string, number>;
  /** Creates refused, oldest first. */
  rejections: SimRejection[];
}

/** An append-only journal at `file` (its folder is made if missing). */
export class Journal {
  constructor(private readonly file: string) {
    mkdirSync(dirname(file), { recursive: true });
  }

  /** Reads the journal (empty when there is none yet); a torn last line (a kill mid-write) is skipped. */
  read(): JournalState {
    const tasks = new Map<string, { task: SimTask; failureMessage: string | null }>();
    const attempts = new Map<string, number>();
    const rejections: SimRejection[] = [];
    if (!existsSync(this.file)) return { tasks: [], attempts, rejections };
    for (const line of readFileSync(this.file, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      let entry: JournalEntry;
      try {
        entry = JSON.parse(line) as JournalEntry;
      } catch {
        continue;
      }
      if (entry.kind === 'task') tasks.set(entry.task.taskId, { task: entry.task, failureMessage: entry.failureMessage });
      else if (entry.kind === 'attempt') attempts.set(entry.key, entry.count);
      else if (entry.kind === 'rejection') rejections.push(entry.rejection);
      else {
        const known = tasks.get(entry.taskId);
        if (known)
          Object.assign(known.task, {
            status: entry.status,
            progress: entry.progress,
            statusMessage: entry.statusMessage,
            updatedAt: entry.updatedAt,
          });
      }
    }
    return { tasks: [...tasks.values()], attempts, rejections };
  }

  /** Appends one entry, synchronously. */
  append(entry: JournalEntry): void {
    appendFileSync(this.file, `${JSON.stringify(entry)}\n`);
  }

  /** Replaces the journal with `state`, one line per task and attempt count (written aside, then renamed). */
  rewrite(state: JournalState): void {
    const lines = [
      ...state.tasks.map(({ task, failureMessage }) => JSON.stringify({ kind: 'task', task, failureMessage } satisfies JournalEntry)),
      ...[...state.attempts].map(([key, count]) => JSON.stringify({ kind: 'attempt', key, count } satisfies JournalEntry)),
      ...state.rejections.map((rejection) => JSON.stringify({ kind: 'rejection', rejection } satisfies JournalEntry)),
    ];
    const aside = `${this.file}.${process.pid}.tmp`;
    writeFileSync(aside, lines.length ? `${lines.join('\n')}\n` : '');
    renameSync(aside, this.file);
  }
}
