// SPDX-License-Identifier: MIT
// The official openai SDK drives the mock's Files and Batches endpoints (issue 14): upload,
// create, retrieve, cancel, list, content. Each case starts a mock of its own from $EASEL with
// a fast batch clock (run.sh's shared mock keeps the default one).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import OpenAI, { NotFoundError, toFile } from 'openai';

const mocks = [];
async function startMock(...args) {
  const child = spawn(process.env.EASEL, ['mock', '--port', '0', '--quiet', ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  mocks.push(child);
  const [line] = await once(createInterface({ input: child.stdout }), 'line');
  return new OpenAI({
    baseURL: line.replace('easel mock listening on ', ''), apiKey: 'sk-mock', maxRetries: 0,
  });
}
after(() => mocks.forEach((child) => child.kill('SIGTERM')));

const styles = ['ink', 'oil', 'pixel', 'clay', 'neon', 'paper'];
function jsonl(endpoint = '/v1/images/generations', body = {}) {
  return styles.map((style) => JSON.stringify({
    custom_id: `avatar-${style}`, method: 'POST', url: endpoint,
    body: { model: 'gpt-image-2', prompt: `an avatar in ${style}`, size: '1024x1024', quality: 'low', ...body },
  })).join('\n') + '\n';
}

async function waitFor(client, id, done = ['completed', 'failed', 'expired', 'cancelled']) {
  for (let i = 0; i < 600; i++) {
    const batch = await client.batches.retrieve(id);
    if (done.includes(batch.status)) return batch;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`batch ${id} never finished`);
}

async function lines(client, fileId) {
  const response = await client.files.content(fileId);
  return (await response.text()).trim().split('\n').map((line) => JSON.parse(line));
}

test('batch: files.create, batches.create/retrieve, files.content', async () => {
  const client = await startMock('--batch-seconds', '0.5', '--batch-image-bytes', '2000');
  const input = jsonl();
  const file = await client.files.create({
    file: await toFile(Buffer.from(input), 'campaign.jsonl'), purpose: 'batch',
  });
  assert.match(file.id, /^file-/);
  assert.equal(file.purpose, 'batch');
  assert.equal(file.bytes, Buffer.byteLength(input));
  assert.equal((await client.files.retrieve(file.id)).filename, 'campaign.jsonl');
  assert.equal(await (await client.files.content(file.id)).text(), input);

  const created = await client.batches.create({
    input_file_id: file.id, endpoint: '/v1/images/generations', completion_window: '24h',
    metadata: { campaign: 'avatars' },
  });
  assert.equal(created.status, 'validating');
  assert.match(created.id, /^batch_/);
  const batch = await waitFor(client, created.id);
  assert.equal(batch.status, 'completed');
  assert.deepEqual(batch.request_counts, { total: 6, completed: 6, failed: 0 });
  assert.deepEqual(batch.metadata, { campaign: 'avatars' });
  assert.equal(batch.error_file_id, null);
  const out = await lines(client, batch.output_file_id);
  assert.deepEqual(out.map((l) => l.custom_id).sort(), styles.map((s) => `avatar-${s}`).sort());
  for (const line of out) {
    assert.equal(line.response.status_code, 200);
    assert.ok(Buffer.from(line.response.body.data[0].b64_json, 'base64').subarray(1, 4).toString() === 'PNG');
    assert.ok(line.response.body.usage.output_tokens > 0);
  }
});

test('batch: failing lines land in the error file', async () => {
  const client = await startMock('--batch-seconds', '0', '--batch-image-bytes', '500',
                                 '--fault', 'batch-fail=2');
  const file = await client.files.create({ file: await toFile(Buffer.from(jsonl()), 'in.jsonl'), purpose: 'batch' });
  const batch = await waitFor(client, (await client.batches.create({
    input_file_id: file.id, endpoint: '/v1/images/generations', completion_window: '24h',
  })).id);
  assert.deepEqual(batch.request_counts, { total: 6, completed: 4, failed: 2 });
  const errors = await lines(client, batch.error_file_id);
  assert.deepEqual(errors.map((l) => l.custom_id).sort(), ['avatar-clay', 'avatar-ink']);
  assert.equal((await lines(client, batch.output_file_id)).length, 4);
});

test('batch: validation failure with errors', async () => {
  const client = await startMock('--batch-seconds', '0');
  const bad = jsonl('/v1/images/generations', { size: '999x999' });
  const file = await client.files.create({ file: await toFile(Buffer.from(bad), 'bad.jsonl'), purpose: 'batch' });
  const batch = await waitFor(client, (await client.batches.create({
    input_file_id: file.id, endpoint: '/v1/images/generations', completion_window: '24h',
  })).id);
  assert.equal(batch.status, 'failed');
  assert.equal(batch.errors.data.length, 6);
  assert.deepEqual(batch.errors.data.map((e) => e.line), [1, 2, 3, 4, 5, 6]);
  assert.ok(batch.errors.data.every((e) => e.param === 'size' && e.message));
});

test('batch: batches.cancel keeps what finished', async () => {
  const client = await startMock('--batch-seconds', '12', '--batch-image-bytes', '500');
  const file = await client.files.create({ file: await toFile(Buffer.from(jsonl()), 'in.jsonl'), purpose: 'batch' });
  const { id } = await client.batches.create({
    input_file_id: file.id, endpoint: '/v1/images/generations', completion_window: '24h',
  });
  let batch;
  do batch = await client.batches.retrieve(id); while (batch.request_counts.completed < 1);
  const cancelling = await client.batches.cancel(id);
  assert.equal(cancelling.status, 'cancelling');
  batch = await waitFor(client, id);
  assert.equal(batch.status, 'cancelled');
  const done = batch.request_counts.completed;
  assert.ok(done >= 1 && done < 6);
  assert.equal((await lines(client, batch.output_file_id)).length, done);
  const unrun = await lines(client, batch.error_file_id);
  assert.equal(unrun.length, 6 - done);
  assert.ok(unrun.every((l) => l.response === null && l.error.code === 'batch_cancelled'));
});

test('batch: batches.list pages with limit and after', async () => {
  const client = await startMock('--batch-seconds', '0', '--batch-image-bytes', '500');
  const file = await client.files.create({ file: await toFile(Buffer.from(jsonl()), 'in.jsonl'), purpose: 'batch' });
  const ids = [];
  for (let i = 0; i < 3; i++)
    ids.push((await client.batches.create({
      input_file_id: file.id, endpoint: '/v1/images/generations', completion_window: '24h',
    })).id);
  const page = await client.batches.list({ limit: 2 });
  assert.equal(page.data.length, 2);
  assert.equal(page.has_more, true);
  const seen = [];
  for await (const batch of client.batches.list({ limit: 2 })) seen.push(batch.id);
  assert.deepEqual(seen.sort(), ids.sort());
});

test('batch: edits name their image by file id; files.list and files.delete', async () => {
  const client = await startMock('--batch-seconds', '0');
  const selfie = await client.images.generate({ model: 'gpt-image-2', prompt: 'a selfie', size: '1024x1024', quality: 'low' });
  const image = await client.files.create({
    file: await toFile(Buffer.from(selfie.data[0].b64_json, 'base64'), 'selfie.png', { type: 'image/png' }),
    purpose: 'vision',
  });
  const input = jsonl('/v1/images/edits', { images: [{ file_id: image.id }] }).split('\n').slice(0, 2).join('\n') + '\n';
  const file = await client.files.create({ file: await toFile(Buffer.from(input), 'edits.jsonl'), purpose: 'batch' });
  const batch = await waitFor(client, (await client.batches.create({
    input_file_id: file.id, endpoint: '/v1/images/edits', completion_window: '24h',
  })).id);
  assert.equal(batch.status, 'completed');
  const out = await lines(client, batch.output_file_id);
  assert.ok(out.every((l) => l.response.body.usage.input_tokens_details.image_tokens > 0));

  const listed = [];
  for await (const f of client.files.list({ purpose: 'vision' })) listed.push(f.id);
  assert.deepEqual(listed, [image.id]);
  assert.equal((await client.files.delete(image.id)).deleted, true);
  await assert.rejects(client.files.retrieve(image.id), NotFoundError);
});
