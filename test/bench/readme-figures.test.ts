// README.md's Figures table is a bench run's, as printed: every row of bench/results/latest.json rendered by
// bench/report.ts (what `npm run bench -- --print bench/results/latest.json` prints) is in the README, and the README's
// table has no other row. A README edited by hand, or a run not copied in, fails here.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { expect, it } from 'vitest';
import { render, type Results } from '../../bench/report.ts';

const root = resolve(import.meta.dirname, '../..');

it("README's Figures table is bench/results/latest.json as the bench prints it", () => {
  const results = JSON.parse(readFileSync(resolve(root, 'bench/results/latest.json'), 'utf8')) as Results & { mode: string };
  expect(results.mode).toBe('full');
  const printed = render(results);
  const readme = readFileSync(resolve(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Figures'), readme.indexOf('\n## ', readme.indexOf('## Figures') + 1));
  const tableLines = section.split('\n').filter((line) => line.startsWith('|'));
  expect(tableLines).toEqual(printed);
});
