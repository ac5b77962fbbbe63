// The DynamoDB client: aws-lite's DynamoDB plugin (see aws-lite.ts and per-settings.ts), behind the document-style
// calls the stores make. Items, keys and expression values are plain JavaScript values both ways, as with the AWS
// SDK's document client (whose input types these are): the plugin marshals `Item`, `Key` and
// `ExpressionAttributeValues` itself; the page keys (`ExclusiveStartKey`, `LastEvaluatedKey`), which it passes as
// they are, are marshalled here.
import dynamodbPlugin from '@aws-lite/dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type {
  DeleteCommandInput,
  GetCommandInput,
  PutCommandInput,
  QueryCommandInput,
  ScanCommandInput,
  UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { awsErrorName, type AwsLiteClient, awsLiteClient } from './aws-lite.ts';
import { perSettings } from './per-settings.ts';

/** An item as stored: attribute name → plain value (string, number, boolean, null, list, map). */
export type Item = Record<string, unknown>;

/** One page of a query or scan; `LastEvaluatedKey` is set when there is another. */
export interface ItemPage {
  Items?: Item[];
  /** Items matched (with `Select: 'COUNT'`, the only answer). */
  Count?: number;
  LastEvaluatedKey?: Item;
}

/** The DynamoDB calls the stores make (request fields as in the AWS SDK's document client). */
export interface DocumentClient {
  get(request: GetCommandInput): Promise<{ Item?: Item }>;
  put(request: PutCommandInput): Promise<void>;
  /** Resolves to the item's attributes as `ReturnValues` asks (none by default). */
  update(request: UpdateCommandInput): Promise<{ Attributes?: Item }>;
  delete(request: DeleteCommandInput): Promise<void>;
  query(request: QueryCommandInput): Promise<ItemPage>;
  scan(request: ScanCommandInput): Promise<ItemPage>;
}

/** Whether a conditional write failed its condition (`ConditionalCheckFailedException`). */
export const isConditionFailed = (error: unknown): boolean => awsErrorName(error) === 'ConditionalCheckFailedException';

type DynamoDbMethods = Record<string, (request: object) => Promise<Record<string, unknown>>>;

const page = (answer: Record<string, unknown>): ItemPage => ({
  Items: (answer.Items as Item[] | undefined) ?? [],
  ...(typeof answer.Count === 'number' ? { Count: answer.Count } : {}),
  ...(answer.LastEvaluatedKey ? { LastEvaluatedKey: unmarshall(answer.LastEvaluatedKey as Parameters<typeof unmarshall>[0]) } : {}),
});

const startKey = (request: { ExclusiveStartKey?: Item }) =>
  request.ExclusiveStartKey ? { ...request, ExclusiveStartKey: marshall(request.ExclusiveStartKey) } : request;

/** The document calls over an aws-lite client with the DynamoDB plugin. */
export function documentClient(connect: () => Promise<AwsLiteClient>): DocumentClient {
  const db = async () => ((await connect()) as unknown as { DynamoDB: DynamoDbMethods }).DynamoDB;
  return {
    get: async (request) => ({ ...((await (await db()).GetItem(request)) as { Item?: Item }) }),
    put: async (request) => {
      await (await db()).PutItem(request);
    },
    update: async (request) => (await (await db()).UpdateItem(request)) as { Attributes?: Item },
    delete: async (request) => {
      await (await db()).DeleteItem(request);
    },
    query: async (request) => page(await (await db()).Query(startKey(request))),
    scan: async (request) => page(await (await db()).Scan(startKey(request))),
  };
}

const client = perSettings('DYNAMODB', () =>
  documentClient(
    awsLiteClient('DYNAMODB', {
      plugins: [dynamodbPlugin],
      // As the document client was set: an attribute whose value is undefined is left out of the item.
      awsjsonMarshall: { removeUndefinedValues: true },
    }),
  ),
);

/** This deployment's (or the local stack's) DynamoDB. */
export const dynamo = (): DocumentClient => client();
