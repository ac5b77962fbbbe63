// The commands `npm start` prints once ready: pasted as they are, they reach this stack.
import { describe, expect, it } from 'vitest';
import { LOCAL_SIGV4_CREDENTIALS } from '../../../local/sigv4.ts';
import { curlCommand, generateCommand } from '../../../local/suggested-commands.ts';

const base = { url: 'http://127.0.0.1:3000', token: 'kf_local_abc' };

describe('generateCommand', () => {
  it('is the plain CLI command on a default stack', () => {
    expect(generateCommand({ ...base, auth: 'bearer' })).toBe('npx klingflow generate "a red fox running through snow" --out fox.mp4');
  });

  it('names a chosen data folder, which is how the CLI finds the stack', () => {
    expect(generateCommand({ ...base, auth: 'bearer', chosenDataDir: '/tmp/kf' })).toMatch(
      /^KLINGFLOW_DATA_DIR=\/tmp\/kf npx klingflow generate /,
    );
  });

  it('in SigV4 mode carries the local test credentials the stack accepts', () => {
    const command = generateCommand({ ...base, auth: 'sigv4', chosenDataDir: '/tmp/kf' });
    expect(command).toBe(
      `KLINGFLOW_DATA_DIR=/tmp/kf AWS_ACCESS_KEY_ID=${LOCAL_SIGV4_CREDENTIALS.accessKeyId} AWS_SECRET_ACCESS_KEY=${LOCAL_SIGV4_CREDENTIALS.secretAccessKey} npx klingflow generate "a red fox running through snow" --out fox.mp4`,
    );
  });
});

describe('curlCommand', () => {
  it('sends the bearer token, or signs with the local test credentials', () => {
    expect(curlCommand({ ...base, auth: 'bearer' })[0]).toContain('Authorization: Bearer kf_local_abc');
    expect(curlCommand({ ...base, auth: 'sigv4' })[0]).toContain(`--user "${LOCAL_SIGV4_CREDENTIALS.accessKeyId}:`);
    expect(curlCommand({ ...base, auth: 'bearer' })[1]).toBe(
      `-d '{"prompt":"a red fox running through snow"}' http://127.0.0.1:3000/v1/jobs`,
    );
  });
});
