import type { IncomingMessage } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { awsErrorName } from '../../../lambdas/aws/clients/aws-lite.ts';
import { dynamo, isConditionFailed } from '../../../lambdas/aws/clients/dynamo.ts';
import { keptValues } from '../../../lambdas/aws/clients/kept-values.ts';
import { secretString } from '../../../lambdas/aws/clients/secrets-manager.ts';
import { parameterValue } from '../../../lambdas/aws/clients/ssm.ts';
import { sfn } from '../../../lambdas/aws/clients/sfn.ts';
import { sns } from '../../../lambdas/aws/clients/sns.ts';
import { describeJobExecution, startJobExecution } from '../../../lambdas/aws/step-functions.ts';
import type { LocalDynamo } from '../../../local/emulators/dynamodb.ts';
import { loopbackServer, startThingsTable } from './loopback.ts';

const saved = { ...process.env };
beforeAll(() => {
  Object.assign(process.env, { AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local' });
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_ENDPOINT_URL;
});
afterAll(() => {
  for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
  Object.assign(process.env, saved);
});

const readBody = (req: IncomingMessage): Promise<string> =>
  new Promise((resolve) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString('utf8');
    });
    req.on('end', () => resolve(body));
  });

/** A loopback API that records each request and answers with `answer(request)`. */
async function fakeApi(
  answer: (request: { headers: IncomingMessage['headers']; body: string }) => { status: number; type: string; body: string },
) {
  const seen: { headers: IncomingMessage['headers']; body: string }[] = [];
  const server = await loopbackServer((req, res) => {
    void readBody(req).then((body) => {
      const request = { headers: req.headers, body };
      seen.push(request);
      const { status, type, body: out } = answer(request);
      res.writeHead(status, { 'content-type': type }).end(out);
    });
  });
  return { server, seen };
}

describe('awsErrorName', () => {
  it.each([
    ['com.amazonaws.swf.service.model#ExecutionAlreadyExists', 'ExecutionAlreadyExists'],
    ['ConditionalCheckFailedException', 'ConditionalCheckFailedException'],
    ['InvalidToken:http://internal.amazon.com/coral/', 'InvalidToken'],
    ['aws.protocoltests#ThrottlingException,Other', 'ThrottlingException'],
  ])('%s is %s', (raw, name) => {
    expect(awsErrorName({ __type: raw })).toBe(name);
    expect(awsErrorName(Object.assign(new Error('x'), { name: raw }))).toBe(name);
  });
  it('is undefined for what is no AWS error', () => {
    expect(awsErrorName(undefined)).toBeUndefined();
    expect(awsErrorName({ name: '' })).toBeUndefined();
  });
});

describe('dynamo (aws-lite on the local DynamoDB)', () => {
  let local: LocalDynamo;
  beforeAll(async () => {
    local = await startThingsTable();
    process.env.AWS_ENDPOINT_URL_DYNAMODB = local.endpoint;
  });
  afterAll(async () => {
    delete process.env.AWS_ENDPOINT_URL_DYNAMODB;
    await local.close();
  });

  it('writes and reads plain values, leaving undefined attributes out', async () => {
    const db = dynamo();
    await db.put({
      TableName: 'things',
      Item: { pool: 'p', entry: 'a', n: 1.5, list: ['x', 2], map: { deep: true, none: null }, gone: undefined },
    });
    const { Item } = await db.get({ TableName: 'things', Key: { pool: 'p', entry: 'a' }, ConsistentRead: true });
    expect(Item).toEqual({ pool: 'p', entry: 'a', n: 1.5, list: ['x', 2], map: { deep: true, none: null } });
    const { Attributes } = await db.update({
      TableName: 'things',
      Key: { pool: 'p', entry: 'a' },
      UpdateExpression: 'SET n = n + :one',
      ExpressionAttributeValues: { ':one': 1 },
      ReturnValues: 'ALL_NEW',
    });
    expect(Attributes?.n).toBe(2.5);
    expect((await db.get({ TableName: 'things', Key: { pool: 'p', entry: 'missing' } })).Item).toBeUndefined();
  });

  it('names a failed condition ConditionalCheckFailedException, and nothing else so', async () => {
    const db = dynamo();
    const failed = await db
      .put({ TableName: 'things', Item: { pool: 'p', entry: 'a' }, ConditionExpression: 'attribute_not_exists(entry)' })
      .catch((error: unknown) => error);
    expect(isConditionFailed(failed)).toBe(true);
    const other = await db.get({ TableName: 'no-such-table', Key: { pool: 'p', entry: 'a' } }).catch((error: unknown) => error);
    expect(awsErrorName(other)).toBe('ResourceNotFoundException');
    expect(isConditionFailed(other)).toBe(false);
  });

  it('pages a query and a scan with plain page keys, which start the next page where the last one ended', async () => {
    const db = dynamo();
    for (const entry of ['b', 'c', 'd', 'e']) await db.put({ TableName: 'things', Item: { pool: 'q', entry } });
    const seen: unknown[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await db.query({
        TableName: 'things',
        KeyConditionExpression: '#pool = :pool',
        ExpressionAttributeNames: { '#pool': 'pool' },
        ExpressionAttributeValues: { ':pool': 'q' },
        Limit: 3,
        ExclusiveStartKey: start,
      });
      seen.push(...(page.Items ?? []).map((item) => item.entry));
      start = page.LastEvaluatedKey;
      if (start) expect(start).toEqual({ pool: 'q', entry: 'd' });
    } while (start);
    expect(seen).toEqual(['b', 'c', 'd', 'e']);
    const first = await db.scan({ TableName: 'things', Limit: 2 });
    expect(first.LastEvaluatedKey).toBeDefined();
    const second = await db.scan({ TableName: 'things', Limit: 10, ExclusiveStartKey: first.LastEvaluatedKey });
    expect([...(first.Items ?? []), ...(second.Items ?? [])]).toHaveLength(5); // p/a and q/b to q/e
    const counted = await db.query({
      TableName: 'things',
      KeyConditionExpression: '#pool = :pool',
      ExpressionAttributeNames: { '#pool': 'pool' },
      ExpressionAttributeValues: { ':pool': 'q' },
      Select: 'COUNT',
    });
    expect(counted.Count).toBe(4);
  });
});

