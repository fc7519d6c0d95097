// SPDX-License-Identifier: MIT
// easel's requests against the official openai SDK's, captured by a loopback server (issue 3,
// "How we will know", second bullet). Each case makes the same call twice, once through the
// pinned `openai` package and once through `$EASEL generate`, both aimed at the capture server
// below, and compares what reached the wire: path, JSON body (deep-equal), multipart part
// names, file Content-Types, filenames and bytes, text values, and the headers that matter.
// Needs only EASEL (absolute path to the binary); no network beyond 127.0.0.1.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { execFile } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, rmSync, createReadStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync, inflateSync } from 'node:zlib';
import OpenAI, { toFile } from 'openai';

const EASEL = process.env.EASEL;
if (!EASEL) throw new Error('set EASEL to the absolute path of the easel binary');

// ---- PNG writing and reading with node's zlib and a CRC32 of our own ----

const CRC_TABLE = new Uint32Array(256).map((_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buf) {
  let c = 0xffffffff;
  for (const byte of buf) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const CHANNELS = { 0: 1, 2: 3, 4: 2, 6: 4 }; // gray, RGB, gray+alpha, RGBA (8-bit)

// pixel(x, y) returns the channel values of one pixel for the colour type.
function makePng(width, height, colorType, pixel) {
  const ch = CHANNELS[colorType];
  const raw = Buffer.alloc(height * (1 + width * ch));
  for (let y = 0; y < height; y++) {
    const row = y * (1 + width * ch);
    raw[row] = 0; // filter: none
    for (let x = 0; x < width; x++) raw.set(pixel(x, y), row + 1 + x * ch);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = colorType;
  return Buffer.concat([PNG_SIGNATURE, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0))]);
}

// Decodes an 8-bit, non-interlaced PNG far enough to give its size, colour type and the alpha
// of each pixel (255 where the format has no alpha).
function readPng(buf) {
  assert.ok(buf.subarray(0, 8).equals(PNG_SIGNATURE), 'not a PNG');
  let off = 8, ihdr = null, palette = null, trns = null;
  const idat = [];
  while (off + 8 <= buf.length) {
    const len = buf.readUInt32BE(off);
    const type = buf.toString('latin1', off + 4, off + 8);
    const data = buf.subarray(off + 8, off + 8 + len);
    if (type === 'IHDR') ihdr = data;
    else if (type === 'PLTE') palette = data;
    else if (type === 'tRNS') trns = data;
    else if (type === 'IDAT') idat.push(data);
    off += 12 + len;
    if (type === 'IEND') break;
  }
  assert.ok(ihdr, 'PNG without IHDR');
  const width = ihdr.readUInt32BE(0), height = ihdr.readUInt32BE(4);
  const bitDepth = ihdr[8], colorType = ihdr[9], interlace = ihdr[12];
  assert.equal(bitDepth, 8, 'this reader takes 8-bit PNGs only');
  assert.equal(interlace, 0, 'this reader takes non-interlaced PNGs only');
  const ch = colorType === 3 ? 1 : CHANNELS[colorType];
  const stride = width * ch;
  const raw = inflateSync(Buffer.concat(idat));
  const out = Buffer.alloc(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const src = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const cur = out.subarray(y * stride, (y + 1) * stride);
    const prev = y > 0 ? out.subarray((y - 1) * stride, y * stride) : Buffer.alloc(stride);
    for (let i = 0; i < stride; i++) {
      const a = i >= ch ? cur[i - ch] : 0, b = prev[i], c = i >= ch ? prev[i - ch] : 0;
      let pred = 0;
      if (filter === 1) pred = a;
      else if (filter === 2) pred = b;
      else if (filter === 3) pred = (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
        pred = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      } else assert.equal(filter, 0, `bad PNG filter ${filter}`);
      cur[i] = (src[i] + pred) & 0xff;
    }
  }
  const alpha = Buffer.alloc(width * height, 255);
  for (let i = 0; i < width * height; i++) {
    if (colorType === 4) alpha[i] = out[i * 2 + 1];
    else if (colorType === 6) alpha[i] = out[i * 4 + 3];
    else if (colorType === 3 && trns && out[i] < trns.length) alpha[i] = trns[out[i]];
  }
  const hasAlphaChannel = colorType === 4 || colorType === 6 || (colorType === 3 && !!trns);
  return { width, height, colorType, hasAlphaChannel, alpha, palette };
}

// The image every answer carries: a valid 1x1 opaque PNG.
const TINY_PNG = makePng(1, 1, 6, () => [200, 40, 40, 255]);
const TINY_B64 = TINY_PNG.toString('base64');

// ---- multipart/form-data ----

function boundaryOf(contentType) {
  const m = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType || '');
  assert.ok(m, `no boundary in Content-Type ${contentType}`);
  return m[1] || m[2];
}

