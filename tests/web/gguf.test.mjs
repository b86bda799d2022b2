// Importing GGUF files in the page: only the header is read, the model joins every table with
// the file's exact weights; a corrupt file changes nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { root, openPage, fitTableText, until, siteAndBrowser } from './harness.mjs';

const env = siteAndBrowser();
const makeGguf = process.env.HALOPLAN_MAKE_GGUF || path.join(root, 'build/native/tests/make_gguf');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'haloplan-gguf-'));

// -> the file's path; gguf.lastWeights holds the weight bytes the writer put in its tensor table.
function gguf(name, model, quant, ...extra) {
  const file = path.join(dir, name);
  const out = execFileSync(makeGguf, [model, quant, file, ...extra], { encoding: 'utf8' });
  gguf.lastWeights = Number(out.match(/, (\d+) weight bytes/)[1]);
  return file;
}

test('a multi-GB GGUF imports from its header alone and shows up in every table', async () => {
  const file = gguf('Qwen3-30B-A3B-Q8_0.gguf', 'qwen3-30b-a3b', 'Q8_0', '--size', String(32 * 1024 ** 3));
  const weights = gguf.lastWeights;
  assert.equal(fs.statSync(file).size, 32 * 1024 ** 3);
  const context = await env.browser.newContext();
  // Every read of the file goes through Blob.slice: record how far into the file the page reads.
  await context.addInitScript(() => {
    const slice = Blob.prototype.slice;
    window.__ggufRead = 0;
    Blob.prototype.slice = function (start = 0, end = this.size, type) {
      const to = Math.min(end < 0 ? this.size + end : end, this.size);
      if (this.size > 1 << 30) window.__ggufRead = Math.max(window.__ggufRead, to);
      return slice.call(this, start, end, type);
    };
  });
  const page = await openPage(context, `${env.server.url}#v=1&quants=Q8_0`, env.server.origin);
  await page.setInputFiles('#cat-gguf', file);
  await until(page, () => /Imported/.test(document.getElementById('cat-status').textContent));
  const read = await page.evaluate(() => window.__ggufRead);
  assert.ok(read > 0 && read <= 8 * 1024 ** 2, `read ${read} bytes of a 32 GiB file (the header is under 8 MiB)`);
  assert.match(await page.textContent('#cat-status'), /Imported Qwen3-30B-A3B \(Q8_0, from GGUF header: Qwen3-30B-A3B-Q8_0\.gguf\)/);
  const fit = await fitTableText(page);
  const mine = fit.rows.find((r) => r[0] === 'qwen3-30b-a3b-q8-0');
  const shipped = fit.rows.find((r) => r[0] === 'qwen3-30b-a3b');
  assert.ok(mine, 'the imported model has a fit row');
  assert.deepEqual(mine.slice(1), shipped.slice(1), 'same weights, KV and verdicts as the shipped entry');
  assert.match(await page.textContent('#speed-table'), /qwen3-30b-a3b-q8-0/);
  assert.match(await page.textContent('#focus h3'), /Breakdown — Qwen3-30B-A3B Q8_0/);
  assert.match(await page.textContent('#layout-svg desc'), /^Qwen3-30B-A3B Q8_0: /);
  assert.match(await page.textContent('#cat-pick'), /Qwen3-30B-A3B \(qwen3-30b-a3b-q8-0\) — yours/);
  assert.match(await page.inputValue('#cat-json'), /"notes": "from GGUF header: Qwen3-30B-A3B-Q8_0\.gguf"/);
  const stored = JSON.parse(await page.evaluate(() => localStorage.getItem('haloplan.catalog')));
  assert.equal(stored.custom[0].gguf.weights_bytes, weights);
  assert.equal(stored.custom[0].id, 'qwen3-30b-a3b-q8-0');
  assert.deepEqual(page.problems, []);

  // A corrupt header: an error naming the problem, and nothing changes.
  const bad = gguf('broken.gguf', 'qwen3-0.6b', 'Q8_0', '--corrupt');
  const before = await page.evaluate(() => localStorage.getItem('haloplan.catalog'));
  const tableBefore = await fitTableText(page);
  await page.setInputFiles('#cat-gguf', bad);
  await until(page, () => /GGUF import failed/.test(document.getElementById('cat-status').textContent));
  assert.match(await page.textContent('#cat-errors'), /broken\.gguf: tensor '.*' has unknown ggml type id 99/);
  assert.equal(await page.evaluate(() => localStorage.getItem('haloplan.catalog')), before);
  assert.deepEqual(await fitTableText(page), tableBefore);
  await context.close();
});

