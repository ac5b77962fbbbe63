// What the local stack runs is the state machine `cdk synth` produces, not a copy.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { extractWorkflow } from '../../lib/asl.ts';
import { synthesizeTemplate } from '../../lib/synth.ts';
import type { LocalStack } from '../../local/stack.ts';
import { startTestStack } from './local-stack.ts';

let stack: LocalStack;

beforeAll(async () => {
  stack = await startTestStack();
});

afterAll(async () => {
  await stack?.stop();
});

it('runs the synthesized definition, every Task bound to the handler its Lambda runs', () => {
  const { definition, handlerByFunctionName } = extractWorkflow(synthesizeTemplate());
  expect(stack.runtime.definition).toEqual(definition);
  const functionNames = Object.values(definition.States as Record<string, { Resource?: string; Parameters?: { FunctionName?: string } }>)
    .map((state) => state.Parameters?.FunctionName ?? (state.Resource?.startsWith('arn:aws:lambda:') ? state.Resource : undefined))
    .filter((name): name is string => Boolean(name));
  expect(functionNames.length).toBeGreaterThan(5);
  for (const name of functionNames) expect(handlerByFunctionName[name], name).toBeDefined();
});