// Parts in wire order: { name, filename (or undefined), contentType (or undefined), data }.
function parseMultipart(body, contentType) {
  const delim = Buffer.from(`--${boundaryOf(contentType)}`);
  const parts = [];
  let pos = body.indexOf(delim);
  assert.ok(pos >= 0, 'multipart body without its boundary');
  for (;;) {
    pos += delim.length;
    if (body.subarray(pos, pos + 2).toString() === '--') break; // closing delimiter
    assert.equal(body.subarray(pos, pos + 2).toString(), '\r\n', 'no CRLF after a boundary');
    pos += 2;
    const next = body.indexOf(Buffer.concat([Buffer.from('\r\n'), delim]), pos);
    assert.ok(next >= 0, 'multipart body not closed');
    const part = body.subarray(pos, next);
    const headEnd = part.indexOf('\r\n\r\n');
    assert.ok(headEnd >= 0, 'part without a blank line after its headers');
    const headers = {};
    for (const line of part.subarray(0, headEnd).toString('latin1').split('\r\n')) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const disp = headers['content-disposition'] || '';
    const name = /(?:^|;)\s*name="([^"]*)"/.exec(disp)?.[1];
    const filename = /filename="([^"]*)"/.exec(disp)?.[1];
    parts.push({ name, filename, contentType: headers['content-type'],
      data: Buffer.from(part.subarray(headEnd + 4)) });
    pos = next + 2;
  }
  return parts;
}

// ---- the capture server ----

const captured = [];
let responseCounter = 0;
let server, baseURL, root;

function sse(res, events) {
  res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
  for (const ev of events) res.write(`event: ${ev.type}\ndata: ${JSON.stringify(ev)}\n\n`);
  res.end();
}

const IMAGES_USAGE = { total_tokens: 30, input_tokens: 10, output_tokens: 20,
  input_tokens_details: { text_tokens: 10, image_tokens: 0 } };

function imagesAnswer(res, kind, stream) {
  if (!stream) {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ created: 1, data: [{ b64_json: TINY_B64 }], usage: IMAGES_USAGE }));
    return;
  }
  sse(res, [{ type: `${kind}.completed`, b64_json: TINY_B64, created_at: 1, size: '1024x1024',
    quality: 'low', background: 'opaque', output_format: 'png', usage: IMAGES_USAGE }]);
}

function responsesAnswer(res, body) {
  const id = `resp_capture_${++responseCounter}`;
  const base = { id, object: 'response', created_at: 1, model: body.model, tools: body.tools,
    tool_choice: body.tool_choice, previous_response_id: body.previous_response_id ?? null };
  const item = { id: `ig_capture_${responseCounter}`, type: 'image_generation_call',
    status: 'completed', result: TINY_B64, revised_prompt: `revised: ${JSON.stringify(body.input)}` };
  const usage = { input_tokens: 10, input_tokens_details: { cached_tokens: 0 }, output_tokens: 5,
    output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 15 };
  const done = { ...base, status: 'completed', output: [item], usage };
  if (!body.stream) {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(done));
    return;
  }
  sse(res, [
    { type: 'response.created', sequence_number: 0,
      response: { ...base, status: 'in_progress', output: [] } },
    { type: 'response.output_item.done', sequence_number: 1, output_index: 0, item },
    { type: 'response.completed', sequence_number: 2, response: done },
  ]);
}

