// The local stand-in for Lambda's queue of asynchronous invocations (how S3 hands an upload's event to the trigger).
// On AWS an event S3 has accepted is kept until the function has run (or its on-failure destination has it), even if
// the function dies. Locally the trigger runs in the stack's own process, so an event is written to disk before it is
// delivered and removed once the trigger has returned: a stack killed in between (kill -9) delivers it again when it
// starts. The trigger is idempotent (its job id names the object version), so a repeat makes no second job.
import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Delivers one event to its function; rejects when the function failed. */
export type Deliver<E> = (event: E) => Promise<unknown>;

/**
 * A folder of events not yet handled: `<dir>/pending/<id>.json` while an event waits or runs, moved to
 * `<dir>/dead-letter/` when its function failed (as Lambda's on-failure destination would keep it).
 */
export class EventInbox<E> {
  private readonly pending: string;
  private readonly deadLetter: string;
  private deliver: Deliver<E> | undefined;

  constructor(
    dir: string,
    private readonly log: (line: string) => void,
  ) {
    this.pending = join(dir, 'pending');
    this.deadLetter = join(dir, 'dead-letter');
    mkdirSync(this.pending, { recursive: true });
    mkdirSync(this.deadLetter, { recursive: true });
  }

  /**
   * Keeps `event`, then delivers it if the function is ready (else it waits for `open`). Resolves when the event is
   * handled or dead-lettered; never rejects.
   */
  async submit(event: E): Promise<void> {
    const file = `${Date.now().toString(36)}-${randomUUID()}.json`;
    writeFileSync(join(this.pending, file), JSON.stringify(event));
    if (this.deliver) await this.run(file, event, this.deliver);
  }

  /** Starts delivering through `deliver`, first every event left from an earlier run (oldest first). Resolves when those are handled. */
  async open(deliver: Deliver<E>): Promise<number> {
    // Listed before delivery starts, so an event that comes from now on is delivered once, by `submit`.
    const left = readdirSync(this.pending)
      .filter((name) => name.endsWith('.json'))
      .sort();
    this.deliver = deliver;
    for (const file of left) {
      let event: E;
      try {
        event = JSON.parse(readFileSync(join(this.pending, file), 'utf8')) as E;
      } catch {
        // Cut short as it was written (the process died mid-write): nothing was delivered from it.
        rmSync(join(this.pending, file), { force: true });
        continue;
      }
      await this.run(file, event, deliver);
    }
    return left.length;
  }

  private async run(file: string, event: E, deliver: Deliver<E>): Promise<void> {
    try {
      await deliver(event);
      rmSync(join(this.pending, file), { force: true });
    } catch (error) {
      this.log(`klingflow: an S3 event failed its trigger and was kept in ${this.deadLetter}: ${(error as Error).message}`);
      try {
        renameSync(join(this.pending, file), join(this.deadLetter, file));
      } catch {
        // Already moved or removed by another delivery of the same file.
      }
    }
  }
}
