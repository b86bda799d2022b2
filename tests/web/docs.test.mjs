// The page as documentation: embeds, exports, the llama-server command, the scenario download,
// deep links, and the guide's live numbers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { openPage, fitTableText, siteAndBrowser, until } from './harness.mjs';

const env = siteAndBrowser();

const visible = (page, sel) => page.isVisible(sel);

test('each embed shows only its part and follows the fragment', async () => {
  const context = await env.browser.newContext();
  const cases = [
    ['fit', '#fit-table table', '#v=1&machine=framework-desktop-64&ctx=8192', async (p) => assert.match(await p.textContent('#fit-table caption'), /64 GB/)],
    ['speed', '#speed-chart svg', '#v=1&ctx=8192&model=gpt-oss-120b&quant=MXFP4_MOE', async (p) => assert.match(await p.textContent('#speed-focus'), /gpt-oss-120b MXFP4_MOE[\s\S]*decode with 8192 tokens/)],
    ['setup', '#kernel-cmdline', '#v=1&carve=0.5&gtt=96', async (p) => assert.match(await p.textContent('#kernel-cmdline'), /ttm\.pages_limit=25165824/)],
    ['layout', '#layout-svg svg', '#v=1&model=glm-4.5-air&quant=Q4_K_M', async (p) => assert.match(await p.textContent('#layout-svg desc'), /^GLM-4\.5-Air Q4_K_M: /)],
  ];
  for (const [embed, part, fragment, check] of cases) {
    const page = await openPage(context, `${env.server.url}?embed=${embed}${fragment}`, env.server.origin);
    assert.ok(await visible(page, part), `${embed}: ${part} is shown`);
    for (const chrome of ['header.top', 'nav.sections', 'footer.foot', '#knobs', '#catalog', '#guide'])
      assert.ok(!(await visible(page, chrome)), `${embed}: ${chrome} is hidden`);
    const shownSections = await page.$$eval('main > section', (ss) => ss.filter((s) => s.offsetParent !== null).map((s) => s.id));
    assert.deepEqual(shownSections, [embed]);
    await check(page);
    assert.equal(await page.getAttribute('#embed-open', 'href'), `./#${new URL(page.url()).hash.slice(1)}`);
    // Still driven by the fragment: a new fragment changes the embedded part.
    if (embed === 'fit') {
      await page.evaluate(() => { location.hash = '#v=1&machine=framework-desktop-128&ctx=8192'; });
      for (let i = 0; i < 100 && /64 GB/.test(await page.textContent('#fit-table caption')); i++) await page.waitForTimeout(20);
      assert.match(await page.textContent('#fit-table caption'), /128 GB/);
    }
    assert.deepEqual(page.problems, []);
    await page.close();
  }
  await context.close();
});