function handle(req, res) {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    const rec = { method: req.method, path: req.url, headers: req.headers, body, response_id: null };
    captured.push(rec);
    const ct = req.headers['content-type'] || '';
    let stream = false, json = null;
    try {
      if (ct.startsWith('application/json')) {
        json = JSON.parse(body.toString('utf8'));
        stream = json.stream === true;
      } else if (ct.startsWith('multipart/form-data')) {
        stream = parseMultipart(body, ct).some((p) => p.name === 'stream' &&
          p.data.toString() === 'true');
      }
    } catch {
      /* the test itself reports a malformed body */
    }
    if (req.method === 'POST' && req.url === '/v1/images/generations')
      return imagesAnswer(res, 'image_generation', stream);
    if (req.method === 'POST' && req.url === '/v1/images/edits')
      return imagesAnswer(res, 'image_edit', stream);
    if (req.method === 'POST' && req.url === '/v1/responses' && json) {
      responsesAnswer(res, json);
      rec.response_id = `resp_capture_${responseCounter}`;
      return;
    }
    res.writeHead(404, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ error: { message: `no route ${req.method} ${req.url}`,
      type: 'invalid_request_error', param: null, code: null } }));
  });
}

let client;
let files;

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'easel-capture-'));
  server = createServer(handle);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseURL = `http://127.0.0.1:${server.address().port}/v1`;
  client = new OpenAI({ baseURL, apiKey: 'sk-capture-test', organization: 'org-test',
    project: 'proj-test', maxRetries: 0, timeout: 10000 });

  // Two small pictures and a mask with an alpha channel (left half transparent = edit there).
  files = { a: join(root, 'a.png'), b: join(root, 'b.png'), m: join(root, 'm.png') };
  writeFileSync(files.a, makePng(8, 8, 2, (x, y) => [255, x * 30, y * 30]));
  writeFileSync(files.b, makePng(8, 8, 2, (x, y) => [x * 30, y * 30, 255]));
  writeFileSync(files.m, makePng(8, 8, 6, (x) => [0, 0, 0, x < 4 ? 0 : 255]));
});

after(() => {
  // CAPTURE_DUMP=FILE writes every captured request there, for reading by hand.
  if (process.env.CAPTURE_DUMP)
    writeFileSync(process.env.CAPTURE_DUMP, captured.map((r) => `${r.method} ${r.path}\n` +
      `${JSON.stringify(r.headers, null, 1)}\n${r.body.toString('latin1')}\n`).join('\n----\n'));
  server?.closeAllConnections();
  server?.close();
  if (root) rmSync(root, { recursive: true, force: true });
});

// Requests that reach the server while fn runs (the tests of this file run one at a time).
async function capture(fn) {
  const start = captured.length;
  await fn();
  return captured.slice(start);
}

let runCounter = 0;
// One `easel generate` with the environment the brief gives; home is the XDG folder to use
// (a fresh one unless given, so that no earlier run's session chains into this one).
async function easel(args, home) {
  home ??= join(root, `home-${++runCounter}`);
  mkdirSync(home, { recursive: true });
  const env = {
    PATH: process.env.PATH, HOME: home, LANG: 'C',
    OPENAI_BASE_URL: baseURL, OPENAI_API_KEY: 'sk-capture-test',
    OPENAI_ORG_ID: 'org-test', OPENAI_PROJECT_ID: 'proj-test',
    XDG_DATA_HOME: join(home, 'data'), XDG_CONFIG_HOME: join(home, 'config'),
  };
  return new Promise((resolve, reject) => {
    execFile(EASEL, ['generate', ...args], { env, cwd: home, timeout: 8000 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`easel generate ${args.join(' ')} failed ` +
          `(${error.code ?? error.signal}): ${stderr || stdout}`));
        else resolve({ stdout, stderr });
      });
  });
}

