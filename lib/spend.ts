// The spend guard's settings on AWS (docs/api.md, "Spend caps"): an SSM parameter holding the caps as JSON, created
// with the `spendCaps` context value (default `{}`, no caps). Handlers read it through Powertools Parameters, cached
// a minute, so an operator changes the caps with `aws ssm put-parameter --overwrite` and no redeploy. Its name is
// generated (no fixed physical names; the stack output SpendCapsParameterName says it).
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import type { SpendCaps } from '../lambdas/domain/spend.ts';

export interface SpendSettingsProps {
  caps: SpendCaps;
}

export class SpendSettings extends Construct {
  readonly capsParameter: ssm.StringParameter;

  constructor(scope: Construct, id: string, props: SpendSettingsProps) {
    super(scope, id);
    this.capsParameter = new ssm.StringParameter(this, 'Caps', {
      description:
        'klingflow spend caps, JSON: {"daily"|"monthly": {"total"|<provider id>: {"jobs"|"credits"|"usd": number}}}; read within a minute of a change',
      stringValue: JSON.stringify(props.caps),
      tier: ssm.ParameterTier.STANDARD,
    });
  }
}
