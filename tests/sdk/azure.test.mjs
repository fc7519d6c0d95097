// SPDX-License-Identifier: MIT
// The official SDK's AzureOpenAI client against `easel mock --azure`: the mock's Azure dress
// (deployment paths, api-version, the api-key header, the content filter error) is what the
// SDK's own Azure client speaks, so easel's Azure tests against it (tests/net/azure.sh) test
// easel against the real thing's shape. Starts its own mocks from $EASEL.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import OpenAI, { AzureOpenAI, AuthenticationError, BadRequestError, toFile } from 'openai';

const API_VERSION = '2025-04-01-preview';
const mocks = [];
after(() => mocks.forEach((child) => child.kill('SIGTERM')));

// A mock dressed as Azure; its first line names the endpoint.
async function startAzure(...args) {
  const child = spawn(process.env.EASEL, ['mock', '--port', '0', '--quiet', '--azure', ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  mocks.push(child);
  const [line] = await once(createInterface({ input: child.stdout }), 'line');
  return line.replace('easel mock listening on ', '');
}

const PNG_SIGNATURE = '89504e470d0a1a0a';
const isPng = (b64) => Buffer.from(b64, 'base64').subarray(0, 8).toString('hex') === PNG_SIGNATURE;

test('azure: AzureOpenAI generates and edits through deployments, lists models', async () => {
  const endpoint = await startAzure();
  const client = new AzureOpenAI({ endpoint, apiKey: 'azure-key', apiVersion: API_VERSION,
                                   maxRetries: 0 });
  const made = await client.images.generate({ model: 'gpt-image-2', prompt: 'A pear', quality: 'low' });
  assert.ok(isPng(made.data[0].b64_json));
  const image = await toFile(Buffer.from(made.data[0].b64_json, 'base64'), 'pear.png',
                             { type: 'image/png' });
  // The node SDK routes an edit through /deployments/ only when the client names the
  // deployment: its multipart body hides the model from buildRequest (Python's does not).
  const deployed = new AzureOpenAI({ endpoint, apiKey: 'azure-key', apiVersion: API_VERSION,
                                     deployment: 'gpt-image-2', maxRetries: 0 });
  const edited = await deployed.images.edit({ model: 'gpt-image-2', image, prompt: 'make it blue',
                                              quality: 'low' });
  assert.ok(isPng(edited.data[0].b64_json));
  const listed = [];
  for await (const m of client.models.list()) listed.push(m.id);
  assert.ok(listed.includes('gpt-image-2'), listed.join(','));
  const turn = await client.responses.create({
    model: 'gpt-5.4', input: 'A pear', tools: [{ type: 'image_generation', quality: 'low' }],
  });
  assert.equal(turn.status, 'completed');
});

test('azure: the v1 form takes the plain client and its Bearer key', async () => {
  const endpoint = await startAzure();
  const client = new OpenAI({ baseURL: `${endpoint}/openai/v1/`, apiKey: 'azure-key', maxRetries: 0 });
  const made = await client.images.generate({ model: 'gpt-image-2', prompt: 'A pear', quality: 'low' });
  assert.ok(isPng(made.data[0].b64_json));
});

test('azure: a Bearer key on a deployment path is refused with 401', async () => {
  const endpoint = await startAzure();
  const client = new OpenAI({ baseURL: `${endpoint}/openai/deployments/gpt-image-2`,
                              apiKey: 'azure-key', maxRetries: 0,
                              defaultQuery: { 'api-version': API_VERSION } });
  await assert.rejects(client.images.generate({ model: 'gpt-image-2', prompt: 'A pear' }),
                       (err) => err instanceof AuthenticationError);
});

test('azure: the content filter error as the SDK sees it', async () => {
  const endpoint = await startAzure('--fault', 'block=volcano');
  const client = new AzureOpenAI({ endpoint, apiKey: 'azure-key', apiVersion: API_VERSION,
                                   maxRetries: 0 });
  await assert.rejects(client.images.generate({ model: 'gpt-image-2', prompt: 'A VOLCANO' }),
    (err) => {
      assert.ok(err instanceof BadRequestError);
      assert.equal(err.code, 'content_filter');
      assert.equal(err.error.innererror.code, 'ResponsibleAIPolicyViolation');
      assert.equal(err.error.innererror.content_filter_result.violence.filtered, true);
      return true;
    });
});
