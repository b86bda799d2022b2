// The page in real Chromium: every section, the same numbers as the CLI, links, offline use,
// the catalog editor, broken input, accessibility and no foreign requests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { root, siteDir, serve, openPage, fitTableText, until, siteAndBrowser } from './harness.mjs';

const cli = process.env.HALOPLAN_CLI || path.join(root, 'build/native/cli/haloplan');
const env = siteAndBrowser();

function cliFit(link) {
  const out = JSON.parse(execFileSync(cli, ['fit', '--link', link, '--format', 'json'], { encoding: 'utf8' }))[0];
  return { headers: Object.keys(out.rows[0]), rows: out.rows.map((r) => Object.values(r)), title: out.title };
}

test('the page shows every section and the fit table equals the CLI\'s', async () => {
  const context = await env.browser.newContext();
  const page = await openPage(context, env.server.url, env.server.origin);
  const headings = await page.$$eval('main h2', (hs) => hs.map((h) => h.textContent));
  assert.deepEqual(headings, ['What to run on this machine', 'Map of every model', 'Knobs: memory, cache, server', 'Memory layout', 'What fits', 'How fast', 'Setup',
    'Guide: memory, speed and setup on unified memory', 'Catalog']);
  for (const sel of ['#answer-line', '#answer-table', '#map-svg svg', '#layout-svg svg', '#fit-table table', '#focus table', '#speed-chart svg', '#speed-table table',
    '#ceiling-table table', '#setup-tables table', '#kernel-cmdline', '#cat-fields input']) {
    assert.ok(await page.isVisible(sel), `${sel} is visible`);
  }
  const shown = await fitTableText(page);
  const expected = cliFit(page.url());
  assert.deepEqual(shown.headers, expected.headers);
  assert.deepEqual(shown.rows, expected.rows);
  assert.equal(await page.textContent('#fit-table caption'), expected.title);
  assert.deepEqual(page.problems, []);
  await context.close();
});

test('the default view\'s tables are in the page before any script runs; another view waits for the planner', async () => {
  // No scripts at all: the prerendered markup alone shows the CLI's fit table for the default view.
  const bare = await env.browser.newContext({ javaScriptEnabled: false });
  const still = await bare.newPage();
  await still.goto(env.server.url);
  const prerendered = await fitTableText(still);
  const expected = cliFit(`${env.server.url}#v=1`);
  assert.deepEqual(prerendered.rows, expected.rows);
  assert.ok(await still.isVisible('#layout-svg svg'));
  assert.ok(await still.isVisible('#setup-tables table'));
  await bare.close();
  // The planner never arrives (app.js blocked): boot.js alone decides what the first paint shows.
  const context = await env.browser.newContext();
  await context.route(/\/app\.js$/, (r) => r.abort());
  const page = await context.newPage();
  const shown = async (url) => {
    await page.goto('about:blank');  // a fresh document each time, not a fragment change
    await page.goto(url);
    await page.waitForLoadState('load');
    return page.evaluate(() => ({
      fit: getComputedStyle(document.getElementById('fit')).visibility,
      loading: getComputedStyle(document.getElementById('loading')).display,
    }));
  };
  assert.deepEqual(await shown(env.server.url), { fit: 'visible', loading: 'none' });
  assert.deepEqual(await shown(`${env.server.url}#v=1&ctx=8192`), { fit: 'hidden', loading: 'block' });
  assert.deepEqual(await shown(`${env.server.url}?embed=fit`), { fit: 'hidden', loading: 'block' });
  await page.evaluate(() => localStorage.setItem('haloplan.catalog', '{"schema":"haloplan-user-catalog","version":1,"custom":[],"removed":["llama-3.1-8b"]}'));
  assert.deepEqual(await shown(env.server.url), { fit: 'hidden', loading: 'block' });
  await context.close();
  // With the planner, the live tables replace the prerendered ones and equal them.
  const live = await env.browser.newContext();
  const lp = await openPage(live, env.server.url, env.server.origin);
  assert.deepEqual((await fitTableText(lp)).rows, prerendered.rows);
  assert.equal(await lp.evaluate(() => document.documentElement.hasAttribute('data-prerendered')), false);
  assert.deepEqual(lp.problems, []);
  await live.close();
});

test('the wasm is compiled while the page is parsed, from its one download; without that the page starts as before', async () => {
  const downloads = (page) => page.evaluate(() => performance.getEntriesByType('resource').filter((e) => /haloplan\.wasm$/.test(e.name)).length);
  const compiled = (page) => page.evaluate(async () => (window.haloplanCompiled ? (await window.haloplanCompiled) instanceof WebAssembly.Module : null));
  const context = await env.browser.newContext();
  const page = await openPage(context, env.server.url, env.server.origin);
  assert.equal(await compiled(page), true);
  assert.equal(await downloads(page), 1);  // boot.js compiled the preloaded bytes
  const rows = (await fitTableText(page)).rows;
  assert.deepEqual(page.problems, []);
  await context.close();
  // No compileStreaming: the glue fetches and compiles the wasm, as in the single-file page.
  const old = await env.browser.newContext();
  await old.addInitScript(() => { delete WebAssembly.compileStreaming; });
  const without = await openPage(old, env.server.url, env.server.origin);
  assert.equal(await compiled(without), null);
  assert.deepEqual((await fitTableText(without)).rows, rows);
  assert.deepEqual(without.problems, []);
  await old.close();
  // A server that labels the wasm wrongly: the early compile fails, and the glue compiles the bytes.
  const wrong = await env.browser.newContext();
  await wrong.route(/haloplan\.wasm$/, async (route) => {
    const response = await route.fetch();
    await route.fulfill({ response, headers: { ...response.headers(), 'content-type': 'application/octet-stream' } });
  });
  const mislabelled = await openPage(wrong, env.server.url, env.server.origin);
  assert.equal(await mislabelled.evaluate(() => window.haloplanCompiled.then(() => 'compiled', () => 'failed')), 'failed');
  assert.deepEqual((await fitTableText(mislabelled)).rows, rows);
  await wrong.close();
});

test('a knob change updates every table and the link; reload and a copied link reproduce the view', async () => {
  const context = await env.browser.newContext({ permissions: ['clipboard-read', 'clipboard-write'] });
  const page = await openPage(context, env.server.url, env.server.origin);
  const before = {
    fit: await fitTableText(page),
    speed: await page.textContent('#speed-table'),
    layout: await page.innerHTML('#layout-svg'),
    setup: await page.textContent('#setup-tables'),
    url: page.url(),
  };
  await page.selectOption('#k-machine', 'framework-desktop-64');
  await page.fill('#k-ctx', '65536');
  await page.selectOption('#k-ktype', 'q8_0');
  await page.check('#k-quants input[value="Q8_0"]');
  const afterChange = await fitTableText(page);
  assert.notDeepEqual(afterChange, before.fit);
  assert.notEqual(await page.textContent('#speed-table'), before.speed);
  assert.notEqual(await page.innerHTML('#layout-svg'), before.layout);
  assert.notEqual(await page.textContent('#setup-tables'), before.setup);
  assert.match(await page.textContent('#speed-table'), /decode t\/s @65536/);
  const url = page.url();
  assert.notEqual(url, before.url);
  assert.match(url, /machine=framework-desktop-64/);
  assert.match(url, /ctx=65536/);
  assert.match(url, /ktype=q8_0/);
  assert.match(url, /quants=Q8_0%2CQ4_K_M|quants=Q4_K_M%2CQ8_0|quants=Q8_0,Q4_K_M|quants=Q4_K_M,Q8_0/);
  assert.deepEqual(afterChange.rows, cliFit(url).rows);
  // The table was updated in place: its export still copies what is on screen.
  await page.click('#fit-table button.export[data-format="csv"]');
  const csv = (await page.evaluate(() => navigator.clipboard.readText())).trim().split('\n').slice(1);
  assert.deepEqual(csv.map((l) => l.split(',').slice(0, 8)), afterChange.rows.map((r) => r.slice(0, 8)));

  await page.reload();
  await page.waitForSelector('body[data-ready="true"]');
  assert.equal(page.url(), url);
  assert.deepEqual(await fitTableText(page), afterChange);
  assert.equal(await page.inputValue('#k-ctx'), '65536');

  await page.click('#copy-link');
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  assert.equal(copied, url);
  const other = await env.browser.newContext();
  const page2 = await openPage(other, copied, env.server.origin);
  assert.deepEqual(await fitTableText(page2), afterChange);
  assert.equal(await page2.inputValue('#k-ctx'), '65536');
  assert.equal(await page2.inputValue('#k-machine'), 'framework-desktop-64');
  assert.deepEqual(page.problems.concat(page2.problems), []);
  await other.close();
  await context.close();
});

