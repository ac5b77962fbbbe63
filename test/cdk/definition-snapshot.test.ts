// The synthesized state machine definition, byte for byte. A refactor of the handlers or constructs must leave it
// unchanged; a deliberate change to the workflow updates the snapshot (`npx vitest run -u test/cdk/definition-snapshot.test.ts`)
// and the diff shows exactly what the state machine does differently.
import { describe, expect, it } from 'vitest';
import { synthesizeTemplate } from '../../lib/synth.ts';
import { onlyResourceOfType } from './template-queries.ts';

describe('state machine definition', () => {
  it('is the committed snapshot (CloudFormation form: function references as Fn::GetAtt, no asset hashes)', async () => {
    const [, stateMachine] = onlyResourceOfType(synthesizeTemplate(), 'AWS::StepFunctions::StateMachine');
    const definition = stateMachine.Properties!.DefinitionString;
    await expect(`${JSON.stringify(definition, null, 2)}\n`).toMatchFileSnapshot('./__snapshots__/state-machine-definition.json');
  });
});
