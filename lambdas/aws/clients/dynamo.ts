// The DynamoDB client: DynamoDB's JSON API (AWS JSON 1.0, `DynamoDB_20120810.<Operation>`) through aws-lite
// (aws-lite.ts, callJsonApi; per-settings.ts), behind the document-style calls the stores make. Items, keys and
// expression values are plain JavaScript values both ways, as with the AWS SDK's document client (whose input types
// these are): they are marshalled to DynamoDB's typed attribute values here by the SDK's own @aws-sdk/util-dynamodb.
// aws-lite's DynamoDB plugin is not used: the six calls below are all the stores make, and the plugin (29 KB) with
// aws-lite's own copy of the marshaller (17 KB) was 13-20 % of each bundle (docs/architecture.md, "Lambda bundles").
import type {
  DeleteCommandInput,
  GetCommandInput,
  PutCommandInput,
  QueryCommandInput,
  ScanCommandInput,
  UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { type AwsLiteClient, awsErrorName, awsLiteClient, callJsonApi } from './aws-lite.ts';
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

/** DynamoDB's typed form of an item: attribute name → `{ S: … }`, `{ N: … }`, `{ M: … }`… */
type AttributeMap = Parameters<typeof unmarshall>[0];

/**
 * Plain values → typed attribute values. As the document client was set: an attribute whose value is undefined is
 * left out of the item.
 */
const toAttributes = (value: Item): AttributeMap => marshall(value, { removeUndefinedValues: true });
const fromAttributes = (value: unknown): Item | undefined => (value ? unmarshall(value as AttributeMap) : undefined);

/** The request fields that hold plain values, marshalled on the way out. */
const PLAIN_FIELDS = ['Item', 'Key', 'ExpressionAttributeValues', 'ExclusiveStartKey'] as const;

/** `request` as DynamoDB's JSON API takes it: {@link PLAIN_FIELDS} marshalled, every other field as it is. */
function typedRequest(request: object): Record<string, unknown> {
  const typed: Record<string, unknown> = { ...request };
  for (const field of PLAIN_FIELDS) {
    const value = typed[field];
    if (value === undefined) delete typed[field];
    else typed[field] = toAttributes(value as Item);
  }
  return typed;
}

const page = (answer: Record<string, unknown>): ItemPage => {
  const lastKey = fromAttributes(answer.LastEvaluatedKey);
  return {
    Items: ((answer.Items as AttributeMap[] | undefined) ?? []).map((item) => unmarshall(item)),
    ...(typeof answer.Count === 'number' ? { Count: answer.Count } : {}),
    ...(lastKey ? { LastEvaluatedKey: lastKey } : {}),
  };
};

/**
 * The document calls over an aws-lite client: each one DynamoDB operation, errors thrown as {@link callJsonApi}
 * throws them (`name` = DynamoDB's code, e.g. `ConditionalCheckFailedException`).
 */
function documentClient(connect: () => Promise<AwsLiteClient>): DocumentClient {
  const call = async (operation: string, request: object): Promise<Record<string, unknown>> =>
    callJsonApi<Record<string, unknown>>(await connect(), 'dynamodb', `DynamoDB_20120810.${operation}`, '1.0', typedRequest(request));
  return {
    get: async (request) => {
      const item = fromAttributes((await call('GetItem', request)).Item);
      return item ? { Item: item } : {};
    },
    put: async (request) => {
      await call('PutItem', request);
    },
    update: async (request) => {
      const attributes = fromAttributes((await call('UpdateItem', request)).Attributes);
      return attributes ? { Attributes: attributes } : {};
    },
    delete: async (request) => {
      await call('DeleteItem', request);
    },
    query: async (request) => page(await call('Query', request)),
    scan: async (request) => page(await call('Scan', request)),
  };
}

// The answer is read as plain JSON (DynamoDB names it AWS JSON, which aws-lite would otherwise try to unmarshall
// whole); the typed fields are unmarshalled above.
const client = perSettings('DYNAMODB', () => documentClient(awsLiteClient('DYNAMODB', { responseContentType: 'application/json' })));

/** This deployment's (or the local stack's) DynamoDB. */
export const dynamo = (): DocumentClient => client();
