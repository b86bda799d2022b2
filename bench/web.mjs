#!/usr/bin/env node
// bench/web: the page in headless Chromium against the built site on localhost. Prints
//   - bytes per asset and in total, raw and gzip-compressed;
//   - time from navigation start to the first complete set of tables (cold cache; median of
//     several loads);
//   - time from an input change to updated tables (median, p95 over 200+ changes of several knobs),
//     with the knobs, the map, the fit table and the speed table in view, and until every part is
//     drawn;
//   - total blocking time after the first paint (long tasks beyond 50 ms, Lighthouse's measure);
//   - JS heap after load;
// for the shipped catalog and for a synthetic catalog of 10,000 models. Asserts nothing.
// Usage: node bench/web.mjs [--models N] [--changes N] [--loads N]
import zlib from 'node:zlib';
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { serve, launch, siteDir } from '../tests/web/harness.mjs';

const arg = (name, def) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const SYNTHETIC = arg('--models', 10000);
const CHANGES = arg('--changes', 200);
const LOADS = arg('--loads', 5);
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
const pct = (v, p) => {
  const s = [...v].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))];
};

function syntheticCatalog(n) {
  const shipped = JSON.parse(fs.readFileSync(path.join(path.dirname(siteDir), '..', 'data/models.json'), 'utf8')).models;
  const out = [];
  for (let i = 0; i < n; i++) {
    const base = shipped[i % shipped.length];
    const m = JSON.parse(JSON.stringify(base));
    m.id = `synthetic-${i}`;
    // Without the long source and note texts: 10,000 shipped entries would not fit in the
    // browser's 5 MB of localStorage (imported GGUF entries are short like these).
    m.sources = [`synthetic copy of ${base.id}`];
    delete m.notes;
    // Published files and projectors carry long cited sources too; a copy has none of its own.
    delete m.files;
    delete m.mmproj;
    m.name = `Synthetic ${i} (${base.name})`;
    m.n_layers = Math.max(2, base.n_layers + ((i * 7) % 9) - 4);
    if (m.attention && m.attention.pattern && m.attention.pattern.length === base.n_layers) m.attention.pattern = undefined;
    out.push(m);
  }
  return out;
}

// One visit with a cold cache: the page, its CDP session, the bytes of every response and the
// load's times.
async function coldLoad(browser, server, custom) {
  const context = await browser.newContext();
  if (custom) {
    await context.addInitScript((text) => {
      if (!localStorage.getItem('haloplan.catalog')) localStorage.setItem('haloplan.catalog', text);
    }, JSON.stringify({ schema: 'haloplan-user-catalog', version: 1, custom, removed: [] }));
  }
  // Whether this visit shows the tables prerendered into the page: boot.js decides in <head>,
  // before the first paint, so the mark is read when <body> arrives (the app drops it once its
  // live tables are drawn, which can now be before DOMContentLoaded).
  // Long tasks of the main thread (over 50 ms), for the total blocking time after the first paint.
  await context.addInitScript(() => {
    window.benchLongTasks = [];
    try {
      new PerformanceObserver((list) => { for (const e of list.getEntries()) window.benchLongTasks.push([e.startTime, e.duration]); })
        .observe({ type: 'longtask', buffered: true });
    } catch { /* no Long Tasks API: reported as none */ }
  });
  await context.addInitScript(() => {
    new MutationObserver((records, observer) => {
      if (!document.body) return;
      window.benchPrerendered = document.documentElement.getAttribute('data-prerendered');
      observer.disconnect();
    }).observe(document, { childList: true, subtree: true });
  });
  const page = await context.newPage();
  const client = await context.newCDPSession(page);
  await client.send('Network.enable');
  await client.send('Network.setCacheDisabled', { cacheDisabled: true });
  const sizes = new Map();
  page.on('response', async (r) => {
    const u = new URL(r.url());
    if (!u.href.startsWith(server.origin)) return;
    try {
      const body = await r.body();
      sizes.set(u.pathname.slice(1) || 'index.html', body);
    } catch { /* redirects carry no body */ }
  });
  await page.goto(server.url);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 120000 });
  // The parts out of view follow one per task (body[data-pending] names them until then).
  if (custom) await page.waitForSelector('body:not([data-pending])', { timeout: 120000 });
  const expectRows = custom ? await page.evaluate(() => document.getElementById('fit-count').textContent) : '';
  if (custom && !(Number((expectRows.match(/of (\d+) rows/) || [])[1]) >= custom.length)) {
    throw new Error(`the page does not show the synthetic catalog (fit table: ${expectRows}); did localStorage refuse it?`);
  }
  await page.waitForTimeout(1000);  // the tasks right after the first tables count too
  // The planner's worker fetches its module outside the page's responses: counted from the file.
  for (const w of page.workers()) {
    const u = new URL(w.url());
    if (u.href.startsWith(server.origin)) sizes.set(u.pathname.slice(1), fs.readFileSync(path.join(siteDir, path.basename(u.pathname))));
  }
  const load = await page.evaluate(() => {
    const live = performance.getEntriesByName('haloplan-first-tables')[0];
    const paint = performance.getEntriesByName('first-contentful-paint')[0];
    const nav = performance.getEntriesByType('navigation')[0];
    const fcp = paint ? paint.startTime : 0;
    // Total blocking time as Lighthouse counts it: each long task after the first paint, beyond 50 ms.
    const tasks = window.benchLongTasks.filter(([t]) => t >= fcp);
    return { live: live ? live.startTime : NaN, paint: paint ? paint.startTime : NaN, parsed: nav.domInteractive,
      prerendered: window.benchPrerendered === '', tbt: tasks.reduce((sum, [, d]) => sum + Math.max(0, d - 50), 0),
      longest: tasks.reduce((m, [, d]) => Math.max(m, d), 0), longTasks: tasks.length };
  });
  // Prerendered: every table is in the page's markup, so they are complete once it is parsed and
  // painted. Otherwise: when the app has drawn them from the wasm core.
  load.firstTables = load.prerendered ? Math.max(load.paint, load.parsed) : load.live;
  return { context, page, client, sizes, load };
}

