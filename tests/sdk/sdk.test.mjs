// SPDX-License-Identifier: MIT
// The official openai SDK against `easel mock`: the acceptance test. run.sh starts the
// mock and passes its base URL in EASEL_MOCK_URL; the fault cases start their own mock from
// $EASEL. Images are checked by reading their headers here, with no extra package.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import OpenAI, { BadRequestError, toFile } from 'openai';

const baseURL = process.env.EASEL_MOCK_URL;
if (!baseURL) throw new Error('set EASEL_MOCK_URL (tests/sdk/run.sh does)');
const client = new OpenAI({ baseURL, apiKey: 'sk-mock', maxRetries: 0 });
const MODEL = 'gpt-image-2';

// ---- image headers ----

function pngSize(b) {
  if (b.length < 24 || b.readUInt32BE(0) !== 0x89504e47 || b.toString('latin1', 12, 16) !== 'IHDR')
    return null;
  return { format: 'png', width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}

function jpegSize(b) {
  if (b.length < 4 || b[0] !== 0xff || b[1] !== 0xd8) return null;
  for (let i = 2; i + 9 < b.length; ) {
    if (b[i] !== 0xff) return null;
    const marker = b[i + 1];
    if (marker === 0xff) { i++; continue; }
    const len = b.readUInt16BE(i + 2);
    // SOF0..SOF15 carry the frame size, except DHT (c4), JPG (c8) and DAC (cc).
    if (marker >= 0xc0 && marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(marker))
      return { format: 'jpeg', height: b.readUInt16BE(i + 5), width: b.readUInt16BE(i + 7) };
    i += 2 + len;
  }
  return null;
}

function webpSize(b) {
  if (b.length < 30 || b.toString('latin1', 0, 4) !== 'RIFF' || b.toString('latin1', 8, 12) !== 'WEBP')
    return null;
  const chunk = b.toString('latin1', 12, 16);
  if (chunk === 'VP8X')
    return { format: 'webp', width: 1 + b.readUIntLE(24, 3), height: 1 + b.readUIntLE(27, 3) };
  if (chunk === 'VP8L') {
    const bits = b.readUInt32LE(21);
    return { format: 'webp', width: 1 + (bits & 0x3fff), height: 1 + ((bits >> 14) & 0x3fff) };
  }
  if (chunk === 'VP8 ')
    return { format: 'webp', width: b.readUInt16LE(26) & 0x3fff, height: b.readUInt16LE(28) & 0x3fff };
  return null;
}

function imageInfo(b64) {
  const b = Buffer.from(b64, 'base64');
  return pngSize(b) || jpegSize(b) || webpSize(b) || { format: 'unknown', width: 0, height: 0 };
}

function assertImage(b64, format, size) {
  assert.equal(typeof b64, 'string', 'no base64 image');
  const [width, height] = size.split('x').map(Number);
  assert.deepEqual(imageInfo(b64), { format, width, height });
}

// ---- a second mock with faults ----

const extraMocks = [];
async function startMock(...args) {
  const child = spawn(process.env.EASEL, ['mock', '--port', '0', '--quiet', ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  extraMocks.push(child);
  const [line] = await once(createInterface({ input: child.stdout }), 'line');
  const url = line.replace('easel mock listening on ', '');
  return new OpenAI({ baseURL: url, apiKey: 'sk-mock', maxRetries: 0 });
}
after(() => extraMocks.forEach((child) => child.kill('SIGTERM')));

// ---- Images API ----

test('streamed generation with 3 partials', async () => {
  const stream = await client.images.generate({
    model: MODEL, prompt: 'A lighthouse on a cliff at dusk', size: '1536x1024', quality: 'low',
    stream: true, partial_images: 3,
  });
  const types = [];
  for await (const event of stream) {
    types.push(event.type);
    assertImage(event.b64_json, 'png', '1536x1024');
    if (event.type === 'image_generation.partial_image')
      assert.equal(event.partial_image_index, types.length - 1);
    else
      assert.ok(event.usage.output_tokens > 0 && event.usage.input_tokens > 0);
  }
  assert.deepEqual(types, [
    'image_generation.partial_image', 'image_generation.partial_image',
    'image_generation.partial_image', 'image_generation.completed',
  ]);
});

test('non-streamed jpeg generation', async () => {
  const result = await client.images.generate({
    model: MODEL, prompt: 'A bowl of ramen', size: '1024x1536', quality: 'medium',
    output_format: 'jpeg', output_compression: 80,
  });
  assert.equal(result.data.length, 1);
  assertImage(result.data[0].b64_json, 'jpeg', '1024x1536');
  assert.equal(result.output_format, 'jpeg');
  assert.equal(result.size, '1024x1536');
  assert.ok(result.usage.total_tokens > 0);
});

test('two images in one call (n=2)', async () => {
  const result = await client.images.generate({
    model: MODEL, prompt: 'Two kites', size: '1024x1024', quality: 'low', n: 2, output_format: 'webp',
  });
  assert.equal(result.data.length, 2);
  for (const image of result.data) assertImage(image.b64_json, 'webp', '1024x1024');
  assert.notEqual(result.data[0].b64_json, result.data[1].b64_json);
});

// As the live API answers (observed 2026-09; the reference does not say): several images are
// never streamed.
test('a streamed request for two images is refused with 400', async () => {
  await assert.rejects(
    client.images.generate({ model: MODEL, prompt: 'Two kites', n: 2, stream: true, partial_images: 1 }),
    (err) => {
      assert.ok(err instanceof BadRequestError, `got ${err.constructor.name}`);
      assert.equal(err.status, 400);
      assert.match(err.message, /Streaming is only supported with n=1\./);
      assert.equal(err.type, 'invalid_request_error');
      return true;
    },
  );
});

test('invalid size is refused with 400 and an error body', async () => {
  await assert.rejects(
    client.images.generate({ model: MODEL, prompt: 'x', size: '1000x1000' }),
    (err) => {
      assert.ok(err instanceof BadRequestError, `got ${err.constructor.name}`);
      assert.equal(err.status, 400);
      assert.match(err.message, /size/);
      assert.equal(err.param, 'size');
      assert.equal(err.code, 'invalid_value');
      assert.match(err.requestID ?? '', /^req_/);
      return true;
    },
  );
});

test('two-image edit with a mask', async () => {
  const source = await client.images.generate({ model: MODEL, prompt: 'A red door', size: '1024x1024', quality: 'low' });
  const reference = await client.images.generate({ model: MODEL, prompt: 'A brass knocker', size: '1024x1024', quality: 'low' });
  const png = (r) => Buffer.from(r.data[0].b64_json, 'base64');
  const result = await client.images.edit({
    model: MODEL,
    prompt: 'Put the knocker on the door',
    image: [
      await toFile(png(source), 'door.png', { type: 'image/png' }),
      await toFile(png(reference), 'knocker.png', { type: 'image/png' }),
    ],
    mask: await toFile(png(source), 'mask.png', { type: 'image/png' }),
    size: '1024x1536',
  });
  assertImage(result.data[0].b64_json, 'png', '1024x1536');
  assert.equal(result.usage.input_tokens_details.image_tokens > 0, true);
});

test('streamed edit', async () => {
  const source = await client.images.generate({ model: MODEL, prompt: 'A blue cup', size: '1024x1024', quality: 'low' });
  const stream = await client.images.edit({
    model: MODEL, prompt: 'Make the cup green', stream: true, partial_images: 1,
    image: await toFile(Buffer.from(source.data[0].b64_json, 'base64'), 'cup.png', { type: 'image/png' }),
  });
  const types = [];
  for await (const event of stream) {
    types.push(event.type);
    assertImage(event.b64_json, 'png', '1024x1024');
  }
  assert.deepEqual(types, ['image_edit.partial_image', 'image_edit.completed']);
});

// ---- Responses API ----

const imageTool = (extra = {}) => ({ type: 'image_generation', model: MODEL, quality: 'low', ...extra });

async function streamTurn(params) {
  const stream = await client.responses.create({ model: 'gpt-5.4', stream: true, ...params });
  const events = [];
  for await (const event of stream) events.push(event);
  return events;
}

let firstResponseId;

test('streamed Responses turn with partials and a revised prompt', async () => {
  const events = await streamTurn({
    input: 'Draw a paper boat on a pond',
    tools: [imageTool({ size: '1024x1536', partial_images: 2 })],
    tool_choice: { type: 'image_generation' },
  });
  const types = events.map((e) => e.type);
  assert.deepEqual(types, [
    'response.created', 'response.in_progress', 'response.output_item.added',
    'response.image_generation_call.in_progress', 'response.image_generation_call.generating',
    'response.image_generation_call.partial_image', 'response.image_generation_call.partial_image',
    'response.image_generation_call.completed', 'response.output_item.done', 'response.completed',
  ]);
  events.forEach((e, i) => assert.equal(e.sequence_number, i));
  for (const e of events.filter((x) => x.type.endsWith('partial_image')))
    assertImage(e.partial_image_b64, 'png', '1024x1536');
  const done = events.find((e) => e.type === 'response.output_item.done').item;
  assertImage(done.result, 'png', '1024x1536');
  assert.match(done.revised_prompt, /paper boat/);
  const completed = events.at(-1).response;
  assert.equal(completed.status, 'completed');
  assert.equal(completed.output[0].result, done.result);
  assert.equal(completed.output[0].revised_prompt, done.revised_prompt);
  assert.ok(completed.usage.total_tokens > 0);
  firstResponseId = completed.id;
});

test('second turn chained by previous_response_id', async () => {
  assert.ok(firstResponseId, 'the first turn did not run');
  const events = await streamTurn({
    previous_response_id: firstResponseId,
    input: 'Now make the boat red',
    tools: [imageTool({ partial_images: 1 })],
  });
  const completed = events.at(-1).response;
  assert.equal(completed.previous_response_id, firstResponseId);
  assert.notEqual(completed.id, firstResponseId);
  const call = completed.output[0];
  assert.equal(call.action, 'edit');
  assertImage(call.result, 'png', '1024x1024');
  assert.match(call.revised_prompt, /boat red/);
});

test('non-streamed Responses turn', async () => {
  const response = await client.responses.create({
    model: 'gpt-5.4', input: 'A snowy village', tools: [imageTool({ output_format: 'webp', size: '1536x1024' })],
  });
  const call = response.output.find((o) => o.type === 'image_generation_call');
  assertImage(call.result, 'webp', '1536x1024');
  assert.ok(call.revised_prompt.length > 0);
});

// Issue 15: a thinking turn. The SDK streams the reasoning summary, the web search and two
// image calls, each its own item with its own output_index, and the final response lists
// them all with tool_usage counting the search.
test('thinking turn: reasoning summary, web search and two image calls', async () => {
  const brief = Buffer.from('%PDF-1.4\n% a brief about herons\n').toString('base64');
  const events = await streamTurn({
    input: [{
      role: 'user',
      content: [
        { type: 'input_text', text: 'two frames of a heron at dawn' },
        { type: 'input_file', filename: 'brief.pdf', file_data: `data:application/pdf;base64,${brief}` },
      ],
    }],
    reasoning: { effort: 'high', summary: 'auto' },
    tools: [imageTool({ partial_images: 1 }), { type: 'web_search' }],
    tool_choice: 'required',
  });
  events.forEach((e, i) => assert.equal(e.sequence_number, i));
  const types = events.map((e) => e.type);
  const first = (t) => types.indexOf(t);
  assert.ok(first('response.reasoning_summary_text.delta') > 0, 'no summary delta');
  assert.ok(first('response.web_search_call.completed') > first('response.reasoning_summary_text.done'));
  assert.ok(first('response.image_generation_call.partial_image') > first('response.web_search_call.completed'));
  const summary = events.filter((e) => e.type === 'response.reasoning_summary_text.delta').map((e) => e.delta).join('');
  assert.equal(summary, events.find((e) => e.type === 'response.reasoning_summary_text.done').text);
  assert.match(summary, /heron/);
  assert.deepEqual(['in_progress', 'searching', 'completed'].map((s) => first(`response.web_search_call.${s}`) > 0), [true, true, true]);
  const calls = events.filter((e) => e.type === 'response.output_item.done' && e.item.type === 'image_generation_call');
  assert.equal(calls.length, 2);
  assert.notEqual(calls[0].output_index, calls[1].output_index);
  assert.notEqual(calls[0].item.id, calls[1].item.id);
  assert.notEqual(calls[0].item.result, calls[1].item.result);
  for (const c of calls) {
    assertImage(c.item.result, 'png', '1024x1024');
    assert.match(c.item.revised_prompt, /brief\.pdf/);
  }
  const partials = events.filter((e) => e.type === 'response.image_generation_call.partial_image');
  assert.deepEqual(partials.map((p) => p.output_index), calls.map((c) => c.output_index));
  const completed = events.at(-1).response;
  assert.deepEqual(completed.output.map((o) => o.type),
    ['reasoning', 'web_search_call', 'image_generation_call', 'image_generation_call']);
  assert.equal(completed.output[0].summary[0].text, summary);
  assert.ok(completed.usage.output_tokens_details.reasoning_tokens > 0);
  assert.equal(completed.tool_usage.web_search.num_requests, 1);
});

test('unknown previous_response_id is refused', async () => {
  await assert.rejects(
    client.responses.create({
      model: 'gpt-5.4', previous_response_id: 'resp_doesnotexist', input: 'again', tools: [imageTool()],
    }),
    (err) => {
      assert.ok(err instanceof BadRequestError, `got ${err.constructor.name}`);
      assert.equal(err.code, 'previous_response_not_found');
      assert.equal(err.param, 'previous_response_id');
      assert.match(err.message, /resp_doesnotexist/);
      return true;
    },
  );
});

// ---- faults seen through the SDK ----

test('moderation block (fault block=WORD)', async () => {
  const blocked = await startMock('--fault', 'block=volcano');
  await assert.rejects(
    blocked.images.generate({ model: MODEL, prompt: 'An erupting VOLCANO' }),
    (err) => {
      assert.ok(err instanceof BadRequestError);
      assert.equal(err.code, 'moderation_blocked');
      assert.equal(err.type, 'image_generation_user_error');
      return true;
    },
  );
});

test('429 with retry-after-ms is retried by the SDK (fault status=429)', async () => {
  const limited = await startMock('--fault', 'status=429,count=1,retry-after-ms=50');
  const retrying = limited.withOptions({ maxRetries: 1 });
  const result = await retrying.images.generate({ model: MODEL, prompt: 'A pear', quality: 'low' });
  assertImage(result.data[0].b64_json, 'png', '1024x1024');
});

test('error event in a stream raises in the SDK (fault error-event=0)', async () => {
  const failing = await startMock('--fault', 'error-event=0');
  const stream = await failing.images.generate({
    model: MODEL, prompt: 'A pear', quality: 'low', stream: true, partial_images: 2,
  });
  const seen = [];
  await assert.rejects(async () => {
    for await (const event of stream) seen.push(event.type);
  });
  assert.deepEqual(seen, ['image_generation.partial_image']);
});

// ---- background mode (protocol.md section 13) ----

test('background turn cut after partial 1 resumes with retrieve({stream, starting_after})', async () => {
  const cut = await startMock('--fault', 'drop-after=0', '--delay', '10');
  const stream = await cut.responses.create({
    model: 'gpt-5.4', stream: true, background: true, input: 'Draw a kite',
    tools: [imageTool({ partial_images: 2 })], tool_choice: { type: 'image_generation' },
  });
  const first = [];
  await assert.rejects(async () => { for await (const e of stream) first.push(e); });
  assert.equal(first[0].type, 'response.created');
  assert.equal(first[0].response.status, 'queued');
  assert.equal(first[0].response.background, true);
  assert.equal(first.at(-1).type, 'response.image_generation_call.partial_image');
  const id = first[0].response.id;
  const last = first.at(-1).sequence_number;
  const resumed = await cut.responses.retrieve(id, { stream: true, starting_after: last });
  const rest = [];
  for await (const e of resumed) rest.push(e);
  rest.forEach((e, i) => assert.equal(e.sequence_number, last + 1 + i));
  assert.deepEqual(rest.map((e) => e.type), [
    'response.image_generation_call.partial_image', 'response.image_generation_call.completed',
    'response.output_item.done', 'response.completed',
  ]);
  assertImage(rest.at(-1).response.output[0].result, 'png', '1024x1024');
  const polled = await cut.responses.retrieve(id);
  assert.equal(polled.status, 'completed');
  assert.equal(polled.output[0].result, rest.at(-1).response.output[0].result);
});

test('a background response created without stream is read by retrieve({stream}) from the first event', async () => {
  // easel's own flow: the POST answers at once with the id, so a link cut before any event
  // (drop-after=start cuts the first stream) is read on by a second retrieve.
  const cut = await startMock('--fault', 'drop-after=start', '--delay', '10');
  const created = await cut.responses.create({
    model: 'gpt-5.4', background: true, input: 'Draw a kite',
    tools: [imageTool({ partial_images: 1 })], tool_choice: { type: 'image_generation' },
  });
  assert.equal(created.status, 'queued');
  assert.equal(created.background, true);
  const first = [];
  await assert.rejects(async () => {
    for await (const e of await cut.responses.retrieve(created.id, { stream: true })) first.push(e);
  });
  assert.equal(first.length, 0);
  const events = [];
  for await (const e of await cut.responses.retrieve(created.id, { stream: true })) events.push(e);
  events.forEach((e, i) => assert.equal(e.sequence_number, i));
  assert.equal(events[0].type, 'response.created');
  assert.equal(events.at(-1).type, 'response.completed');
  assertImage(events.at(-1).response.output[0].result, 'png', '1024x1024');
});

test('a background response stuck queued is cancelled with responses.cancel', async () => {
  const stuck = await startMock('--fault', 'stall=queued');
  const stream = await stuck.responses.create({
    model: 'gpt-5.4', stream: true, background: true, input: 'Draw a kite',
    tools: [imageTool({ partial_images: 1 })],
  });
  const iterator = stream[Symbol.asyncIterator]();
  const { value: created } = await iterator.next();
  assert.equal(created.response.status, 'queued');
  const cancelled = await stuck.responses.cancel(created.response.id);
  assert.equal(cancelled.status, 'cancelled');
  assert.equal((await stuck.responses.retrieve(created.response.id)).status, 'cancelled');
  stream.controller.abort();
  await assert.rejects(stuck.responses.retrieve('resp_unknown'), (e) => e.status === 404);
});
