// Publishing a finished job's notice to the SNS topic (e-mail subscribers read it; the attributes allow filtering).
import type { Notice } from '../domain/notice.ts';
import type { SnsCall } from './clients/sns.ts';

/** Publishes `notice` to `topicArn` with its `status` and `provider` as message attributes. Throws what SNS throws. */
export async function publishNotice(call: SnsCall, topicArn: string, notice: Notice): Promise<void> {
  const attributes = Object.entries({ status: notice.attributes.status, provider: notice.attributes.provider });
  await call('Publish', {
    TopicArn: topicArn,
    Subject: notice.subject,
    Message: notice.message,
    ...Object.fromEntries(
      attributes.flatMap(([name, value], i) => [
        [`MessageAttributes.entry.${i + 1}.Name`, name],
        [`MessageAttributes.entry.${i + 1}.Value.DataType`, 'String'],
        [`MessageAttributes.entry.${i + 1}.Value.StringValue`, value],
      ]),
    ),
  });
}