describe('sfn (AWS JSON 1.0)', () => {
  let api: Awaited<ReturnType<typeof fakeApi>>;
  afterEach(async () => {
    delete process.env.AWS_ENDPOINT_URL_SFN;
    await api.server.close();
  });

  it('sends the action as X-Amz-Target with plain JSON, signed, and reads the answer', async () => {
    api = await fakeApi(() => ({
      status: 200,
      type: 'application/x-amz-json-1.0',
      body: JSON.stringify({ status: 'SUCCEEDED', error: 'E' }),
    }));
    process.env.AWS_ENDPOINT_URL_SFN = api.server.url;
    const state = await describeJobExecution(sfn(), 'arn:aws:states:us-east-1:1:stateMachine:M', 'job_1');
    expect(state).toEqual({ status: 'CLOSED', result: 'SUCCEEDED', error: 'E' });
    const [request] = api.seen;
    expect(request?.headers['x-amz-target']).toBe('AWSStepFunctions.DescribeExecution');
    expect(request?.headers['content-type']).toBe('application/x-amz-json-1.0');
    expect(request?.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=local\/\d{8}\/us-east-1\/states\/aws4_request/);
    // Plain JSON, not DynamoDB's typed values.
    expect(JSON.parse(request?.body ?? '')).toEqual({ executionArn: 'arn:aws:states:us-east-1:1:execution:M:job_1' });
  });

  it('reads the error code from __type: an existing execution counts as started, a missing one as MISSING', async () => {
    api = await fakeApi(({ headers }) => ({
      status: 400,
      type: 'application/x-amz-json-1.0',
      body: JSON.stringify({
        __type:
          headers['x-amz-target'] === 'AWSStepFunctions.StartExecution'
            ? 'com.amazonaws.swf.service.model#ExecutionAlreadyExists'
            : 'ExecutionDoesNotExist',
        message: 'no',
      }),
    }));
    process.env.AWS_ENDPOINT_URL_SFN = api.server.url;
    await expect(
      startJobExecution(sfn(), 'arn:aws:states:us-east-1:1:stateMachine:M', { jobId: 'job_1' } as never, 'job_1'),
    ).resolves.toBeUndefined();
    await expect(describeJobExecution(sfn(), 'arn:aws:states:us-east-1:1:stateMachine:M', 'job_1')).resolves.toEqual({ status: 'MISSING' });
  });

  it('throws other errors with their code as the name, after the retries', async () => {
    api = await fakeApi(() => ({
      status: 400,
      type: 'application/x-amz-json-1.0',
      body: JSON.stringify({ __type: 'AccessDeniedException', message: 'not yours' }),
    }));
    process.env.AWS_ENDPOINT_URL_SFN = api.server.url;
    const error = await startJobExecution(sfn(), 'arn:aws:states:us-east-1:1:stateMachine:M', { jobId: 'job_1' } as never, 'job_1').catch(
      (e: unknown) => e,
    );
    expect((error as Error).name).toBe('AccessDeniedException');
    expect(api.seen).toHaveLength(1); // a 400 is not retried
  });
});