test('split GGUF parts import together; a missing part is named', async () => {
  const context = await env.browser.newContext();
  const page = await openPage(context, env.server.url, env.server.origin);
  const parts = [0, 1, 2].map((i) => gguf(`Llama-3.2-1B-Q4_K_M-0000${i + 1}-of-00003.gguf`, 'llama-3.2-1b', 'Q4_K_M',
    '--part', String(i), '--parts', '3'));
  await page.setInputFiles('#cat-gguf', parts.slice(0, 2));
  await until(page, () => /GGUF import failed/.test(document.getElementById('cat-status').textContent));
  assert.match(await page.textContent('#cat-errors'), /Llama-3\.2-1B-Q4_K_M-00001-of-00003\.gguf: part 3 of 3 is missing/);
  await page.setInputFiles('#cat-gguf', parts);
  await until(page, () => /Imported/.test(document.getElementById('cat-status').textContent));
  const fit = await fitTableText(page);
  const a = fit.rows.find((r) => r[0] === 'llama-3.2-1b-q4-k-m');
  const b = fit.rows.find((r) => r[0] === 'llama-3.2-1b');
  assert.ok(a, 'the split model has a fit row');
  assert.deepEqual(a.slice(1), b.slice(1));
  assert.deepEqual(page.problems, []);
  await context.close();
});

test('a pasted Hugging Face config.json adds the model; an unknown one says what it lacks', async () => {
  const context = await env.browser.newContext();
  const page = await openPage(context, env.server.url, env.server.origin);
  await page.click('#hf-box summary');
  await page.fill('#hf-name', 'Qwen/Qwen3-30B-A3B-HF');
  await page.fill('#hf-text', fs.readFileSync(path.join(root, 'tests/fixtures/hf/qwen3-30b-a3b.json'), 'utf8'));
  await page.click('#hf-add');
  await until(page, () => /Added/.test(document.getElementById('cat-status').textContent));
  const fit = await fitTableText(page);
  const mine = fit.rows.find((r) => r[0] === 'qwen3-30b-a3b-hf');
  const shipped = fit.rows.find((r) => r[0] === 'qwen3-30b-a3b');
  assert.ok(mine, 'the model has a fit row');
  assert.deepEqual(mine.slice(1), shipped.slice(1));
  assert.match(await page.textContent('#focus h3'), /Breakdown — Qwen\/Qwen3-30B-A3B-HF Q4_K_M/);
  const stored = await page.evaluate(() => localStorage.getItem('haloplan.catalog'));

  await page.fill('#hf-text', '{"model_type": "falcon", "hidden_size": 4544}');
  await page.click('#hf-add');
  await until(page, () => /Not added/.test(document.getElementById('cat-status').textContent));
  assert.match(await page.textContent('#cat-errors'), /model_type 'falcon' is not one this version maps/);
  await page.fill('#hf-text', '{"model_type": "llama", "hidden_size": 4096}');
  await page.click('#hf-add');
  assert.match(await page.textContent('#cat-errors'), /is missing num_hidden_layers, num_attention_heads, vocab_size, intermediate_size/);
  assert.equal(await page.evaluate(() => localStorage.getItem('haloplan.catalog')), stored);
  assert.deepEqual(page.problems, []);
  await context.close();
});