function parseMarkdown(md) {
  const lines = md.split('\n').filter((l) => l.startsWith('|'));
  const cells = (l) => l.slice(1, -1).split(/(?<!\\)\|/).map((c) => c.trim().replace(/\\\|/g, '|'));
  return { title: (md.match(/^### (.*)$/m) || [])[1], headers: cells(lines[0]), rows: lines.slice(2).map(cells) };
}

function parseCsv(text) {
  const rows = [];
  let row = [], cell = '', quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { cell += '"'; i++; } else if (c === '"') quoted = false; else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { row.push(cell); cell = ''; } else if (c === '\n') { row.push(cell); rows.push(row); row = []; cell = ''; } else cell += c;
  }
  return rows;
}

// A download's content (text, or 'binary' for a byte string).
async function downloaded(page, button, encoding = 'utf8') {
  const [d] = await Promise.all([page.waitForEvent('download'), button.click()]);
  return fs.readFileSync(await d.path(), encoding);
}

// An SVG table as the core draws it -> {error, title, headers, rows, notes} (in the page).
function readSvgTable(text) {
  const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
  if (doc.querySelector('parsererror')) return { error: doc.querySelector('parsererror').textContent };
  const lines = (g) => [...g.querySelectorAll('text')].map((t) => t.textContent).join(' ');
  const cells = (g) => [...g.querySelectorAll('text')].map((t) => t.textContent.trim());  // as shown: indents kept in the picture
  return {
    error: null,
    title: [...doc.querySelectorAll('g.title')].map(lines).join(' '),
    headers: cells(doc.querySelector('g.head')),
    rows: [...doc.querySelectorAll('g.row')].map(cells),
    notes: [...doc.querySelectorAll('g.note')].map(lines),
  };
}

test('every export matches the table on screen', async () => {
  const context = await env.browser.newContext({ permissions: ['clipboard-read', 'clipboard-write'] });
  const page = await openPage(context, `${env.server.url}#v=1&filter=qwen3&sort=total%20GiB&desc=1&quants=Q4_K_M,Q8_0`, env.server.origin);
  const tables = await page.$$('table');
  assert.ok(tables.length >= 7);
  const pictures = [];
  for (const wrap of await page.$$('.table-wrap:has(> .exports)')) {
    const shown = await wrap.$eval('table', (t) => ({
      title: t.querySelector('caption').textContent,
      headers: [...t.querySelectorAll('thead th')].map((th) => th.textContent.trim()),
      rows: [...t.querySelectorAll('tbody tr')].map((tr) => [...tr.children].map((td) => td.textContent.trim())),
    }));
    await (await wrap.$('button.export[data-format="markdown"]')).click();
    const md = parseMarkdown(await page.evaluate(() => navigator.clipboard.readText()));
    assert.equal(md.title, shown.title);
    assert.deepEqual(md.headers, shown.headers);
    assert.deepEqual(md.rows, shown.rows, shown.title);
    await (await wrap.$('button.export[data-format="csv"]')).click();
    const csv = parseCsv(await page.evaluate(() => navigator.clipboard.readText()));
    assert.deepEqual(csv[0], shown.headers);
    assert.deepEqual(csv.slice(1).map((r) => r.map((c) => c.trim())), shown.rows, shown.title);
    // The picture holds the same title, headers and rows, and its notes are the notes shown.
    const svg = await downloaded(page, await wrap.$('button.export[data-format="svg"]'));
    const notes = await wrap.$$eval(':scope > ul.notes li', (ls) => ls.map((l) => l.textContent));
    const pic = await page.evaluate(readSvgTable, svg);
    assert.equal(pic.error, null, shown.title);
    assert.equal(pic.title, shown.title);
    assert.deepEqual(pic.headers, shown.headers, shown.title);
    assert.deepEqual(pic.rows, shown.rows, shown.title);
    assert.deepEqual(pic.notes, notes, shown.title);
    pictures.push(svg);
  }
  // Drawn, no two cells of a row overlap and every text is inside the picture (in this browser's
  // own fonts, with no stylesheet of the page's).
  const blank = await context.newPage();
  for (const svg of pictures) {
    const layout = await blank.evaluate((text) => {
      document.body.innerHTML = text;
      const root = document.querySelector('svg');
      const width = Number(root.getAttribute('width'));
      const bad = [];
      for (const g of root.querySelectorAll('g.head, g.row')) {
        const boxes = [...g.querySelectorAll('text')].map((t) => t.getBBox()).filter((b) => b.width > 0);
        for (let i = 1; i < boxes.length; i++) if (boxes[i].x < boxes[i - 1].x + boxes[i - 1].width) bad.push(`overlap in row at y=${boxes[i].y}`);
      }
      for (const t of root.querySelectorAll('text')) {
        const b = t.getBBox();
        if (b.x < 0 || b.x + b.width > width) bad.push(`"${t.textContent}" outside the picture`);
      }
      return bad;
    }, svg);
    assert.deepEqual(layout, []);
  }
  // PNG: twice the SVG's size.
  const fitWrap = await page.$('#fit-table .table-wrap');
  const fitSvg = await downloaded(page, await fitWrap.$('button.export[data-format="svg"]'));
  const png = Buffer.from(await downloaded(page, await fitWrap.$('button.export[data-format="png"]'), 'binary'), 'binary');
  assert.equal(png.subarray(1, 4).toString(), 'PNG');
  const [, w, h] = fitSvg.match(/^<svg[^>]* width="([\d.]+)" height="([\d.]+)"/);
  assert.deepEqual([png.readUInt32BE(16), png.readUInt32BE(20)], [Math.round(w * 2), Math.round(h * 2)]);
  const fit = await fitTableText(page);
  assert.ok(fit.rows.every((r) => r[0].includes('qwen3')));
  assert.deepEqual(page.problems, []);
  await context.close();
});

test('the llama-server command of a known scenario is exact', async () => {
  const context = await env.browser.newContext({ permissions: ['clipboard-read', 'clipboard-write'] });
  const page = await openPage(context, `${env.server.url}#v=1&model=qwen3-30b-a3b&quant=Q8_0&ctx=32768&slots=2&ktype=q8_0&vtype=q8_0`, env.server.origin);
  const expected = 'llama-server -m qwen3-30b-a3b-Q8_0.gguf -c 32768 -np 2 --kv-unified -ctk q8_0 -ctv q8_0 -fa on -ngl 999 --no-mmap';
  assert.equal(await page.textContent('#server-command'), expected);
  await page.click('#copy-server-command');
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), expected);
  // vLLM serves the same GGUF with the original repository's tokenizer (the catalog's config
  // source), the context, the sequences and its pre-allocated share; Ollama takes its server's
  // environment and the Vulkan opt-in.
  await page.selectOption('#k-backend', 'vllm-rocm');
  await until(page, () => document.getElementById('server-command') && document.getElementById('server-command').textContent.startsWith('vllm'));
  assert.equal(await page.textContent('#server-command'),
    'vllm serve ./qwen3-30b-a3b-Q8_0.gguf --tokenizer Qwen/Qwen3-30B-A3B-Base --max-model-len 32768 --max-num-seqs 2 --gpu-memory-utilization 0.90');
  await page.selectOption('#k-backend', 'ollama');
  await until(page, () => document.getElementById('server-command').textContent.startsWith('OLLAMA'));
  assert.equal(await page.textContent('#server-command'),
    "OLLAMA_VULKAN=1 OLLAMA_CONTEXT_LENGTH=32768 OLLAMA_FLASH_ATTENTION=1 OLLAMA_KV_CACHE_TYPE=q8_0 OLLAMA_NUM_PARALLEL=2 ollama serve &\nprintf 'FROM ./qwen3-30b-a3b-Q8_0.gguf\\n' > Modelfile\nollama create qwen3-30b-a3b -f Modelfile && ollama run qwen3-30b-a3b");
  await context.close();
});