test('sorting, filtering and picking a row are part of the view', async () => {
  const context = await env.browser.newContext();
  const page = await openPage(context, env.server.url, env.server.origin);
  await page.fill('#fit-filter', 'qwen3');
  await page.click('#fit-table th button:text-is("total GiB")');
  await page.click('#fit-table th button:text-is("total GiB")');
  const t = await fitTableText(page);
  assert.ok(t.rows.length > 3 && t.rows.every((r) => r[0].includes('qwen3')));
  const totals = t.rows.map((r) => Number(r[7]));
  assert.deepEqual(totals, [...totals].sort((a, b) => b - a));
  await page.click('#fit-table tbody tr:nth-child(2) button.pick');
  const picked = t.rows[1][0];
  assert.match(await page.textContent('#focus h3'), new RegExp(`Breakdown — .* ${t.rows[1][1]}`));
  assert.match(page.url(), new RegExp(`model=${picked.replace(/\./g, '\\.')}`));
  assert.match(page.url(), /sort=total%20GiB&desc=1/);
  const url = page.url();
  await page.reload();
  await page.waitForSelector('body[data-ready="true"]');
  assert.deepEqual(await fitTableText(page), t);
  assert.equal(page.url(), url);
  await context.close();
});

test('a table of many rows is drawn 200 at a time; its export still copies every row', async () => {
  const context = await env.browser.newContext({ permissions: ['clipboard-read', 'clipboard-write'] });
  const page = await openPage(context, `${env.server.url}#v=1&quants=${['Q2_K', 'Q3_K_M', 'Q4_K_M', 'Q5_K_M', 'Q6_K'].join('%2C')}`, env.server.origin);
  const total = await page.$$eval('#fit-table tbody tr', (rows) => rows.length);
  assert.equal(total, 200);
  const more = await page.textContent('#fit-table p.more');
  const all = Number(more.match(/of (\d+) rows/)[1]);
  assert.ok(all > 200, more);
  await page.click('#fit-table button.more-rows');
  assert.equal(await page.$$eval('#fit-table tbody tr', (rows) => rows.length), Math.min(400, all));
  await page.click('#fit-table button.export[data-format="csv"]');
  const csv = (await page.evaluate(() => navigator.clipboard.readText())).trim().split('\n');
  assert.equal(csv.length, all + 1);  // header and every row
  assert.deepEqual(page.problems, []);
  await context.close();
});

test('a change patches the fit table\'s rows on screen at once and the others right after', async () => {
  const context = await env.browser.newContext();
  const link = `${env.server.url}#v=1&quants=${['Q2_K', 'Q3_K_M', 'Q4_K_M', 'Q5_K_M', 'Q6_K'].join('%2C')}`;
  const page = await openPage(context, link, env.server.origin);
  await page.evaluate(() => document.getElementById('fit-table').scrollIntoView({ block: 'start' }));
  await until(page, () => {
    const wrap = document.querySelector('#fit-table .table-wrap');
    return wrap.onScreen && wrap.onScreen.size > 0;
  });
  const seen = await page.evaluate(async () => {
    const kv = [...document.querySelectorAll('#fit-table thead th')].findIndex((th) => th.textContent.startsWith('KV'));
    const rows = document.querySelectorAll('#fit-table tbody tr');
    const cell = (k) => rows[k].cells[kv].textContent;
    const before = [cell(0), cell(rows.length - 1)];
    const ctx = document.getElementById('k-ctx');
    ctx.value = ctx.value === '8192' ? '65536' : '8192';
    // The core answers from its worker; the page draws what is in view when the answer comes.
    const drawn = new Promise((ok) => document.addEventListener('haloplan-drawn', ok, { once: true }));
    ctx.dispatchEvent(new Event('input', { bubbles: true }));
    await drawn;
    const now = [cell(0), cell(rows.length - 1), document.body.dataset.pending || ''];
    while (document.body.dataset.pending) await new Promise((ok) => setTimeout(ok, 10));
    return { before, now, after: [cell(0), cell(rows.length - 1)] };
  });
  assert.notEqual(seen.now[0], seen.before[0], 'the first row, on screen, is updated with the change');
  assert.equal(seen.now[1], seen.before[1], 'the last of 200 rows, off screen, waits');
  assert.match(seen.now[2], /\bfit\b/, 'body[data-pending] names the fit part until its rows are all patched');
  assert.notEqual(seen.after[1], seen.before[1], 'the last row is patched right after');
  // The link's order of quants (and so of rows) survives a change of another knob.
  assert.match(new URL(page.url()).hash, /quants=Q2_K(,|%2C)Q3_K_M(,|%2C)Q4_K_M(,|%2C)Q5_K_M(,|%2C)Q6_K&/);
  // What the patches leave equals the table drawn anew for the same view.
  const patched = await fitTableText(page);
  const fresh = await openPage(context, page.url(), env.server.origin);
  assert.deepEqual(await fitTableText(fresh), patched);
  assert.deepEqual([...page.problems, ...fresh.problems], []);
  await context.close();
});

test('after one online visit the page works offline; the single file works from disk', async () => {
  const own = await serve();
  const context = await env.browser.newContext();
  const page = await openPage(context, own.url, own.origin);
  await page.evaluate(() => navigator.serviceWorker.ready);
  const swText = fs.readFileSync(path.join(siteDir, 'sw.js'), 'utf8');
  const precache = JSON.parse(swText.match(/const FILES = (\[[^\]]*\])/)[1]);
  assert.ok(precache.includes('app.js') && precache.includes('haloplan.wasm'), precache.join(' '));
  await until(page, async (n) => {
    const keys = await caches.keys();
    return keys.some((k) => k.startsWith('haloplan-')) && (await (await caches.open(keys.find((k) => k.startsWith('haloplan-')))).keys()).length >= n;
  }, precache.length);
  const cacheName = await page.evaluate(async () => (await caches.keys()).find((k) => k.startsWith('haloplan-')));
  assert.match(cacheName, /^haloplan-[0-9a-f]{16}$/);
  assert.ok(swText.includes(cacheName.slice('haloplan-'.length)), 'the cache is named by the build\'s content hash');
  const online = await fitTableText(page);
  await own.close();  // the network is gone
  await page.goto('about:blank');
  await page.goto(own.url + '#v=1&ctx=8192');
  await page.waitForSelector('body[data-ready="true"]', { timeout: 15000 });
  const offline = await fitTableText(page);
  assert.equal(offline.rows.length, online.rows.length);
  assert.match(await page.textContent('#speed-table'), /decode t\/s @8192/);
  await context.close();

  const disk = await env.browser.newContext();
  const filePage = await openPage(disk, `file://${path.join(siteDir, 'haloplan.html')}`, null);
  const single = await fitTableText(filePage);
  assert.equal(single.rows.length, online.rows.length);
  assert.deepEqual(single.rows, cliFit(filePage.url()).rows);
  assert.deepEqual(filePage.problems, []);
  await disk.close();
});

