// Publishing a finished job's notice to the SNS topic (e-mail subscribers read it; the attributes allow filtering).
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { Notice } from '../domain/notice.ts';

/** Publishes `notice` to `topicArn` with its `status` and `provider` as message attributes. Throws what SNS throws. */
export async function publishNotice(client: SNSClient, topicArn: string, notice: Notice): Promise<void> {
  await client.send(
    new PublishCommand({
      TopicArn: topicArn,
      Subject: notice.subject,
      Message: notice.message,
      MessageAttributes: {
        status: { DataType: 'String', StringValue: notice.attributes.status },
        provider: { DataType: 'String', StringValue: notice.attributes.provider },
      },
    }),
  );
}
