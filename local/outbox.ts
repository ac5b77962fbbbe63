// SNS notices on one machine: one JSON object a line in <data dir>/outbox/notices.jsonl (docs/api.md, "Notices"),
// and a readable copy on the console, as an e-mail subscriber would see it.
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { keepOwnerOnly } from '../simulator/owner-only.ts';

export interface OutboxNotice {
  messageId: string;
  topicArn: string;
  subject?: string;
  message: string;
  attributes: Record<string, string>;
  publishedAt: string;
}

export class Outbox {
  readonly file: string;

  constructor(
    dataDir: string,
    private readonly print: (text: string) => void,
  ) {
    const dir = join(dataDir, 'outbox');
    mkdirSync(dir, { recursive: true });
    this.file = join(dir, 'notices.jsonl');
    // A file from an older version, or one whose mode was widened, is made owner-only again.
    if (existsSync(this.file)) keepOwnerOnly(this.file, 'klingflow: the notices file');
  }

  append(notice: OutboxNotice): void {
    // Owner-only: a notice's share links open the video for whoever holds them.
    appendFileSync(this.file, `${JSON.stringify(notice)}\n`, { mode: 0o600 });
    this.print(`\n✉ ${notice.subject ?? '(no subject)'}\n${notice.message.replace(/^/gm, '  ')}\n`);
  }

  read(): OutboxNotice[] {
    if (!existsSync(this.file)) return [];
    return readFileSync(this.file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as OutboxNotice);
  }
}
