// The Notices topic: one message per finished job, for people (e-mail) and for anything that filters on attributes.
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';

export interface NotificationsProps {
  /** Each address gets an e-mail subscription (the owner confirms it once). */
  emails: readonly string[];
}

export class Notifications extends Construct {
  readonly noticesTopic: sns.Topic;

  constructor(scope: Construct, id: string, props: NotificationsProps) {
    super(scope, id);

    // The AWS-managed SNS key: encrypted at rest with no key to run, and its key policy already lets SNS
    // publishers in this account use it, so publishers need no kms:* statement.
    const awsManagedSnsKey = kms.Alias.fromAliasName(this, 'AwsManagedSnsKey', 'alias/aws/sns');

    this.noticesTopic = new sns.Topic(this, 'Notices', {
      displayName: 'klingflow job notices',
      enforceSSL: true,
      masterKey: awsManagedSnsKey,
    });

    for (const email of props.emails) {
      this.noticesTopic.addSubscription(new subscriptions.EmailSubscription(email));
    }
  }
}