test('a new version is offered with a reload button, not swapped under the running page', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'haloplan-site-'));
  fs.cpSync(siteDir, dir, { recursive: true });
  const own = await serve({ dir });
  const context = await env.browser.newContext();
  const page = await openPage(context, own.url, own.origin);
  await until(page, () => !!navigator.serviceWorker.controller);
  const oldCache = await page.evaluate(async () => (await caches.keys()).find((k) => k.startsWith('haloplan-')));
  assert.ok(await page.isHidden('#update'));
  const swPath = path.join(dir, 'sw.js');
  const hash = oldCache.slice('haloplan-'.length);
  fs.writeFileSync(swPath, fs.readFileSync(swPath, 'utf8').replace(hash, 'f'.repeat(16)));  // "deploy" a new version
  await page.reload();
  await page.waitForSelector('body[data-ready="true"]');
  await page.waitForSelector('#update', { state: 'visible', timeout: 15000 });
  assert.equal(await page.evaluate(async () => (await caches.keys()).includes('haloplan-' + 'f'.repeat(16))), true);
  await page.click('#update-reload');
  await until(page, async () => document.body && document.body.dataset.ready === 'true' && (await caches.keys()).length === 1);
  assert.deepEqual(await page.evaluate(() => caches.keys()), ['haloplan-' + 'f'.repeat(16)]);
  assert.ok(await page.isHidden('#update'));
  assert.deepEqual(page.problems, []);
  await context.close();
  await own.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('a catalog edit survives reload; a bad import and a broken link change nothing', async () => {
  const context = await env.browser.newContext();
  const page = await openPage(context, env.server.url, env.server.origin);
  await page.selectOption('#cat-pick', 'llama-3.1-8b');
  await page.fill('#cat-f-n_layers', '40');
  await page.click('#cat-save');
  await until(page, () => /Saved/.test(document.getElementById('cat-status').textContent));
  const row = async () => (await fitTableText(page)).rows.find((r) => r[0] === 'llama-3.1-8b');
  const edited = await row();
  assert.notEqual(edited[2], '4.6');  // more layers, more weights
  const stored = await page.evaluate(() => localStorage.getItem('haloplan.catalog'));
  assert.match(stored, /"n_layers":40/);

  await page.goto(env.server.url);  // no fragment: the saved catalog is used
  await page.waitForSelector('body[data-ready="true"]');
  assert.deepEqual(await row(), edited);
  assert.match(await page.textContent('#cat-pick'), /Llama-3\.1-8B \(llama-3\.1-8b\) — edited/);

  const badFile = { name: 'bad.json', mimeType: 'application/json',
    buffer: Buffer.from(JSON.stringify({ schema: 'haloplan-models', version: 1, models: [{ id: 'x', name: 'X', arch: 'llama', n_layers: -3 }] })) };
  const beforeTable = await fitTableText(page);
  await page.setInputFiles('#cat-import', badFile);
  await until(page, () => /failed/.test(document.getElementById('cat-status').textContent));
  assert.match(await page.textContent('#cat-errors'), /n_layers: value -3 is out of range/);
  assert.equal(await page.evaluate(() => localStorage.getItem('haloplan.catalog')), stored);
  assert.deepEqual(await fitTableText(page), beforeTable);

  await page.goto(`${env.server.url}#v=1&ctx=lots&machine=framework-desktop-64`);
  await page.waitForSelector('body[data-ready="true"]');
  const notice = await page.textContent('#notices');
  assert.match(notice, /This link is partly broken: context must be a whole number of tokens from 1 to 67108864, got 'lots'; the default is used/);
  assert.equal(await page.inputValue('#k-ctx'), '32768');
  assert.equal(await page.inputValue('#k-machine'), 'framework-desktop-64');
  assert.equal(await page.evaluate(() => localStorage.getItem('haloplan.catalog')), stored);
  await context.close();
});

// Add a model, reload (the link now carries it, keys sorted by the core), edit again: the page
// knows the link's catalog is the saved one and keeps saving.
test('a model added, the page reloaded and edited again is still saved in this browser', async () => {
  const context = await env.browser.newContext();
  const page = await openPage(context, env.server.url, env.server.origin);
  await page.click('#cat-add');
  await page.fill('#cat-f-name', 'My Reload Model');
  await page.click('#cat-save');
  await until(page, () => /Saved/.test(document.getElementById('cat-status').textContent));
  assert.match(new URL(page.url()).hash, /custom=/);
  await page.reload();
  await page.waitForSelector('body[data-ready="true"]');
  assert.ok(!(await page.isVisible('#catalog-banner')), 'the saved catalog is not treated as a foreign link\'s');
  await page.selectOption('#cat-pick', 'my-model');
  await page.fill('#cat-f-n_layers', '30');
  await page.click('#cat-save');
  await until(page, () => /Saved/.test(document.getElementById('cat-status').textContent));
  assert.doesNotMatch(await page.textContent('#cat-status'), /Not saved/);
  assert.match(await page.evaluate(() => localStorage.getItem('haloplan.catalog')), /"n_layers":30/);
  assert.deepEqual(page.problems, []);
  await context.close();
});