async function measure(browser, server, label, custom) {
  console.log(`\n== ${label}`);
  // A single cold load varies by a third on this machine: the load figures are medians of LOADS.
  const loads = [];
  let visit = null;
  for (let i = 0; i < LOADS; i++) {
    if (visit) await visit.context.close();
    visit = await coldLoad(browser, server, custom);
    loads.push(visit.load);
  }
  const { context, page, client, sizes } = visit;
  const med = (key) => pct(loads.map((l) => l[key]), 0.5);
  const range = (key) => `${Math.min(...loads.map((l) => l[key])).toFixed(0)}–${Math.max(...loads.map((l) => l[key])).toFixed(0)}`;
  const prerendered = visit.load.prerendered;
  if (label.startsWith('shipped')) {
    let raw = 0, gz = 0;
    for (const [name, body] of [...sizes.entries()].sort()) {
      const z = zlib.gzipSync(body, { level: 9 }).length;
      raw += body.length;
      gz += z;
      console.log(`  ${name.padEnd(28)} ${kb(body.length).padStart(10)} raw ${kb(z).padStart(10)} gzip`);
    }
    console.log(`  ${'whole page'.padEnd(28)} ${kb(raw).padStart(10)} raw ${kb(gz).padStart(10)} gzip`);
    // Not part of the load: fetched on the first GGUF or config.json import or calibration (and
    // kept by the service worker for offline use).
    for (const name of ['haloplan-tools.mjs', 'haloplan-tools.wasm']) {
      if (sizes.has(name)) continue;
      const body = fs.readFileSync(path.join(siteDir, name));
      console.log(`  ${name.padEnd(28)} ${kb(body.length).padStart(10)} raw ${kb(zlib.gzipSync(body, { level: 9 }).length).padStart(10)} gzip  (on first use)`);
    }
  }
  console.log(`  first complete tables: ${med('firstTables').toFixed(0)} ms after navigation start (median of ${LOADS} cold loads, ${range('firstTables')}; ${prerendered
    ? `prerendered default view: parsed ${med('parsed').toFixed(0)} ms, first paint ${med('paint').toFixed(0)} ms` : 'drawn by the app'})`);
  console.log(`  live tables (wasm core loaded, page interactive): ${med('live').toFixed(0)} ms (${range('live')})`);
  console.log(`  total blocking time after the first paint: ${med('tbt').toFixed(0)} ms (median of ${LOADS}, ${range('tbt')}; long tasks ${med('longTasks')}, the longest ${med('longest').toFixed(0)} ms)`);
  const heap = await client.send('Runtime.getHeapUsage');
  console.log(`  JS heap after load: ${(heap.usedSize / 1048576).toFixed(1)} MB used of ${(heap.totalSize / 1048576).toFixed(1)} MB`);

  // Input changes, one knob at a time (context, slots, K cache type, machine in turn). Each change
  // starts once the previous one has been drawn everywhere; its time runs from the knob's event to
  // the parts in view updated and laid out (the core answers from its worker; the page signals
  // "haloplan-drawn" when it has drawn them, and a forced layout makes their layout count). Parts
  // away from the viewport are drawn right after, one per task; the second figure is the time
  // until every part is drawn.
  for (const [where, target] of [['page top, knobs in view', null], ['map in view', '#map-svg'], ['fit table in view', '#fit-table'], ['speed table in view', '#speed-table']]) {
    await page.evaluate((sel) => (sel ? document.querySelector(sel).scrollIntoView({ block: 'start' }) : window.scrollTo(0, 0)), target);
    await page.waitForTimeout(200);
    const sync = [], all = [];
    for (let i = 0; i < CHANGES; i++) {
      const [a, b] = await page.evaluate(async (i) => {
        const drawn = async () => {
          while (document.body.dataset.pending) await new Promise((ok) => setTimeout(ok, 0));
        };
        await drawn();
        // A reader's next keystroke comes after the last change was painted.
        await new Promise((ok) => requestAnimationFrame(() => setTimeout(ok, 0)));
        const ctx = document.getElementById('k-ctx');
        const slots = document.getElementById('k-slots');
        const ktype = document.getElementById('k-ktype');
        const machine = document.getElementById('k-machine');
        const ctxs = ['4096', '8192', '16384', '32768', '65536', '131072'];
        const types = ['f16', 'q8_0', 'q4_0'];
        const machines = [...machine.options].map((o) => o.value).slice(0, 3);
        const drawnNow = new Promise((ok) => document.addEventListener('haloplan-drawn', ok, { once: true }));
        const t0 = performance.now();
        if (i % 4 === 0) { ctx.value = ctxs[(i >> 2) % ctxs.length]; ctx.dispatchEvent(new Event('input', { bubbles: true })); }
        else if (i % 4 === 1) { slots.value = String(1 + ((i >> 2) % 4)); slots.dispatchEvent(new Event('input', { bubbles: true })); }
        else if (i % 4 === 2) { ktype.value = types[(i >> 2) % types.length]; ktype.dispatchEvent(new Event('change', { bubbles: true })); }
        else { machine.value = machines[(i >> 2) % machines.length]; machine.dispatchEvent(new Event('change', { bubbles: true })); }
        await drawnNow;
        void document.body.offsetHeight;
        const t1 = performance.now();
        await drawn();
        return [t1 - t0, performance.now() - t0];
      }, i);
      sync.push(a);
      all.push(b);
    }
    console.log(`  input change -> updated tables (${where}): median ${pct(sync, 0.5).toFixed(1)} ms, p95 ${pct(sync, 0.95).toFixed(1)} ms over ${sync.length} changes`);
    console.log(`    every part drawn: median ${pct(all, 0.5).toFixed(1)} ms, p95 ${pct(all, 0.95).toFixed(1)} ms`);
  }
  await context.close();
}

