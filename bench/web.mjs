#!/usr/bin/env node
// bench/web: the page in headless Chromium against the built site on localhost. Prints
//   - bytes per asset and in total, raw and gzip-compressed;
//   - time from navigation start to the first complete set of tables (cold cache);
//   - time from an input change to updated tables (median, p95 over 200+ changes of several knobs);
//   - JS heap after load;
// for the shipped catalog and for a synthetic catalog of 10,000 models. Asserts nothing.
// Usage: node bench/web.mjs [--models N] [--changes N]
import zlib from 'node:zlib';
import fs from 'node:fs';
import path from 'node:path';
import { serve, launch, siteDir } from '../tests/web/harness.mjs';

const arg = (name, def) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const SYNTHETIC = arg('--models', 10000);
const CHANGES = arg('--changes', 200);
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
    m.name = `Synthetic ${i} (${base.name})`;
    m.n_layers = Math.max(2, base.n_layers + ((i * 7) % 9) - 4);
    if (m.attention && m.attention.pattern && m.attention.pattern.length === base.n_layers) m.attention.pattern = undefined;
    out.push(m);
  }
  return out;
}

async function measure(browser, server, label, custom) {
  console.log(`\n== ${label}`);
  const context = await browser.newContext();
  if (custom) {
    await context.addInitScript((text) => {
      if (!localStorage.getItem('haloplan.catalog')) localStorage.setItem('haloplan.catalog', text);
    }, JSON.stringify({ schema: 'haloplan-user-catalog', version: 1, custom, removed: [] }));
  }
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
  const firstTables = await page.evaluate(() => {
    const m = performance.getEntriesByName('haloplan-first-tables')[0];
    return m ? m.startTime : NaN;
  });
  if (label.startsWith('shipped')) {
    let raw = 0, gz = 0;
    for (const [name, body] of [...sizes.entries()].sort()) {
      const z = zlib.gzipSync(body, { level: 9 }).length;
      raw += body.length;
      gz += z;
      console.log(`  ${name.padEnd(28)} ${kb(body.length).padStart(10)} raw ${kb(z).padStart(10)} gzip`);
    }
    console.log(`  ${'whole page'.padEnd(28)} ${kb(raw).padStart(10)} raw ${kb(gz).padStart(10)} gzip`);
  }
  console.log(`  first complete tables: ${firstTables.toFixed(0)} ms after navigation start (cold cache)`);
  const heap = await client.send('Runtime.getHeapUsage');
  console.log(`  JS heap after load: ${(heap.usedSize / 1048576).toFixed(1)} MB used of ${(heap.totalSize / 1048576).toFixed(1)} MB`);

  // Input changes: each dispatches the knob's input event; the update (core + DOM) is synchronous,
  // and a forced layout makes the tables' cost count.
  const times = await page.evaluate((n) => {
    const out = [];
    const ctx = document.getElementById('k-ctx');
    const slots = document.getElementById('k-slots');
    const ktype = document.getElementById('k-ktype');
    const machine = document.getElementById('k-machine');
    const ctxs = ['4096', '8192', '16384', '32768', '65536', '131072'];
    const types = ['f16', 'q8_0', 'q4_0'];
    const machines = [...machine.options].map((o) => o.value).slice(0, 3);
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      if (i % 4 === 0) { ctx.value = ctxs[i % ctxs.length]; ctx.dispatchEvent(new Event('input', { bubbles: true })); }
      else if (i % 4 === 1) { slots.value = String(1 + (i % 4)); slots.dispatchEvent(new Event('input', { bubbles: true })); }
      else if (i % 4 === 2) { ktype.value = types[i % types.length]; ktype.dispatchEvent(new Event('change', { bubbles: true })); }
      else { machine.value = machines[i % machines.length]; machine.dispatchEvent(new Event('change', { bubbles: true })); }
      void document.body.offsetHeight;
      out.push(performance.now() - t0);
    }
    return out;
  }, CHANGES);
  console.log(`  input change -> updated tables: median ${pct(times, 0.5).toFixed(1)} ms, p95 ${pct(times, 0.95).toFixed(1)} ms over ${times.length} changes`);
  await context.close();
}

const server = await serve();
const browser = await launch();
try {
  await measure(browser, server, 'shipped catalog', null);
  if (SYNTHETIC > 0) await measure(browser, server, `synthetic catalog of ${SYNTHETIC} models`, syntheticCatalog(SYNTHETIC));
} finally {
  await browser.close();
  await server.close();
}
