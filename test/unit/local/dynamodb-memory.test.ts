// The local DynamoDB's LevelDB opens with small caches (local/emulators/dynamodb.ts, LEVEL_OPTIONS): dynalite itself
// passes none (patches/dynalite+4.0.0.patch adds its `levelOptions`), and LevelDB's default 8 MiB block cache and
// 4 MiB write buffers are native memory that grows the stack's RSS as the data grows.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';
import { afterEach, expect, it, vi } from 'vitest';
import { LEVEL_OPTIONS, startDynamo } from '../../../local/emulators/dynamodb.ts';

afterEach(() => vi.restoreAllMocks());

it('opens LevelDB with the small block cache and write buffer', async () => {
  const open = vi.spyOn(ClassicLevel.prototype as unknown as { _open(options: unknown): Promise<void> }, '_open');
  const dir = mkdtempSync(join(tmpdir(), 'klingflow-dynamo-'));
  try {
    const db = await startDynamo(dir, [
      {
        name: 'jobs',
        shape: {
          KeySchema: [{ AttributeName: 'jobId', KeyType: 'HASH' }],
          AttributeDefinitions: [{ AttributeName: 'jobId', AttributeType: 'S' }],
        },
      },
    ]);
    await db.close();
    expect(open).toHaveBeenCalledWith(expect.objectContaining({ cacheSize: 1024 * 1024, writeBufferSize: 1024 * 1024 }));
    expect(LEVEL_OPTIONS).toEqual({ cacheSize: 1024 * 1024, writeBufferSize: 1024 * 1024 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
