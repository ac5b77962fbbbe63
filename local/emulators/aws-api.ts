// The Step Functions and SNS APIs the handlers call, on one loopback port, so they use their real SDK clients
// over real sockets (AWS_ENDPOINT_URL_SFN / AWS_ENDPOINT_URL_SNS point here).
// Step Functions: JSON 1.0 protocol, the calls klingflow makes. SNS: the query protocol's Publish, whose
// messages land in the outbox (e-mail delivery is printed, not sent).
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Outbox } from '../outbox.ts';
import { WorkflowError, type Execution, type WorkflowRuntime } from '../workflow/runtime.ts';

const readBody = (req: IncomingMessage): Promise<string> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });

const epochSeconds = (date?: Date) => (date ? date.getTime() / 1000 : undefined);

function describe(execution: Execution, stateMachineArn: string) {
  return {
    executionArn: execution.executionArn,
    stateMachineArn,
    name: execution.name,
    status: execution.status,
    startDate: epochSeconds(execution.startDate),
    stopDate: epochSeconds(execution.stopDate),
    input: JSON.stringify(execution.input),
    ...(execution.output !== undefined ? { output: JSON.stringify(execution.output) } : {}),
    ...(execution.error ? { error: execution.error, cause: execution.cause } : {}),
  };
}

/**
 * AWS names state events by state type (TaskStateEntered, ChoiceStateExited...). Retries and catches have no
 * event of their own on AWS; they keep the interpreter's names here (StateRetried, StateCaught).
 */
function awsEventType(type: string, stateType?: string): string {
  if (stateType && (type === 'StateEntered' || type === 'StateExited')) return `${stateType}${type}`;
  if (type === 'StateFailed') return stateType === 'Task' ? 'TaskFailed' : `${stateType ?? ''}StateFailed`;
  if (type === 'ExecutionTimeout') return 'ExecutionTimedOut';
  return type;
}

function stepFunctions(runtime: WorkflowRuntime, action: string, body: Record<string, any>): unknown {
  switch (action) {
    case 'StartExecution': {
      if (body.stateMachineArn !== runtime.stateMachineArn)
        throw new WorkflowError('ExecutionDoesNotExist', 'State Machine Does Not Exist');
      let input: unknown;
      try {
        input = JSON.parse(body.input ?? '{}');
      } catch {
        throw new WorkflowError('InvalidExecutionInput', 'input is not JSON');
      }
      const execution = runtime.start(String(body.name ?? randomUUID()), input);
      return { executionArn: execution.executionArn, startDate: epochSeconds(execution.startDate) };
    }
    case 'DescribeExecution':
      return describe(runtime.describe(body.executionArn), runtime.stateMachineArn);
    case 'StopExecution':
      return { stopDate: epochSeconds(runtime.stop(body.executionArn).stopDate ?? new Date()) };
    case 'ListExecutions':
      return {
        executions: runtime
          .list()
          .filter((e) => !body.statusFilter || e.status === body.statusFilter)
          .map((e) => ({ ...describe(e, runtime.stateMachineArn), input: undefined, output: undefined })),
      };
    case 'GetExecutionHistory': {
      const events = runtime.describe(body.executionArn).events.map((e) => ({
        id: e.id,
        timestamp: epochSeconds(e.timestamp),
        type: awsEventType(e.type, e.stateType),
        ...(e.stateName ? { stateEnteredEventDetails: { name: e.stateName } } : {}),
        ...(e.error ? { executionFailedEventDetails: { error: e.error, cause: e.cause } } : {}),
      }));
      return { events: body.reverseOrder ? events.reverse() : events };
    }
    case 'SendTaskSuccess': {
      let output: unknown;
      try {
        output = JSON.parse(body.output ?? 'null');
      } catch {
        throw new WorkflowError('InvalidExecutionInput', 'output is not JSON');
      }
      runtime.sendTaskSuccess(String(body.taskToken), output);
      return {};
    }
    case 'SendTaskFailure':
      runtime.sendTaskFailure(String(body.taskToken), String(body.error ?? 'States.TaskFailed'), String(body.cause ?? ''));
      return {};
    case 'SendTaskHeartbeat':
      return {};
    default:
      throw Object.assign(new Error(`the local Step Functions API does not implement ${action}`), { name: 'UnknownOperationException' });
  }
}

function snsPublish(outbox: Outbox, form: URLSearchParams): string {
  const attributes: Record<string, string> = {};
  for (let i = 1; form.has(`MessageAttributes.entry.${i}.Name`); i++) {
    attributes[form.get(`MessageAttributes.entry.${i}.Name`) ?? ''] = form.get(`MessageAttributes.entry.${i}.Value.StringValue`) ?? '';
  }
  const messageId = randomUUID();
  outbox.append({
    messageId,
    topicArn: form.get('TopicArn') ?? '',
    subject: form.get('Subject') ?? undefined,
    message: form.get('Message') ?? '',
    attributes,
    publishedAt: new Date().toISOString(),
  });
  return `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>${messageId}</MessageId></PublishResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></PublishResponse>`;
}

export interface AwsApiServer {
  url: string;
  close(): Promise<void>;
}

export async function startAwsApi(runtime: WorkflowRuntime, outbox: Outbox): Promise<AwsApiServer> {
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const body = await readBody(req);
      const target = req.headers['x-amz-target'];
      if (typeof target === 'string' && target.startsWith('AWSStepFunctions.')) {
        try {
          const result = stepFunctions(runtime, target.slice('AWSStepFunctions.'.length), JSON.parse(body || '{}'));
          res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' }).end(JSON.stringify(result));
        } catch (error) {
          const name = error instanceof WorkflowError ? error.name : (error as Error).name || 'InternalFailure';
          res
            .writeHead(400, { 'content-type': 'application/x-amz-json-1.0' })
            .end(JSON.stringify({ __type: name, message: (error as Error).message }));
        }
        return;
      }
      const form = new URLSearchParams(body);
      if (form.get('Action') === 'Publish') {
        res.writeHead(200, { 'content-type': 'text/xml' }).end(snsPublish(outbox, form));
        return;
      }
      res
        .writeHead(400, { 'content-type': 'text/xml' })
        .end(
          `<ErrorResponse><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>not implemented locally: ${form.get('Action') ?? target}</Message></Error></ErrorResponse>`,
        );
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
