// Hostile input in the page: markup and script payloads in model names, notes and link values
// are shown as literal text; no Content-Security-Policy violation happens while using the page.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openPage, fitTableText, until, siteAndBrowser } from './harness.mjs';

const env = siteAndBrowser();
const PAYLOADS = ['<script>window.__pwned=1</script>', '<img src=x onerror="window.__pwned=2">', 'javascript:window.__pwned=3'];

test('script, onerror and javascript: payloads stay literal text', async () => {
  const context = await env.browser.newContext();
  await context.addInitScript(() => {
    window.__violations = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  const page = await openPage(context, env.server.url, env.server.origin);
  let dialogs = 0;
  page.on('dialog', (d) => { dialogs++; d.dismiss(); });
  // A custom model whose name and notes carry the payloads, travelling in the link.
  const state = await page.evaluate(() => JSON.parse(localStorage.getItem('haloplan.catalog') || 'null'));
  assert.equal(state, null);
  await page.selectOption('#cat-pick', 'llama-3.2-1b');
  await page.click('#cat-dup');
  await page.fill('#cat-f-name', PAYLOADS[0] + PAYLOADS[1]);
  await page.fill('#cat-f-notes', PAYLOADS[2]);
  await page.fill('#cat-f-id', 'evil');
  await page.click('#cat-save');
  await until(page, () => /Saved/.test(document.getElementById('cat-status').textContent));
  await page.click('#fit-table tbody tr:has(button:text-is("evil")) button.pick');
  assert.equal(await page.textContent('#focus h3'), `Breakdown — ${PAYLOADS[0]}${PAYLOADS[1]} Q4_K_M`);
  assert.match(await page.textContent('#focus'), /Notes: javascript:window.__pwned=3/);
  assert.equal(await page.$$eval('#focus img, #focus script, main script', (n) => n.length), 0);
  // The same through a link opened elsewhere, plus payloads in plain link values.
  const link = page.url() + `&filter=${encodeURIComponent(PAYLOADS[1])}&zz${encodeURIComponent(PAYLOADS[0])}=1`;
  const other = await env.browser.newContext();
  await other.addInitScript(() => {
    window.__violations = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  const page2 = await openPage(other, link, env.server.origin);
  page2.on('dialog', (d) => { dialogs++; d.dismiss(); });
  assert.equal(await page2.inputValue('#fit-filter'), PAYLOADS[1]);
  assert.match(await page2.textContent('#notices'), /unknown link part 'zz<script>window.__pwned=1<\/script>' was ignored/);
  await page2.fill('#fit-filter', '');
  const fit = await fitTableText(page2);
  assert.ok(fit.rows.some((r) => r[0] === 'evil'));
  for (const p of [page, page2]) {
    assert.equal(await p.evaluate(() => window.__pwned), undefined);
    assert.deepEqual(await p.evaluate(() => window.__violations), []);
    assert.deepEqual(p.problems, []);
  }
  assert.equal(dialogs, 0);
  await other.close();
  await context.close();
});

test('using every section raises no CSP violation', async () => {
  const context = await env.browser.newContext({ permissions: ['clipboard-read', 'clipboard-write'] });
  await context.addInitScript(() => {
    window.__violations = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  const page = await openPage(context, env.server.url, env.server.origin);
  await page.selectOption('#k-machine', 'framework-desktop-64');
  await page.fill('#k-gtt', '48');
  await page.check('#k-quants input[value="Q8_0"]');
  await page.click('#fit-table th button:text-is("total GiB")');
  await page.click('#fit-table tbody tr:nth-child(3) button.pick');
  await page.click('#fit-table button.export[data-format="markdown"]');
  await page.click('#copy-link');
  await page.click('#theme');
  await page.click('nav a[data-scroll="guide"]');
  await page.click('#hf-box summary');
  await page.click('#cat-add');
  await page.click('#cat-revert');
  assert.deepEqual(await page.evaluate(() => window.__violations), []);
  assert.deepEqual(page.problems, []);
  await context.close();
});