describe('sns (query protocol)', () => {
  let api: Awaited<ReturnType<typeof fakeApi>>;
  afterEach(async () => {
    delete process.env.AWS_ENDPOINT_URL_SNS;
    await api.server.close();
  });

  it('posts the action, version and fields form-encoded, UTF-8 intact', async () => {
    api = await fakeApi(() => ({
      status: 200,
      type: 'text/xml',
      body: '<PublishResponse><PublishResult><MessageId>m-1</MessageId></PublishResult></PublishResponse>',
    }));
    process.env.AWS_ENDPOINT_URL_SNS = api.server.url;
    await sns()('Publish', {
      TopicArn: 'arn:aws:sns:us-east-1:1:t',
      Message: 'ünïcode & = signs',
      'MessageAttributes.entry.1.Name': 'status',
    });
    const form = new URLSearchParams(api.seen[0]?.body);
    expect(Object.fromEntries(form)).toEqual({
      Action: 'Publish',
      Version: '2010-03-31',
      TopicArn: 'arn:aws:sns:us-east-1:1:t',
      Message: 'ünïcode & = signs',
      'MessageAttributes.entry.1.Name': 'status',
    });
    expect(api.seen[0]?.headers.authorization).toMatch(/\/us-east-1\/sns\/aws4_request/);
  });

  it('throws the XML error code as the name', async () => {
    api = await fakeApi(() => ({
      status: 404,
      type: 'text/xml',
      body: '<ErrorResponse><Error><Type>Sender</Type><Code>NotFound</Code><Message>Topic does not exist</Message></Error></ErrorResponse>',
    }));
    process.env.AWS_ENDPOINT_URL_SNS = api.server.url;
    const error = await sns()('Publish', { TopicArn: 'arn:aws:sns:us-east-1:1:gone', Message: 'm' }).catch((e: unknown) => e);
    expect((error as Error).name).toBe('NotFound');
  });
});

describe('keptValues', () => {
  it('answers a value younger than its max age, fetches it anew after, and shares a running fetch', async () => {
    let clock = 1_000_000;
    const read = keptValues<string>(() => clock);
    let fetches = 0;
    const fetch = async () => `v${++fetches}`;
    const [a, b] = await Promise.all([read('k', 300, fetch), read('k', 300, fetch)]);
    expect([a, b, fetches]).toEqual(['v1', 'v1', 1]);
    clock += 299_999;
    expect(await read('k', 300, fetch)).toBe('v1');
    clock += 1;
    expect(await read('k', 300, fetch)).toBe('v2');
    expect(await read('other', 300, fetch)).toBe('v3');
  });

  it('does not keep a failed fetch', async () => {
    const read = keptValues<string>(() => 0);
    await expect(read('k', 300, async () => Promise.reject(new Error('down')))).rejects.toThrow('down');
    expect(await read('k', 300, async () => 'back')).toBe('back');
  });
});

describe('secretString and parameterValue (Secrets Manager and SSM, JSON 1.1)', () => {
  let api: Awaited<ReturnType<typeof fakeApi>>;
  let answer: { status: number; body: unknown };
  beforeAll(async () => {
    api = await fakeApi(() => ({ status: answer.status, type: 'application/x-amz-json-1.1', body: JSON.stringify(answer.body) }));
    process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = api.server.url;
    process.env.AWS_ENDPOINT_URL_SSM = api.server.url;
  });
  afterAll(async () => {
    delete process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER;
    delete process.env.AWS_ENDPOINT_URL_SSM;
    await api.server.close();
  });

  it('reads a secret by id, once while it is kept', async () => {
    answer = { status: 200, body: { SecretString: 'v1', ARN: 'arn:one' } };
    const before = api.seen.length;
    expect(await secretString('arn:one', 300)).toBe('v1');
    const request = api.seen.at(-1);
    expect(request?.headers['x-amz-target']).toBe('secretsmanager.GetSecretValue');
    expect(request?.headers.authorization).toMatch(/\/us-east-1\/secretsmanager\/aws4_request/);
    expect(JSON.parse(request?.body ?? '')).toEqual({ SecretId: 'arn:one' });
    answer = { status: 200, body: { SecretString: 'v2' } };
    expect(await secretString('arn:one', 300)).toBe('v1');
    expect(api.seen.length - before).toBe(1);
  });

  it('does not keep a failed read, and refuses a secret with no text', async () => {
    answer = { status: 400, body: { __type: 'ResourceNotFoundException', message: 'gone' } };
    const failed = await secretString('arn:two', 300).catch((e: unknown) => e);
    expect((failed as Error).name).toBe('ResourceNotFoundException');
    answer = { status: 200, body: { SecretString: 'back' } };
    expect(await secretString('arn:two', 300)).toBe('back');
    answer = { status: 200, body: { SecretBinary: 'AAEC' } };
    await expect(secretString('arn:three', 300)).rejects.toThrow('the secret arn:three holds no text');
  });

  it('reads a parameter by name; a missing one is ParameterNotFound', async () => {
    answer = { status: 200, body: { Parameter: { Name: '/caps', Type: 'String', Value: '{"daily":{"usd":5}}' } } };
    expect(await parameterValue('/caps', 60)).toBe('{"daily":{"usd":5}}');
    const request = api.seen.at(-1);
    expect(request?.headers['x-amz-target']).toBe('AmazonSSM.GetParameter');
    expect(JSON.parse(request?.body ?? '')).toEqual({ Name: '/caps' });
    answer = { status: 400, body: { __type: 'ParameterNotFound', message: 'no' } };
    const failed = await parameterValue('/gone', 60).catch((e: unknown) => e);
    expect((failed as Error).name).toBe('ParameterNotFound');
  });
});
