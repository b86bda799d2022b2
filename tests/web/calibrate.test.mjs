// Paste-back calibration in the page: pasted llama-bench rows are compared with the estimates,
// the fit moves the backend's speeds onto them, and the calibration lives in the link.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { root, openPage, until, siteAndBrowser } from './harness.mjs';

const env = siteAndBrowser();
const bench = fs.readFileSync(path.join(root, 'tests/fixtures/bench/vulkan-qwen3-30b.md'), 'utf8');

// The focused model's decode card: "86.2 t/s".
const decodeCard = (page) => page.$eval('#speed-focus .card .big', (e) => parseFloat(e.textContent));

test('pasted llama-bench rows calibrate the backend, and the link keeps it', async () => {
  const context = await env.browser.newContext();
  const page = await openPage(context, `${env.server.url}#v=1&model=qwen3-30b-a3b&backend=llamacpp-vulkan`, env.server.origin);
  const before = await decodeCard(page);
  await page.click('#calibrate summary');
  await page.fill('#cal-text', bench);
  await page.click('#cal-fit');
  await until(page, () => document.querySelector('#cal-result table'));
  const rows = await page.$$eval('#cal-result tbody tr', (trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent.trim())));
  assert.deepEqual(rows.map((r) => r[2]), ['pp512', 'tg128', 'pp512@d4096', 'tg128@d4096']);
  // Calibrated errors are no larger than before on the pasted rows.
  const pct = (s) => Math.abs(parseFloat(s));
  const sum = (col) => rows.reduce((a, r) => a + pct(r[col]), 0);
  assert.ok(sum(8) < sum(6), `calibrated error ${sum(8)} < model error ${sum(6)}`);
  assert.match(await page.textContent('#cal-result'), /In a link: cal=llamacpp-vulkan:[\d.]+:[\d.]+:2:2/);

  await page.click('#cal-use');
  await until(page, () => /cal=llamacpp-vulkan/.test(location.hash));
  const hash = await page.evaluate(() => location.hash);
  const scale = Number(hash.match(/cal=llamacpp-vulkan(?::|%3A)([\d.]+)/)[1]);
  const after = await decodeCard(page);
  assert.ok(Math.abs(after / before - scale) < 0.02, `decode ${before} -> ${after}, scale ${scale}`);
  assert.match(await page.textContent('#cal-active'), /In use: llamacpp-vulkan — decode ×/);

  // A fresh page from the link shows the calibrated figure; removing it restores the model's.
  const again = await openPage(context, `${env.server.url}${hash}`, env.server.origin);
  assert.equal(await decodeCard(again), after);
  await again.click('#calibrate summary');
  await again.click('#cal-active button');
  await until(again, () => !/cal=/.test(location.hash));
  assert.equal(await decodeCard(again), before);
  assert.deepEqual([...page.problems, ...again.problems], []);
  await context.close();
});

test('pasting something that is not llama-bench output says so and changes nothing', async () => {
  const context = await env.browser.newContext();
  const page = await openPage(context, `${env.server.url}#v=1&model=qwen3-30b-a3b`, env.server.origin);
  const link = await page.evaluate(() => location.hash);
  await page.click('#calibrate summary');
  await page.fill('#cal-text', 'hello <img src=x onerror=alert(1)>');
  await page.click('#cal-fit');
  await until(page, () => document.getElementById('cal-result').textContent.length > 0);
  assert.match(await page.textContent('#cal-result'), /no llama-bench table found/);
  assert.equal(await page.evaluate(() => document.querySelectorAll('#cal-result img').length), 0);
  assert.equal(await page.isDisabled('#cal-use'), true);
  assert.equal(await page.evaluate(() => location.hash), link);
  assert.deepEqual(page.problems, []);
  await context.close();
});