test('axe-core finds no WCAG 2 A/AA violations, in both themes', async () => {
  const context = await env.browser.newContext({ bypassCSP: true });
  const page = await openPage(context, env.server.url, env.server.origin);
  await page.addScriptTag({ path: path.join(root, 'node_modules/axe-core/axe.min.js') });
  for (const theme of ['light', 'dark']) {
    await page.evaluate((t) => document.documentElement.setAttribute('data-theme', t), theme);
    const result = await page.evaluate(() => window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa'] } }));
    const summary = result.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.length}) e.g. ${v.nodes[0].target}`);
    assert.deepEqual(summary, [], `${theme} theme`);
  }
  await context.close();
});

test('the site works served from a sub-path, as on GitHub Pages', async () => {
  const own = await serve({ prefix: '/haloplan/' });
  const context = await env.browser.newContext();
  const page = await openPage(context, own.url, own.origin);
  const t = await fitTableText(page);
  assert.deepEqual(t.rows, cliFit(page.url()).rows);
  await until(page, () => !!navigator.serviceWorker.controller);
  assert.equal(await page.evaluate(async () => (await navigator.serviceWorker.getRegistration()).scope), own.url);
  const outside = own.requests.filter((p) => !p.startsWith('/haloplan/'));
  assert.deepEqual(outside, [], 'every request stays under the sub-path');
  assert.deepEqual(page.problems, []);
  await context.close();
  await own.close();
});

test('a phone-sized screen has no horizontal page scroll', async () => {
  const context = await env.browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true });
  const page = await openPage(context, env.server.url, env.server.origin);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `page is ${overflow}px wider than the screen`);
  await context.close();
});

test('the llama.cpp build the user runs changes that backend\'s speeds and travels in the link', async () => {
  const context = await env.browser.newContext();
  const page = await openPage(context, `${env.server.url}#v=1&backend=llamacpp-rocm`, env.server.origin);
  const options = await page.$$eval('#k-build-rocm option', (o) => o.map((x) => x.value));
  assert.deepEqual(options, ['rocm', 'rocm-2025', 'rocm-rocblas', 'rocm-rocwmma']);
  assert.equal(await page.inputValue('#k-build-rocm'), 'rocm');
  assert.equal(await page.inputValue('#k-build-vulkan'), 'vulkan-radv');
  const before = await page.textContent('#speed-table');
  await page.selectOption('#k-build-rocm', 'rocm-2025');
  await until(page, () => location.hash.includes('builds=rocm-2025'));
  const after = await page.textContent('#speed-table');
  assert.notEqual(after, before);
  // The page's figures are the CLI's for the same link.
  const rows = JSON.parse(execFileSync(cli, ['speed', '--link', page.url(), '--format', 'json'], { encoding: 'utf8' }))[0].rows;
  for (const r of rows.slice(0, 5)) {
    const decode = r['decode t/s @0'].split(' ')[0];
    assert.ok(decode && after.includes(decode), `the page shows the CLI's decode ${decode} for ${r.model}`);
  }
  const other = await env.browser.newContext();
  const page2 = await openPage(other, page.url(), env.server.origin);
  assert.equal(await page2.inputValue('#k-build-rocm'), 'rocm-2025');
  assert.equal(await page2.textContent('#speed-table'), after);
  // Back to the default: the link no longer names a build.
  await page.selectOption('#k-build-rocm', 'rocm');
  await until(page, () => !location.hash.includes('builds='));
  assert.equal(await page.textContent('#speed-table'), before);
  assert.deepEqual(page.problems.concat(page2.problems), []);
  await other.close();
  await context.close();
});

test('each speed opens its evidence: the formula, the rows behind it, the nearest measurements', async () => {
  const context = await env.browser.newContext();
  const page = await openPage(context, `${env.server.url}#v=1&model=qwen2.5-7b`, env.server.origin);
  await page.click('#speed-evidence summary');
  await page.waitForSelector('#evidence-rows tbody tr');
  const terms = await page.$$eval('#evidence-terms tbody tr', (rs) => rs.map((r) => [...r.cells].map((c) => c.textContent)));
  const rows = await page.$$eval('#evidence-rows tbody tr', (rs) => rs.map((r) => [...r.cells].map((c) => c.textContent)));
  const links = await page.$$eval('#evidence-rows tbody a', (as) => as.map((a) => a.href));
  // The CLI gives the same evidence for the same link.
  const cliPlan = JSON.parse(execFileSync(cli, ['plan', '--link', page.url(), '--format', 'json'], { encoding: 'utf8' }));
  const e = cliPlan.speed_evidence;
  const near = [...e.near_decode, ...e.near_prefill];
  assert.equal(rows.length, near.length);
  assert.deepEqual(rows.map((r) => [r[1], r[3]]), near.map((x) => [x.model, x.test]));
  assert.deepEqual(links, near.map((x) => x.source));
  // The measured figures are the published ones (bench/data), not haloplan's.
  const csv = ['llama_bench_strix_halo.csv', 'llama_bench_extra.csv']
    .map((f) => fs.readFileSync(path.join(root, 'bench/data', f), 'utf8')).join('\n').split('\n');
  for (const x of near) {
    assert.ok(csv.some((l) => {
      const c = l.split(',');
      return c[0] === x.model && c[7] === x.test && Number(c[8]) === x.measured && c[9] === x.source;
    }), `${x.model} ${x.test} ${x.measured} is a row of bench/data`);
  }
  // The totals are the figures the speed card shows.
  const totals = terms.filter((r) => r[1].startsWith('total')).map((r) => r[5].split('→ ')[1]);
  const card = await page.textContent('#speed-focus');
  assert.equal(totals.length, 2);
  assert.ok(card.includes(totals[0].replace(' t/s', '')), `the card shows decode ${totals[0]}`);
  assert.deepEqual(page.problems, []);
  await context.close();
});

// The page's wasm leaves the 1,500 measured rows out; the core fetches measured.json when the
// evidence first opens, and says so when it cannot.
test('the measured rows load when the evidence opens, and their absence is named', async () => {
  const bare = fs.mkdtempSync(path.join(os.tmpdir(), 'haloplan-site-'));
  fs.cpSync(siteDir, bare, { recursive: true });
  fs.rmSync(path.join(bare, 'measured.json'));
  const full = await serve();
  const broken = await serve({ dir: bare });
  const context = await env.browser.newContext({ serviceWorkers: 'block' });
  try {
    const hash = '#v=1&model=qwen2.5-7b';
    const page = await openPage(context, full.url + hash, full.origin);
    const fetched = () => full.requests.filter((p) => p.endsWith('/measured.json')).length;
    assert.equal(fetched(), 0, 'not fetched before the evidence opens');
    await page.click('#speed-evidence summary');
    await page.waitForSelector('#evidence-rows tbody tr');
    await page.fill('#k-ctx', '8192');
    await page.waitForSelector('#evidence-rows tbody tr');
    assert.equal(fetched(), 1, 'fetched once');
    const formula = await page.$$eval('#evidence-terms tbody tr', (rs) => rs.map((r) => r.textContent));
    assert.deepEqual(page.problems, []);

    const page2 = await openPage(context, broken.url + hash, broken.origin);
    await page2.click('#speed-evidence summary');
    await page2.waitForSelector('#speed-evidence-body [role="alert"]');
    const alert = await page2.textContent('#speed-evidence-body [role="alert"]');
    assert.match(alert, /measured\.json/);
    assert.match(alert, /HTTP 404/);
    assert.equal(await page2.$('#evidence-rows'), null);
    // The formula does not need the rows: the same terms as with them (same context as page 1).
    await page2.fill('#k-ctx', '8192');
    await page2.waitForSelector('#speed-evidence-body [role="alert"]');
    assert.deepEqual(await page2.$$eval('#evidence-terms tbody tr', (rs) => rs.map((r) => r.textContent)), formula);
    assert.equal(broken.requests.filter((p) => p.endsWith('/measured.json')).length, 2, 'tried again on the next change');
    // Nothing else on the page broke: the answer and the tables are there.
    assert.ok((await page2.$$('#answer-table tbody tr')).length > 0);
  } finally {
    await context.close();
    await full.close();
    await broken.close();
    fs.rmSync(bare, { recursive: true, force: true });
  }
});

