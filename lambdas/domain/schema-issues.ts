// zod's issues as the problems a caller reads: one cause per field, in words that fit the value sent. zod keeps
// checking a field after its type is wrong, so `{"shots":"abcdefgh"}` would also be told "expected string to have
// <=6 characters" (a string limit, for a field that takes an array), and a number past 2^53 gets zod's own safe-integer
// bound beside the field's. Every place that turns issues into problems (the create body, upload tickets, the HTTP
// layer's details) goes through here.
import type * as z from './zod.ts';

type Issue = z.core.$ZodIssue;

const pathOf = (issue: Issue): string => issue.path.map(String).join('.');

/** zod's bound for `z.int()`: a number past it fails `int` with this as the maximum. */
const isSafeIntegerBound = (issue: Issue): boolean =>
  issue.code === 'too_big' && (issue as { maximum?: unknown }).maximum === Number.MAX_SAFE_INTEGER;

/**
 * The issues worth reporting, in their order: at a path whose type is wrong (`invalid_type`), only that issue; the
 * safe-integer bound only where the field has no bound of its own to report.
 */
export function meaningfulIssues(issues: readonly Issue[]): Issue[] {
  const wrongType = new Set(issues.filter((issue) => issue.code === 'invalid_type').map(pathOf));
  const perPath = new Map<string, number>();
  for (const issue of issues) perPath.set(pathOf(issue), (perPath.get(pathOf(issue)) ?? 0) + 1);
  return issues.filter((issue) => {
    const path = pathOf(issue);
    if (wrongType.has(path) && issue.code !== 'invalid_type') return false;
    if (isSafeIntegerBound(issue) && (perPath.get(path) ?? 0) > 1) return false;
    return true;
  });
}

/**
 * What an issue says, with the reason a record key was refused (zod's own message names no reason:
 * "Invalid key in record"): "Invalid key in record: Too big: expected string to have <=128 characters".
 */
export function issueMessage(issue: Issue): string {
  if (issue.code === 'invalid_key' && issue.issues.length) {
    return `${issue.message}: ${issue.issues.map((inner) => inner.message).join('; ')}`;
  }
  return issue.message;
}