// A streamed answer is read to its end; a plain one (a background turn's POST) is whole already.
async function drain(answer) {
  if (answer && typeof answer[Symbol.asyncIterator] === 'function')
    for await (const _ of answer); // eslint-disable-line no-unused-vars
}

// Runs both, returns [easelRequest, sdkRequest]; each must make exactly one request.
async function both(easelArgs, sdkCall) {
  const e = await capture(() => easel(easelArgs));
  const s = await capture(async () => drain(await sdkCall()));
  assert.equal(e.length, 1, `easel made ${e.length} requests: ${e.map((r) => r.path)}`);
  assert.equal(s.length, 1, `the SDK made ${s.length} requests`);
  return [e[0], s[0]];
}

// The headers that matter. Excluded by design: User-Agent (easel names itself), the SDK's
// X-Stainless-* telemetry headers (lang, os, arch, runtime, package version; easel sends only
// X-Stainless-Retry-Count, which is compared), the multipart boundary (random per request; only
// the media type is compared), and what undici adds on its own (Connection, Accept-Language,
// Accept-Encoding, Sec-Fetch-Mode) along with Host and Content-Length.
function assertHeaders(e, s) {
  for (const h of ['authorization', 'openai-organization', 'openai-project', 'accept',
    'x-stainless-retry-count'])
    assert.equal(e.headers[h], s.headers[h], `header ${h}: easel ${e.headers[h]}, SDK ${s.headers[h]}`);
  assert.equal(e.headers.authorization, 'Bearer sk-capture-test');
  assert.equal(e.headers['openai-organization'], 'org-test');
  assert.equal(e.headers['openai-project'], 'proj-test');
  const mediaType = (r) => (r.headers['content-type'] || '').split(';')[0].trim().toLowerCase();
  assert.equal(mediaType(e), mediaType(s),
    `Content-Type: easel ${e.headers['content-type']}, SDK ${s.headers['content-type']}`);
  assert.ok(!/^OpenAI\//.test(e.headers['user-agent'] || ''), 'easel should name itself in User-Agent');
}

function assertSameJson(e, s) {
  assert.equal(e.method, 'POST');
  assert.equal(e.path, s.path, `path: easel ${e.path}, SDK ${s.path}`);
  assert.equal(e.headers['content-type'], 'application/json');
  assertHeaders(e, s);
  // Key order is not compared (JSON objects are unordered; deepEqual ignores it).
  const eb = JSON.parse(e.body.toString('utf8')), sb = JSON.parse(s.body.toString('utf8'));
  assert.deepEqual(eb, sb);
  return eb;
}

const sdkFile = (path, name) => toFile(createReadStream(path), name, { type: 'image/png' });

// Compares two multipart bodies; mask handling is passed in (easel re-encodes the mask).
function assertSameMultipart(e, s, { maskSource } = {}) {
  assert.equal(e.path, s.path, `path: easel ${e.path}, SDK ${s.path}`);
  assertHeaders(e, s);
  const ep = parseMultipart(e.body, e.headers['content-type']);
  const sp = parseMultipart(s.body, s.headers['content-type']);
  const order = { easel: ep.map((p) => p.name), sdk: sp.map((p) => p.name) };
  // Part order is not compared: the API reads multipart by name, and the SDK's order follows
  // the keys of the object it was given. Names (with repeats) are compared as sorted lists.
  assert.deepEqual([...order.easel].sort(), [...order.sdk].sort(),
    `part names: easel ${order.easel.join(',')}, SDK ${order.sdk.join(',')}`);
  const byName = (parts, name) => parts.filter((p) => p.name === name);
  for (const name of new Set(order.sdk)) {
    const eParts = byName(ep, name), sParts = byName(sp, name);
    sParts.forEach((sPart, i) => {
      const ePart = eParts[i];
      const what = `part ${name}#${i}`;
      assert.equal(ePart.filename === undefined, sPart.filename === undefined,
        `${what}: file in one, text in the other`);
      if (sPart.filename === undefined) {
        assert.equal(ePart.data.toString('utf8'), sPart.data.toString('utf8'), `${what} value`);
        assert.equal(ePart.contentType, sPart.contentType, `${what} Content-Type`);
        return;
      }
      assert.equal(ePart.contentType, sPart.contentType,
        `${what} Content-Type: easel ${ePart.contentType}, SDK ${sPart.contentType}`);
      if (name === 'mask' && maskSource) {
        // easel derives the alpha mask from the file it is given (src/net/api.c
        // mask_to_alpha_png: decoded, scaled to the first image, re-encoded as PNG), so its
        // bytes differ from the file the SDK uploads. What must hold: a PNG, the same size,
        // an alpha channel, and, since this mask already has transparent pixels, the same
        // alpha values. Its filename is checked in its own test below.
        const em = readPng(ePart.data), src = readPng(readFileSync(maskSource));
        assert.ok(em.hasAlphaChannel, `easel's mask has no alpha channel (colour type ${em.colorType})`);
        assert.deepEqual([em.width, em.height], [src.width, src.height], 'mask size');
        assert.ok(em.alpha.equals(src.alpha), 'mask alpha values differ from the file given');
        return;
      }
      assert.equal(ePart.filename, sPart.filename, `${what} filename`);
      assert.ok(ePart.data.equals(sPart.data), `${what}: bytes differ (easel ${ePart.data.length}, SDK ${sPart.data.length})`);
    });
  }
  return { ep, sp, order };
}

// ---- 1. Images API generation ----

test('capture: images generation body and headers equal the SDK', async () => {
  const [e, s] = await both(
    ['--api', 'images', '-m', 'gpt-image-2', '-s', '1024x1536', '-q', 'low', '-f', 'jpeg',
      '--compression', '80', '-p', '2', '--moderation', 'low', 'a red fox'],
    () => client.images.generate({ model: 'gpt-image-2', prompt: 'a red fox', size: '1024x1536',
      quality: 'low', output_format: 'jpeg', output_compression: 80, partial_images: 2,
      moderation: 'low', stream: true }));
  assert.equal(e.path, '/v1/images/generations');
  const body = assertSameJson(e, s);
  assert.equal(body.stream, true);
});

// ---- 2. Images API edit, two images and a mask ----

let twoImageEdit; // kept for the mask-filename test

test('capture: images edit with two images and a mask matches the SDK multipart', async (t) => {
  const [e, s] = await both(
    ['--api', 'images', '-i', files.a, '-i', files.b, '--mask', files.m, '-s', '1024x1024',
      'put them in a basket'],
    async () => client.images.edit({ model: 'gpt-image-2',
      image: [await sdkFile(files.a, 'a.png'), await sdkFile(files.b, 'b.png')],
      mask: await sdkFile(files.m, 'm.png'), prompt: 'put them in a basket', size: '1024x1024',
      stream: true }));
  assert.equal(e.path, '/v1/images/edits');
  twoImageEdit = assertSameMultipart(e, s, { maskSource: files.m });
  const names = twoImageEdit.order.easel;
  assert.deepEqual(names.filter((n) => n.startsWith('image')), ['image[]', 'image[]']);
  // The first image[] is a.png: the mask applies to the first image.
  assert.ok(twoImageEdit.ep.find((p) => p.name === 'image[]').data.equals(readFileSync(files.a)));
  t.diagnostic(`part order: easel ${names.join(',')}; SDK ${twoImageEdit.order.sdk.join(',')}`);
});

// The mask part keeps the caller's file name as the SDK sends it, with .png: easel uploads a
// mask it derived (scaled to the first image, re-encoded as PNG by mask_to_alpha_png in
// src/net/api.c), so m.jpg would go as m.png.
test('capture: images edit mask part is named like the PNG it is', () => {
  assert.ok(twoImageEdit, 'the two-image edit test did not run');
  const em = twoImageEdit.ep.find((p) => p.name === 'mask');
  const sm = twoImageEdit.sp.find((p) => p.name === 'mask');
  assert.equal(sm.filename, 'm.png');
  assert.equal(em.filename, sm.filename, `mask filename: easel ${em.filename}, SDK ${sm.filename}`);
  assert.equal(em.contentType, 'image/png');
});

// ---- 3. Images API edit, one image: the part is "image", not "image[]" ----

test('capture: images edit with one image sends the part "image" like the SDK', async () => {
  const [e, s] = await both(
    ['--api', 'images', '-i', files.a, '-s', '1024x1024', 'add a hat'],
    async () => client.images.edit({ model: 'gpt-image-2', image: await sdkFile(files.a, 'a.png'),
      prompt: 'add a hat', size: '1024x1024', stream: true }));
  const { order } = assertSameMultipart(e, s);
  assert.ok(order.easel.includes('image') && !order.easel.includes('image[]'),
    `easel's parts: ${order.easel.join(',')}`);
});

// ---- 4. Responses API, text only ----

const TOOL = { type: 'image_generation', model: 'gpt-image-2' };
const TOOL_CHOICE = { type: 'image_generation' };

test('capture: responses generation body equals the SDK', async () => {
  const [e, s] = await both(
    ['-m', 'gpt-image-2', '--text-model', 'gpt-5.4', '-s', '1024x1024', '-q', 'medium', '-p', '1',
      '--action', 'generate', 'a blue bird'],
    () => client.responses.create({ model: 'gpt-5.4', input: 'a blue bird',
      tools: [{ ...TOOL, size: '1024x1024', quality: 'medium', partial_images: 1, action: 'generate' }],
      tool_choice: TOOL_CHOICE, background: true }));
  assert.equal(e.path, '/v1/responses');
  assertSameJson(e, s);
});

// ---- 5. Responses API with an input image ----

test('capture: responses with an input image equals the SDK', async () => {
  const url = `data:image/png;base64,${readFileSync(files.a).toString('base64')}`;
  const [e, s] = await both(['-i', files.a, 'make it blue'],
    () => client.responses.create({ model: 'gpt-5.4',
      input: [{ role: 'user', content: [{ type: 'input_text', text: 'make it blue' },
        { type: 'input_image', image_url: url, detail: 'auto' }] }],
      tools: [TOOL], tool_choice: TOOL_CHOICE, background: true }));
  assertSameJson(e, s);
});

// (easel sends Responses turns in background mode by default, protocol.md section 13: the POST
// without stream, answered at once with the response's id, whose events it then reads by GET.
// This server answers such a POST with the finished response, so one request is all.)

// ---- 6. A session chains its turns with previous_response_id ----

test('capture: a session sends previous_response_id like the SDK', async () => {
  const home = join(root, 'chain-home');
  const first = await capture(() => easel(['-S', 'chain-test', 'first'], home));
  const second = await capture(() => easel(['-S', 'chain-test', 'second'], home));
  assert.equal(first.length, 1);
  assert.equal(second.length, 1);
  const firstBody = JSON.parse(first[0].body.toString('utf8'));
  assert.equal(firstBody.previous_response_id, undefined, 'the first turn has no previous response');
  assert.ok(first[0].response_id);
  const secondBody = JSON.parse(second[0].body.toString('utf8'));
  assert.equal(secondBody.previous_response_id, first[0].response_id);
  // The same follow-up through the SDK.
  const s = await capture(async () => drain(await client.responses.create({ model: 'gpt-5.4',
    input: 'second', previous_response_id: first[0].response_id, tools: [TOOL],
    tool_choice: TOOL_CHOICE, background: true })));
  assertSameJson(second[0], s[0]);
});