// On a phone the fit table is one block per row: every backend's verdict is in view with its
// header, and nothing scrolls sideways; on a desktop it stays a table.
test('the fit table shows every verdict at phone width, each labelled with its backend', async () => {
  for (const [width, height] of [[390, 844], [1280, 900]]) {
    const context = await env.browser.newContext({ viewport: { width, height } });
    const page = await openPage(context, env.server.url, env.server.origin);
    await page.evaluate(() => document.getElementById('fit-table').scrollIntoView());
    const seen = await page.evaluate(() => {
      const wrap = document.getElementById('fit-table');
      const table = wrap.querySelector('table');
      const headers = [...table.tHead.rows[0].cells].map((th) => th.textContent.replace(/[↕↑↓]/g, '').trim());
      const rows = [...table.tBodies[0].rows].slice(0, 8).map((tr) => [...tr.querySelectorAll('.v')].map((v) => {
        const b = v.getBoundingClientRect();
        return { left: b.left, right: b.right, label: v.parentElement.dataset.label };
      }));
      return { headers, rows, sideways: wrap.scrollWidth - wrap.clientWidth, page: document.documentElement.scrollWidth - window.innerWidth,
        headDisplay: getComputedStyle(table.tHead).display };
    });
    const backends = seen.headers.slice(-seen.rows[0].length);
    assert.ok(backends.length >= 3);
    for (const r of seen.rows) {
      assert.deepEqual(r.map((v) => v.label), backends, 'each verdict carries its backend');
      if (width < 640) for (const v of r) assert.ok(v.left >= 0 && v.right <= width, `verdict at ${v.left}–${v.right} is in a ${width} px view`);
    }
    if (width < 640) {
      assert.ok(seen.sideways <= 0, 'the fit table does not scroll sideways on a phone');
      assert.ok(seen.page <= 0, 'the page does not scroll sideways');
    } else {
      assert.equal(seen.headDisplay, 'table-header-group');
    }
    assert.deepEqual(page.problems, []);
    await context.close();
  }
});

// The first screen answers: at 1280x900 and 390x844 the focused verdict and the ranked choices
// are in the first viewport, their verdicts readable without scrolling sideways, and the list is
// the one the CLI's `haloplan best` prints for the same link.
test('the first screen shows the focused verdict and the ranked choices on desktop and phone', async () => {
  for (const [width, height] of [[1280, 900], [390, 844]]) {
    for (const colorScheme of ['light', 'dark']) {
      const context = await env.browser.newContext({ viewport: { width, height }, colorScheme });
      const page = await openPage(context, env.server.url, env.server.origin);
      const boxes = await page.evaluate(() => {
        const box = (el) => { const r = el.getBoundingClientRect(); return { top: r.top, bottom: r.bottom, left: r.left, right: r.right }; };
        const rows = [...document.querySelectorAll('#answer-table tbody tr')];
        return {
          line: box(document.getElementById('answer-line')),
          verdict: box(document.querySelector('#answer-line .v')),
          first: box(rows[0]),
          firstVerdict: box(rows[0].querySelector('td.verdict .v')),
          third: box(rows[2]),
          scrollWidth: document.documentElement.scrollWidth,
        };
      });
      const where = `${width}x${height} ${colorScheme}`;
      for (const k of ['line', 'verdict', 'first', 'firstVerdict', 'third']) {
        assert.ok(boxes[k].top >= 0 && boxes[k].bottom <= height, `${where}: ${k} is inside the first viewport (${JSON.stringify(boxes[k])})`);
        assert.ok(boxes[k].left >= 0 && boxes[k].right <= width, `${where}: ${k} needs no sideways scroll`);
      }
      assert.ok(boxes.scrollWidth <= width, `${where}: the page does not scroll sideways`);
      assert.match(await page.textContent('#answer-line'), /^fits the carve-out gpt-oss-120b MXFP4_MOE fits the 64 GiB carve-out/);
      assert.deepEqual(page.problems, []);
      await context.close();
    }
  }
  const context = await env.browser.newContext();
  const page = await openPage(context, env.server.url, env.server.origin);
  const best = JSON.parse(execFileSync(cli, ['best', '--link', page.url(), '--format', 'json'], { encoding: 'utf8' }));
  const shown = await page.$$eval('#answer-table tbody tr', (rows) => rows.map((r) => [r.querySelector('td.model button').textContent, r.querySelector('td.model .quant').textContent]));
  assert.deepEqual(shown, best.best.map((b) => [b.name, b.quant_label]));
  await context.close();
});

