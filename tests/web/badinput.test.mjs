// The bad-input suite (tests/fixtures/bad_input.json) in the page: every catalog file, link and
// GGUF header shows exactly its case's message, and the catalog saved in the browser stays
// byte-identical after each one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { root, openPage, gotoReady, until, siteAndBrowser } from './harness.mjs';

const env = siteAndBrowser();
const cases = JSON.parse(fs.readFileSync(path.join(root, 'tests/fixtures/bad_input.json'), 'utf8'));
const makeGguf = process.env.HALOPLAN_MAKE_GGUF || path.join(root, 'build/native/tests/make_gguf');

// A case's input as bytes: "text", or "make" ({X} in "template" = "repeat" x "times", or the bytes
// of "hex"), as tests/bad_input.h builds it.
function caseBytes(c) {
  if ('text' in c) return Buffer.from(c.text, 'utf8');
  const m = c.make;
  const x = 'hex' in m ? Buffer.from(m.hex, 'hex') : Buffer.from(m.repeat.repeat(m.times), 'utf8');
  const [head, tail] = (m.template ?? '{X}').split('{X}');
  return Buffer.concat([Buffer.from(head, 'utf8'), x, Buffer.from(tail ?? '', 'utf8')]);
}

const stored = (page) => page.evaluate(() => localStorage.getItem('haloplan.catalog'));
const errorLines = (page) => page.$$eval('#cat-errors li', (li) => li.map((x) => x.textContent));

async function pageWithSavedCatalog() {
  const context = await env.browser.newContext();
  const page = await openPage(context, env.server.url, env.server.origin);
  const mine = JSON.stringify({ schema: 'haloplan-models', version: 1, models: cases.saved });
  await page.setInputFiles('#cat-import', { name: 'mine.json', mimeType: 'application/json', buffer: Buffer.from(mine) });
  await until(page, () => /Imported 1 model/.test(document.getElementById('cat-status').textContent));
  const saved = await stored(page);
  assert.match(saved, /"id":"my-8b"/);
  return { context, page, saved };
}

test('every bad catalog file: its exact errors, the saved catalog unchanged', async () => {
  const { context, page, saved } = await pageWithSavedCatalog();
  for (const c of cases.catalog) {
    const name = `${c.name}.json`;
    await page.setInputFiles('#cat-import', { name, mimeType: 'application/json', buffer: caseBytes(c) });
    await until(page, (n) => document.getElementById('cat-status').textContent === `Import of ${n} failed; the catalog is unchanged.`, name);
    const got = await errorLines(page);
    if (process.env.SHOW) console.log(c.name, JSON.stringify(got));
    else assert.deepEqual(got, c.page_errors ?? c.errors, c.name);
    assert.equal(await stored(page), saved, c.name);
  }
  assert.deepEqual(page.problems, []);
  await context.close();
});

test('every tampered link: its exact notice, the saved catalog unchanged', async () => {
  const { context, page, saved } = await pageWithSavedCatalog();
  for (const c of cases.link) {
    await page.goto('about:blank');
    await gotoReady(page, `${env.server.url}#${caseBytes(c).toString('utf8')}`);
    const notices = await page.$$eval('#notices .notice span', (s) => s.map((x) => x.textContent));
    assert.ok(notices.includes(`This link is partly broken: ${c.notices.join('; ')}.`), `${c.name}: ${notices.join(' | ')}`);
    assert.equal(await stored(page), saved, c.name);
    assert.match(await page.textContent('#cat-pick'), /\(my-8b\) — yours/, `${c.name}: the saved model is still in use`);
  }
  assert.deepEqual(page.problems, []);
  await context.close();
});

test('every damaged GGUF header: its exact error, the saved catalog unchanged', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'haloplan-bad-gguf-'));
  const { context, page, saved } = await pageWithSavedCatalog();
  for (const c of cases.gguf) {
    const file = path.join(dir, `${c.name}.gguf`);
    execFileSync(makeGguf, ['--bad-case', c.name, file]);
    await page.setInputFiles('#cat-gguf', file);
    await until(page, () => document.getElementById('cat-status').textContent === 'GGUF import failed; the catalog is unchanged.');
    assert.deepEqual(await errorLines(page), [`${c.name}.gguf: ${c.error}`], c.name);
    assert.equal(await stored(page), saved, c.name);
    // The next case must not see this one's status.
    await page.evaluate(() => { document.getElementById('cat-status').textContent = ''; });
  }
  assert.deepEqual(page.problems, []);
  await context.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('a damaged saved catalog: detected at start, shipped catalog shown, the damaged text kept and offered', async () => {
  const damaged = '{"schema":"haloplan-user-catalog","version":1,"custom":[{"id":"half-writ';
  const context = await env.browser.newContext();
  await context.addInitScript((text) => {
    if (!sessionStorage.getItem('seeded')) {
      localStorage.setItem('haloplan.catalog', text);
      sessionStorage.setItem('seeded', '1');
    }
  }, damaged);
  const page = await openPage(context, env.server.url, env.server.origin);
  const notices = await page.$$eval('#notices .notice span', (s) => s.map((x) => x.textContent));
  assert.ok(notices.some((n) => /^The catalog saved in this browser is damaged \(it is not valid JSON \(.+\)\); the shipped catalog is shown\. Your saved data is kept aside\.$/.test(n)), notices.join(' | '));
  assert.match(await page.textContent('#fit-table'), /llama-3\.1-8b/);
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#notices button:text-is("Download the damaged data")')]);
  assert.equal(dl.suggestedFilename(), 'haloplan-damaged-catalog.json');
  assert.equal(fs.readFileSync(await dl.path(), 'utf8'), damaged);
  // Saving a new catalog does not destroy the damaged text: it stays under its own key.
  await page.setInputFiles('#cat-import', { name: 'mine.json', mimeType: 'application/json',
    buffer: Buffer.from(JSON.stringify({ schema: 'haloplan-models', version: 1, models: cases.saved })) });
  await until(page, () => /Imported 1 model/.test(document.getElementById('cat-status').textContent));
  assert.equal(await page.evaluate(() => localStorage.getItem('haloplan.catalog.damaged')), damaged);
  assert.match(await stored(page), /"id":"my-8b"/);
  assert.deepEqual(page.problems, []);
  await context.close();
});

test('a full browser storage is reported, and the change stays on screen', async () => {
  const context = await env.browser.newContext();
  await context.addInitScript(() => {
    const setItem = Storage.prototype.setItem;
    Storage.prototype.setItem = function (key, value) {
      if (key === 'haloplan.catalog') throw new DOMException('quota', 'QuotaExceededError');
      return setItem.call(this, key, value);
    };
  });
  const page = await openPage(context, env.server.url, env.server.origin);
  await page.setInputFiles('#cat-import', { name: 'mine.json', mimeType: 'application/json',
    buffer: Buffer.from(JSON.stringify({ schema: 'haloplan-models', version: 1, models: cases.saved })) });
  await until(page, () => /Imported 1 model/.test(document.getElementById('cat-status').textContent));
  const full = 'the browser\'s storage for this page is full; the change is shown but was not saved';
  assert.equal(await page.evaluate(() => document.getElementById('cat-status').firstChild.textContent.trim()),
    `Imported 1 model(s) from mine.json. Warning: ${full}.`);
  const notices = await page.$$eval('#notices .notice span', (s) => s.map((x) => x.textContent));
  assert.ok(notices.includes(`Could not save the catalog: ${full}.`), notices.join(' | '));
  assert.match(await page.textContent('#fit-table'), /my-8b/);
  assert.equal(await stored(page), null);
  await context.close();
});