// For scale: this browser's first paint of a page with one paragraph, no styles and no scripts,
// served the same way (median of LOADS cold loads).
async function floor(browser) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'haloplan-floor-'));
  fs.writeFileSync(path.join(dir, 'index.html'), '<!DOCTYPE html><html lang="en"><title>floor</title><p>haloplan</p></html>');
  const own = await serve({ dir });
  const paints = [];
  try {
    for (let i = 0; i < LOADS; i++) {
      const context = await browser.newContext();
      const page = await context.newPage();
      const client = await context.newCDPSession(page);
      await client.send('Network.setCacheDisabled', { cacheDisabled: true });
      await page.goto(own.url);
      for (let t = 0; t < 100 && !(await page.evaluate(() => performance.getEntriesByName('first-contentful-paint').length)); t++) await page.waitForTimeout(20);
      paints.push(await page.evaluate(() => performance.getEntriesByName('first-contentful-paint')[0].startTime));
      await context.close();
    }
  } finally {
    await own.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  console.log(`\n== for scale: a one-paragraph page with no styles or scripts first paints at ${pct(paints, 0.5).toFixed(0)} ms (median of ${LOADS} cold loads)`);
}

const server = await serve();
const browser = await launch();
try {
  await floor(browser);
  await measure(browser, server, 'shipped catalog', null);
  if (SYNTHETIC > 0) await measure(browser, server, `synthetic catalog of ${SYNTHETIC} models`, syntheticCatalog(SYNTHETIC));
} finally {
  await browser.close();
  await server.close();
}
