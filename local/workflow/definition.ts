// The workflow the local stack runs: the state machine definition `cdk synth` produces (never a copy),
// with its Lambda ARNs mapped to local handlers. Synthesizing takes seconds, so the result is cached in the
// data folder under a hash of everything that shapes it, and made again when any of it changes.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { extractWorkflow } from '../../lib/asl.ts';
import type { HandlerName } from '../../lambdas/workflow/contract.ts';
import { tableShapesFrom, type TableRole, type TableShape } from '../emulators/dynamodb.ts';

export interface LocalWorkflow {
  definition: { States: Record<string, any>; StartAt: string };
  handlerByFunctionName: Record<string, HandlerName>;
  tableShapes: Record<TableRole, TableShape>;
}

const ROOT = join(import.meta.dirname, '..', '..');
const SOURCES = ['lib', 'lambdas/domain', 'lambdas/http', 'cdk.json', 'package-lock.json'];

function filesUnder(path: string): string[] {
  if (!existsSync(path)) return [];
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path)
    .sort()
    .flatMap((name) => filesUnder(join(path, name)));
}

function sourceHash(): string {
  const hash = createHash('sha256');
  for (const file of SOURCES.flatMap((s) => filesUnder(join(ROOT, s)))) {
    hash.update(relative(ROOT, file)).update('\0').update(readFileSync(file)).update('\0');
  }
  return hash.digest('hex');
}

/** Synthesizes the app (no bundling) and extracts the workflow. */
export async function synthesizeWorkflow(): Promise<LocalWorkflow> {
  const { synthesizeTemplate } = await import('../../lib/synth.ts');
  const template = synthesizeTemplate();
  const { definition, handlerByFunctionName } = extractWorkflow(template);
  return { definition: definition as LocalWorkflow['definition'], handlerByFunctionName, tableShapes: tableShapesFrom(template) };
}

export async function loadWorkflow(cacheDir: string): Promise<LocalWorkflow> {
  const hash = sourceHash();
  const file = join(cacheDir, 'workflow.json');
  if (existsSync(file)) {
    const cached = JSON.parse(readFileSync(file, 'utf8')) as { hash: string; workflow: LocalWorkflow };
    if (cached.hash === hash) return cached.workflow;
  }
  const workflow = await synthesizeWorkflow();
  mkdirSync(cacheDir, { recursive: true });
  // Written aside and renamed: several processes may fill the same cache at once.
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, JSON.stringify({ hash, workflow }));
  renameSync(temporary, file);
  return workflow;
}