// A change the answer offers is one click, and the parts agree on what it did.
test('a fix applies with one click; flash attention off with a q8_0 V cache is refused everywhere', async () => {
  const context = await env.browser.newContext();
  // Llama-3.3-70B Q8_0 at 128K tokens needs more than the carve-out plus the default GTT limit.
  const page = await openPage(context, `${env.server.url}#v=1&model=llama-3.3-70b&quant=Q8_0&ctx=131072&quants=Q8_0`, env.server.origin);
  assert.match(await page.textContent('#answer-line'), /does not fit on llama\.cpp, Vulkan \(RADV\) as set up/);
  const fix = await page.$eval('#answer-fixes button.fix', (b) => b.textContent);
  const gib = Number(/Raise the GTT limit to (\d+) GiB/.exec(fix)[1]);
  assert.match(fix, new RegExp(`ttm\\.pages_limit=${gib * 262144}`));
  await page.click('#answer-fixes button.fix');
  await until(page, () => /fits/.test(document.getElementById('answer-line').textContent) && !/does not fit/.test(document.getElementById('answer-line').textContent));
  assert.equal(await page.inputValue('#k-gtt'), String(gib));
  assert.match(new URL(page.url()).hash, new RegExp(`gtt=${gib}`));
  const fitRow = await page.$$eval('#fit-table tbody tr', (rows) => rows.map((r) => r.textContent).find((t) => t.includes('llama-3.3-70b') && t.includes('Q8_0')));
  assert.match(fitRow, /GTT \(\+/);
  assert.match(await page.textContent('#kernel-cmdline'), new RegExp(`ttm\\.pages_limit=${gib * 262144}`));

  // One rule for a refusal: the fit table, the per-backend verdicts, the picture and the answer
  // say "refused", and no command is printed.
  await page.goto('about:blank');
  const refused = await openPage(context, `${env.server.url}#v=1&model=llama-3.1-8b&quant=Q4_K_M&fa=0&vtype=q8_0`, env.server.origin);
  assert.match(await refused.textContent('#answer-line'), /llama\.cpp would refuse these settings/);
  assert.match(await refused.textContent('#fit-table tbody'), /refused/);
  assert.ok(!(await refused.isVisible('#server-command')));
  assert.match(await refused.textContent('#focus'), /No command: llama\.cpp would refuse/);
  assert.doesNotMatch(await refused.textContent('#layout-svg'), /fits only with GTT|fits the carve-out/);
  await refused.click('#answer-fixes button.fix');
  await until(refused, () => /fits the carve-out/.test(document.getElementById('answer-line').textContent));
  assert.equal(await refused.isChecked('#k-fa'), true);
  assert.deepEqual(refused.problems, []);
  await context.close();
});

// Values no BIOS or kernel can have are named, with what is used instead.
test('impossible knob values from a link get a notice naming them', async () => {
  const context = await env.browser.newContext();
  const page = await openPage(context, `${env.server.url}#v=1&carve=48&gtt=200&model=llama-3.1-8b&ctx=1000000`, env.server.origin);
  const notices = await page.textContent('#notices');
  assert.match(notices, /a carve-out of 48 GiB is not one of the BIOS options .*; 32 GiB is used/);
  assert.match(notices, /a GTT limit of 200 GiB is more than the 96 GiB the OS sees .*; 96 GiB is used/);
  assert.match(notices, /a context of 1000000 tokens is more than Llama-3\.1-8B was trained for \(131072\); 131072 is used/);
  assert.equal(await page.inputValue('#k-ctx'), '131072');
  await context.close();
});

// From a shared link the sections below are not laid out yet; the section bar still lands on
// the section asked for, first time.
test('the section bar lands on its section from a shared link, first click', async () => {
  const context = await env.browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await openPage(context, `${env.server.url}#v=1&ctx=8192&model=qwen3-30b-a3b&quant=Q4_K_M`, env.server.origin);
  for (const id of ['setup', 'guide', 'speed', 'catalog', 'answer']) {
    await page.click(`nav.sections a[data-scroll="${id}"]`);
    await until(page, (x) => {
      const t = document.getElementById(x).getBoundingClientRect().top;
      const m = parseFloat(getComputedStyle(document.getElementById(x)).scrollMarginTop);
      return Math.abs(t - m) < 3;
    }, id, 3000);
    await page.waitForTimeout(300);  // and it stays there once the parts around it are drawn
    const top = await page.evaluate((x) => document.getElementById(x).getBoundingClientRect().top, id);
    assert.ok(Math.abs(top - 48) < 3, `${id}: its heading is at the top (${top})`);
  }
  await context.close();
});

// An embed has no catalog to save, so storage it cannot reach (a cross-origin frame) says nothing.
test('an embed stays quiet about storage it never needs; the page says it cannot save', async () => {
  const context = await env.browser.newContext();
  await context.addInitScript(() => {
    Object.defineProperty(window, 'localStorage', { get() { throw new DOMException('storage blocked', 'SecurityError'); } });
  });
  const embed = await openPage(context, `${env.server.url}?embed=fit#v=1`, env.server.origin);
  assert.equal((await embed.textContent('#notices')).trim(), '');
  assert.ok(await embed.isVisible('#fit-table table'));
  const full = await openPage(context, env.server.url, env.server.origin);
  assert.match(await full.textContent('#notices'), /Your catalog cannot be saved: browser storage is unavailable \(SecurityError\)/);
  await context.close();
});

// The map: one point per fit-table row, real text at its drawn size on a phone, points reached by
// keyboard (one tab stop, arrows move) and by touch; picking one focuses its model.
test('the map shows every row, reads at phone width, and its points focus a model by key or tap', async () => {
  const context = await env.browser.newContext({ viewport: { width: 390, height: 844 }, hasTouch: true });
  const page = await openPage(context, `${env.server.url}#v=1&at=map`, env.server.origin);
  // Every row of a chat model: an embedder or reranker (a role in data/models.json) is served
  // beside one and does not decode, so it is not mapped.
  const roles = new Set(JSON.parse(fs.readFileSync(path.join(root, 'data/models.json'), 'utf8')).models.filter((m) => m.role).map((m) => m.id));
  const rows = (await fitTableText(page)).rows.filter((r) => !roles.has(r[0])).length;
  assert.ok(roles.size > 0);
  assert.equal(await page.$$eval('#map-svg g.pt', (g) => g.length), rows);
  const sizes = await page.$$eval('#map-svg svg text', (ts) => ts.map((t) => t.getBoundingClientRect().height));
  assert.ok(sizes.length > 10 && Math.min(...sizes) >= 10, `map text is drawn at a readable size (${Math.min(...sizes)} px)`);
  assert.equal(await page.$$eval('#map-svg g.pt[tabindex="0"]', (g) => g.length), 1);
  assert.match(await page.getAttribute('#map-svg g.pt[tabindex="0"]', 'aria-label'), /^gpt-oss-120b MXFP4_MOE: .* fits the carve-out/);
  await page.focus('#map-svg g.pt[tabindex="0"]');
  await page.keyboard.press('ArrowLeft');
  const label = await page.evaluate(() => document.activeElement.getAttribute('aria-label'));
  const model = await page.evaluate(() => document.activeElement.getAttribute('data-model'));
  assert.notEqual(model, 'gpt-oss-120b');
  await page.keyboard.press('Enter');
  await until(page, (m) => document.getElementById('k-model').value === m, model);
  assert.ok((await page.textContent('#answer-line')).includes(label.split(':')[0]), 'the answer is for the point picked');
  // A tap on another point focuses it too.
  // (a point with no neighbour within a finger's width: dense points overlap, and the browser
  // moves a touch to the nearest target it judges best)
  const spot = await page.evaluate(() => {
    const all = [...document.querySelectorAll('#map-svg g.pt')];
    for (const g of all) {
      if (g.classList.contains('focused')) continue;
      g.scrollIntoView({ block: 'center' });
      const at = (h) => { const r = h.querySelector('.hit').getBoundingClientRect(); return [r.left + r.width / 2, r.top + r.height / 2]; };
      const [x, y] = at(g);
      if (all.some((o) => o !== g && Math.hypot(at(o)[0] - x, at(o)[1] - y) < 32)) continue;
      if (document.elementFromPoint(x, y).closest('g.pt') === g) return { x, y, model: g.getAttribute('data-model') };
    }
    return null;
  });
  const m2 = spot.model;
  await page.touchscreen.tap(spot.x, spot.y);
  await until(page, (m) => document.getElementById('k-model').value === m, m2);
  assert.deepEqual(page.problems, []);
  await context.close();
});

// The decode-vs-context chart marks where the model stops fitting, at the context the answer
// names as the longest that fits.
test('the speed chart marks its capacity cliff where the answer says the context stops fitting', async () => {
  const context = await env.browser.newContext();
  const page = await openPage(context, `${env.server.url}#v=1&model=llama-3.3-70b&quant=Q8_0&ctx=131072&at=speed`, env.server.origin);
  const fix = await page.$$eval('#answer-fixes button.fix', (bs) => bs.map((b) => b.textContent).find((t) => /Shorten the context/.test(t)));
  const tokens = Number(/Shorten the context to (\d+) tokens/.exec(fix)[1]);
  const desc = await page.textContent('#speed-desc');
  assert.match(desc, new RegExp(`Over ${tokens} tokens it does not fit`));
  assert.match(await page.textContent('#speed-chart svg'), /does not fit/);
  await context.close();
});

// Keyboard only: Tab walks from the top through the answer's knobs and choices, the map (one
// stop) and on to the knobs; Enter on a choice focuses its model.
test('a keyboard-only walk reaches the answer, its choices, the map and the knobs', async () => {
  const context = await env.browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await openPage(context, env.server.url, env.server.origin);
  const seen = [];
  for (let i = 0; i < 80; i++) {
    await page.keyboard.press('Tab');
    const what = await page.evaluate(() => {
      const a = document.activeElement;
      if (a.id) return `#${a.id}`;
      if (a.matches('#answer-table button.pick')) return 'pick';
      if (a.matches('#map-svg g.pt')) return 'map-point';
      return a.tagName.toLowerCase();
    });
    seen.push(what);
    if (what === '#k-carve') break;
  }
  const at = (x) => seen.indexOf(x);
  for (const x of ['#k-model', '#k-quant', '#k-machine', '#k-backend', '#k-ctx', 'pick', 'map-point', '#k-carve'])
    assert.ok(at(x) >= 0, `Tab reaches ${x} (${seen.join(' ')})`);
  assert.ok(at('#k-model') < at('pick') && at('pick') < at('map-point') && at('map-point') < at('#k-carve'), seen.join(' '));
  assert.equal(seen.filter((x) => x === 'map-point').length, 1, 'the map is one tab stop');
  // Back to the first choice, and Enter focuses it.
  await page.focus('#answer-table button.pick');
  const name = await page.evaluate(() => document.activeElement.textContent);
  await page.keyboard.press('Enter');
  await until(page, (n) => document.getElementById('answer-line').textContent.includes(n), name);
  await context.close();
});

// A and B: one click makes B the GTT-first setup; the link carries it and reopens it.
test('compare two setups: B is one click, travels in the link and the rows that differ are marked', async () => {
  const context = await env.browser.newContext();
  const page = await openPage(context, `${env.server.url}#v=1&model=llama-3.3-70b&quant=Q8_0&ctx=131072&quants=Q8_0`, env.server.origin);
  await page.click('#compare summary');
  await page.click('#cmp-gtt-first');
  await until(page, () => document.querySelector('#cmp-table table') !== null);
  // The setups table, then the best choices under each, rank by rank.
  const tableRows = (p, k) => p.evaluate((k) => [...document.querySelectorAll('#cmp-table table')[k].tBodies[0].rows]
    .map((tr) => ({ cells: [...tr.cells].map((c) => c.textContent), marked: tr.classList.contains('differs') })), k);
  const rows = (await tableRows(page, 0)).map((r) => r.cells);
  const row = (name) => rows.find((r) => r[0] === name);
  assert.deepEqual(row('verdict').slice(1), ['does not fit', 'fits only with GTT']);
  assert.equal(row('BIOS carve-out GiB')[2], '0.5');
  assert.match(row('kernel parameter')[2], /^ttm\.pages_limit=\d+$/);
  assert.ok((await tableRows(page, 0)).filter((r) => r.marked).length >= 4);
  const link = new URL(page.url()).hash;
  assert.match(link, /cmp=carve:0\.5;gtt:\d+/);
  const again = await openPage(context, `${env.server.url}${link}`, env.server.origin);
  assert.deepEqual((await tableRows(again, 0)).map((r) => r.cells), rows);
  assert.equal(await again.evaluate(() => document.getElementById('compare').open), true);
  // B on the 64 GB box ranks its own best choices: what the CLI's best command ranks there, and
  // the models A does not list are marked.
  const small = await openPage(context, `${env.server.url}#v=1&model=llama-3.3-70b&quant=Q8_0&ctx=131072&quants=Q8_0&cmp=machine:framework-desktop-64`, env.server.origin);
  await until(small, () => document.querySelectorAll('#cmp-table table').length === 2);
  const best = await tableRows(small, 1);
  const ranked = (machine) => JSON.parse(execFileSync(cli, ['best', '--machine', machine, '--model', 'llama-3.3-70b', '--quant', 'Q8_0', '--ctx', '131072', '--format', 'json'], { encoding: 'utf8' })).best.slice(0, best.length);
  const [rankA, rankB] = [ranked('framework-desktop-128'), ranked('framework-desktop-64')];
  assert.ok(best.length > 0);
  rankB.forEach((ch, i) => assert.ok(best[i].cells[3].startsWith(`${ch.name} ${ch.quant_label} — `), `${best[i].cells[3]} vs ${ch.name}`));
  rankA.forEach((ch, i) => assert.ok(best[i].cells[1].startsWith(`${ch.name} ${ch.quant_label} — `), `${best[i].cells[1]} vs ${ch.name}`));
  rankB.forEach((ch, i) => assert.equal(best[i].marked, !rankA.some((a) => a.model === ch.model), best[i].cells.join(' | ')));
  assert.ok(best.some((r) => r.marked));
  // A tampered B is refused with its reason and the rest of the link is kept.
  const bad = await openPage(context, `${env.server.url}#v=1&ctx=8192&cmp=model:phi-4`, env.server.origin);
  assert.match(await bad.textContent('#notices'), /compared setup: 'model' is not a field a compared setup can change/);
  assert.equal(await bad.inputValue('#k-ctx'), '8192');
  await context.close();
});

test('several models at once: the set from the link, the CLI\'s verdict, a change one click away', async () => {
  const context = await env.browser.newContext();
  const frag = '#v=1&model=qwen3-coder-30b-a3b&quant=Q8_0&ctx=65536&set=qwen3-embedding-0.6b@Q8_0@8192,glm-4.5-air@Q4_K_M@65536';
  const page = await openPage(context, `${env.server.url}${frag}`, env.server.origin);
  await until(page, () => document.querySelector('#res-table table') !== null);
  assert.equal(await page.evaluate(() => document.getElementById('resident').open), true);
  // The set as the CLI plans it: each --model followed by its own quant and context.
  const cliSet = (extra) => JSON.parse(execFileSync(cli, ['plan', ...extra, '--model', 'qwen3-coder-30b-a3b', '--quant', 'Q8_0', '--ctx', '65536',
    '--model', 'qwen3-embedding-0.6b', '--quant', 'Q8_0', '--ctx', '8192', '--model', 'glm-4.5-air', '--quant', 'Q4_K_M', '--ctx', '65536', '--format', 'json'], { encoding: 'utf8' }));
  const together = () => page.evaluate(() => [...document.querySelector('#res-table table').tBodies[0].rows].at(-1).cells[7].textContent);
  assert.equal(await together(), cliSet([]).verdict_label);
  assert.equal(await page.$$eval('#res-members .res-member', (xs) => xs.length), 2);
  // Its launch lines: one server per model, each on its own port.
  assert.deepEqual((await page.textContent('#res-launch')).match(/--port \d+/g), ['--port 8080', '--port 8081', '--port 8082']);
  // The first change offered is GTT-first; applying it gives the CLI's verdict for that setup.
  await page.click('#res-table .fixes button');
  await until(page, () => /carve=0\.5/.test(location.hash));
  await until(page, () => [...document.querySelector('#res-table table').tBodies[0].rows].at(-1).cells[7].textContent === 'fits only with GTT');
  const hash = new URL(page.url()).hash;
  const gtt = hash.match(/gtt=([0-9.]+)/)[1];
  assert.equal(await together(), cliSet(['--carve-out', '0.5', '--gtt', gtt]).verdict_label);
  // A model the catalog lacks is refused by name, the rest of the set kept.
  const bad = await openPage(context, `${env.server.url}#v=1&set=nope@Q8_0@8192,qwen3-embedding-0.6b@Q8_0@8192`, env.server.origin);
  assert.match(await bad.textContent('#notices'), /the resident set's model 'nope' is not in the catalog/);
  assert.equal(await bad.$$eval('#res-members .res-member', (xs) => xs.length), 1);
  assert.deepEqual(page.problems, []);
  await context.close();
});

test('several boxes: the cluster from the link gives the CLI\'s nodes and speed; a bad link kind is refused by name', async () => {
  const context = await env.browser.newContext();
  const frag = '#v=1&model=minimax-m2&quant=Q6_K&carve=0.5&gtt=120&backend=llamacpp-vulkan&nodes=2&link=50gbe';
  const page = await openPage(context, `${env.server.url}${frag}`, env.server.origin);
  await until(page, () => document.querySelector('#cl-table table') !== null);
  assert.equal(await page.evaluate(() => document.getElementById('cluster').open), true);
  const want = JSON.parse(execFileSync(cli, ['cluster', '--model', 'minimax-m2', '--quant', 'Q6_K', '--carve-out', '0.5', '--gtt', '120',
    '--backend', 'llamacpp-vulkan', '--nodes', '2', '--link', '50gbe', '--format', 'json'], { encoding: 'utf8' }));
  const rows = await page.$$eval('#cl-table table tbody tr', (trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent)));
  assert.deepEqual(rows.map((r) => parseInt(r[2], 10)), want.nodes.map((n) => n.layers));
  assert.match(await page.textContent('#cl-table'), new RegExp(`Decode ${want.decode_tps.toFixed(1)} t/s`));
  assert.equal(await page.textContent('#cl-commands'), want.commands.join('\n'));
  // Back to one box from the picker: the part empties and the link drops nodes.
  await page.selectOption('#cl-nodes', '0');
  await until(page, () => !/nodes=/.test(location.hash) && document.querySelector('#cl-table table') === null);
  // A model one box cannot hold offers the fewest boxes that can, as a click.
  const one = await openPage(context, `${env.server.url}#v=1&model=minimax-m2&quant=Q6_K&carve=0.5&gtt=120&backend=llamacpp-vulkan&link=50gbe`, env.server.origin);
  await until(one, () => [...document.querySelectorAll('#answer-fixes button.fix')].some((b) => /on 2 boxes/.test(b.textContent)));
  await one.evaluate(() => [...document.querySelectorAll('#answer-fixes button.fix')].find((b) => /on 2 boxes/.test(b.textContent)).click());
  await until(one, () => /nodes=2/.test(location.hash) && document.querySelector('#cl-table table') !== null);
  assert.equal(await one.textContent('#cl-commands'), want.commands.join('\n'));
  const bad = await openPage(context, `${env.server.url}#v=1&nodes=2&link=carrier-pigeon`, env.server.origin);
  assert.match(await bad.textContent('#notices'), /link 'carrier-pigeon' is not a link kind/);
  assert.deepEqual(page.problems, []);
  await context.close();
});

test('a discrete GPU: the --n-cpu-moe knob, in the link, gives the CLI\'s answer; an APU has no such knob', async () => {
  const context = await env.browser.newContext();
  const page = await openPage(context, `${env.server.url}#v=1&machine=desktop-rtx-4090&backend=llamacpp-cuda&model=gpt-oss-120b&quant=MXFP4_MOE`, env.server.origin);
  assert.ok(await page.isVisible('#k-ncmoe'));
  await page.fill('#k-ncmoe', '36');
  await page.press('#k-ncmoe', 'Enter');
  await until(page, () => /ncmoe=36/.test(location.hash));
  const cliLine = JSON.parse(execFileSync(cli, ['best', '--machine', 'desktop-rtx-4090', '--backend', 'llamacpp-cuda', '--model', 'gpt-oss-120b',
    '--quant', 'MXFP4_MOE', '--n-cpu-moe', '36', '--format', 'json'], { encoding: 'utf8' })).focus.line;
  await until(page, (l) => document.getElementById('answer-line').textContent.endsWith(l), cliLine);
  assert.match(cliLine, /spills to system RAM/);
  const apu = await openPage(context, env.server.url, env.server.origin);
  assert.equal(await apu.isVisible('#k-ncmoe'), false);
  assert.deepEqual(page.problems, []);
  await context.close();
});

// The map leaves the page as a picture for a forum post: an SVG that carries its own colours and
// a PNG, with nothing the page's policy refuses.
test('the map saves as SVG and PNG', async () => {
  const context = await env.browser.newContext({ acceptDownloads: true });
  const page = await openPage(context, `${env.server.url}#v=1&at=map`, env.server.origin);
  const save = async (kind) => {
    const [dl] = await Promise.all([page.waitForEvent('download'), page.click(`#map .exports button[data-export="${kind}"]`)]);
    return { name: dl.suggestedFilename(), body: fs.readFileSync(await dl.path()) };
  };
  const svg = await save('svg');
  assert.equal(svg.name, 'haloplan-map.svg');
  const text = svg.body.toString('utf8');
  assert.match(text, /^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  assert.match(text, /carve-out \+ GTT 96/);
  assert.match(text, /fill="rgb\(/);  // colours written in, no stylesheet needed
  assert.doesNotMatch(text, /class="/);
  const png = await save('png');
  assert.equal(png.name, 'haloplan-map.png');
  assert.equal(png.body.subarray(0, 8).toString('hex'), '89504e470d0a1a0a');
  assert.deepEqual(page.problems, []);
  await context.close();
});

// On a phone the memory picture and the speed chart are drawn at their width, so their text is
// readable, and the sizes a mouse would hover for are written in the legend.
test('the memory picture and the speed chart read at phone width; the legend gives the sizes', async () => {
  const context = await env.browser.newContext({ viewport: { width: 390, height: 844 }, hasTouch: true });
  const page = await openPage(context, `${env.server.url}#v=1&at=layout`, env.server.origin);
  for (const sel of ['#layout-svg svg text', '#speed-chart svg text']) {
    await page.$eval(sel, (t) => t.scrollIntoView());
    const sizes = await page.$$eval(sel, (ts) => ts.map((t) => t.getBoundingClientRect().height));
    assert.ok(sizes.length > 3 && Math.min(...sizes) >= 10, `${sel}: text drawn at ${Math.min(...sizes)} px`);
    const right = await page.$$eval(sel, (ts) => Math.max(...ts.map((t) => t.getBoundingClientRect().right)));
    assert.ok(right <= 390, `${sel}: no text past the screen's edge (${right})`);
  }
  // Each part's size is written in the legend (a touch screen cannot hover a block for it).
  assert.match(await page.textContent('#layout-legend'), /weights \d+\.\d\d GiB/);
  assert.match(await page.textContent('#layout-legend'), /KV cache \d+\.\d\d GiB/);
  // A table wider than the phone scrolls, and its title wraps inside the screen.
  await page.$eval('#speed-table caption', (c) => c.scrollIntoView());
  const cap = await page.$eval('#speed-table caption', (c) => [c.getBoundingClientRect().right, c.parentElement.getBoundingClientRect().width]);
  assert.ok(cap[1] > 390, `the speed table is wider than the phone (${cap[1]} px)`);
  assert.ok(cap[0] <= 390, `the speed table's title ends inside the screen (${cap[0]})`);
  assert.deepEqual(page.problems, []);
  await context.close();
});

test('the core runs in a Web Worker from one download of the wasm, and on the page\'s thread where workers cannot start', async () => {
  const own = await serve();
  // No service worker here: its precache would fetch every file a second time.
  const context = await env.browser.newContext({ viewport: { width: 1280, height: 900 }, serviceWorkers: 'block' });
  const noWorkers = await env.browser.newContext({ viewport: { width: 1280, height: 900 } });
  try {
    const page = await openPage(context, own.url, own.origin);
    const answer = await page.$eval('#answer-table', (e) => e.textContent);
    const count = (name) => own.requests.filter((p) => p.endsWith(`/${name}`)).length;
    assert.equal(count('core-worker.js'), 1, 'the worker module is fetched');
    assert.equal(count('haloplan.wasm'), 1, 'the wasm is downloaded once: the page compiles it and hands it to the worker');
    // The page's own module carries no wasm glue: the core lives in the worker's module.
    const appJs = fs.readFileSync(path.join(siteDir, 'app.js'), 'utf8');
    assert.doesNotMatch(appJs, /instantiateWasm|_emscripten_/);
    assert.match(fs.readFileSync(path.join(siteDir, 'core-worker.js'), 'utf8'), /instantiateWasm/);
    // A browser without module workers: the same core on the page's thread, the same answer.
    await noWorkers.addInitScript(() => { delete window.Worker; });
    const inline = await openPage(noWorkers, own.url, own.origin);
    assert.equal(await inline.$eval('#answer-table', (e) => e.textContent), answer);
    await inline.fill('#k-ctx', '8192');
    await page.fill('#k-ctx', '8192');
    assert.deepEqual(await fitTableText(inline), await fitTableText(page));
    assert.deepEqual([...page.problems, ...inline.problems], []);
  } finally {
    await noWorkers.close();
    await context.close();
    await own.close();
  }
});