test('the scenario downloads as JSON that reopens the same view', async () => {
  const context = await env.browser.newContext({ acceptDownloads: true });
  const page = await openPage(context, `${env.server.url}#v=1&ctx=16384&machine=framework-desktop-64&model=phi-4`, env.server.origin);
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#download-scenario')]);
  const data = JSON.parse(fs.readFileSync(await dl.path(), 'utf8'));
  assert.equal(dl.suggestedFilename(), 'haloplan-scenario.json');
  assert.equal(data.schema, 'haloplan-scenario');
  assert.equal(data.state.ctx, 16384);
  assert.equal(data.state.machine, 'framework-desktop-64');
  assert.equal(data.state.model, 'phi-4');
  const again = await openPage(context, env.server.url + data.link, env.server.origin);
  assert.deepEqual(await fitTableText(again), await fitTableText(page));
  await context.close();
});

test('deep links open a guide section; the guide shows the scenario\'s numbers', async () => {
  const context = await env.browser.newContext();
  const page = await openPage(context, `${env.server.url}#guide-gtt`, env.server.origin);
  const top = await page.$eval('#guide-gtt', (h) => h.getBoundingClientRect().top);
  assert.ok(top >= 0 && top < 120, `the section is at the top of the window (${top}px)`);
  assert.match(page.url(), /#v=1&.*&at=guide-gtt/);
  assert.equal(await page.textContent('[data-live="ceiling"]'), '96');
  assert.equal(await page.textContent('[data-live="gtt-no"]'), 'none');  // HIP reaches GTT on kernels 6.10+
  await page.click('nav a[data-scroll="setup"]');
  await until(page, () => location.hash.includes('&at=setup'));  // the link follows a moment later
  assert.match(page.url(), /&at=setup/);
  await page.fill('#k-gtt', '48');
  assert.equal(await page.textContent('[data-live="gtt"]'), '48');
  assert.equal(await page.textContent('[data-live="ceiling"]'), '112');
  assert.equal(await page.textContent('[data-live="gtt-how"]'), ' (set by you)');
  assert.match(await page.textContent('#guide-tunings-list'), /amd_iommu=off/);
  // A kernel before 6.10 holds every HIP stack to the carve-out, and the kernel box says so.
  await page.goto(`${env.server.url}#v=1&kernel=6.8&at=guide-gtt`);
  await page.waitForSelector('body[data-ready="true"]');
  assert.match(await page.textContent('[data-live="gtt-no"]'), /ROCm\/HIP.*vLLM.*ROCm runner/);
  assert.equal(await page.isChecked('#k-rocmgtt'), false);
  // The bytes read per token are the speed table's for the focused model, even when its row is
  // not among the table's first 200 (five quants of every model, the focus on the last model).
  await page.goto(`${env.server.url}#v=1&quants=Q2_K,Q3_K_M,Q4_K_M,Q5_K_M,Q6_K&model=kimi-linear-48b-a3b&quant=Q6_K`);
  await page.waitForSelector('body[data-ready="true"]');
  const speedRow = () => page.evaluate(() => {
    const t = document.querySelector('#speed-table table');
    const j = [...t.tHead.rows[0].cells].findIndex((th) => th.textContent.startsWith('read/token'));
    const tr = [...t.tBodies[0].rows].find((r) => r.cells[0].textContent === 'kimi-linear-48b-a3b' && r.cells[1].textContent === 'Q6_K');
    return tr ? tr.cells[j].textContent : null;
  });
  assert.equal(await speedRow(), null, 'the focused row is past the first 200');
  const read = await page.textContent('[data-live="read"]');
  assert.match(read, /^\d+\.\d\d$/);
  await page.click('#speed-table button.more-rows');
  assert.equal(await speedRow(), read);
  assert.deepEqual(page.problems, []);
  await context.close();
});
