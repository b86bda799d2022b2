#!/usr/bin/env node
// Assembles the static site from web/ and the wasm build:
//   build/site/           the page with its default view prerendered (scripts/prerender.mjs), its
//                         modules bundled and minified into app.js (esbuild), the core's wasm
//                         (in a Web Worker, core-worker.js), the tools module and the measured
//                         rows behind the evidence (measured.json) loaded on first use, the minified CSS and boot
//                         script inline in the page, a service worker with a content-hashed
//                         cache name, the manifest and icons — any static host can serve it;
//   build/site/haloplan.html  one self-contained file (wasm inlined) that works from file://.
// Usage: node scripts/build-site.mjs [WASM_DIR] [OUT_DIR]
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { prerender } from './prerender.mjs';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const wasmDir = path.resolve(process.argv[2] || path.join(root, 'build/wasm/wasm'));
const out = path.resolve(process.argv[3] || path.join(root, 'build/site'));
const web = path.join(root, 'web');

function fail(msg) {
  console.error(`build-site: ${msg}`);
  process.exit(1);
}

for (const f of ['haloplan.mjs', 'haloplan.wasm', 'haloplan-tools.mjs', 'haloplan-tools.wasm', 'haloplan_single.mjs']) {
  if (!fs.existsSync(path.join(wasmDir, f))) fail(`${path.join(wasmDir, f)} is missing; build the wasm preset first`);
}

fs.rmSync(out, { recursive: true, force: true });
fs.mkdirSync(path.join(out, 'icons'), { recursive: true });

// The page's modules (esbuild bundles them from app.js, for the site and the single file).
const MODULES = ['dom.js', 'table.js', 'core.js', 'core-transport.js', 'core-host.js', 'core-worker.js', 'core-inline.js', 'pictures.js',
  'store.js', 'catalog.js', 'schedule.js', 'render.js', 'app.js'];
const ICONS = fs.readdirSync(path.join(web, 'icons')).map((f) => `icons/${f}`);
const STATIC = ['index.html', 'manifest.webmanifest', 'app.js', 'core-worker.js', ...ICONS];
const sha = (s) => `'sha256-${createHash('sha256').update(s).digest('base64')}'`;
// Replaces the first `from` (text or a RegExp) in a page; the build fails when it is missing.
function replaceIn(page, from, to) {
  if (!(typeof from === 'string' ? page.includes(from) : from.test(page))) fail(`index.html no longer contains ${from}`);
  return page.replace(from, typeof to === 'function' ? to : () => to);
}

// The modules and the wasm glue become one minified module: one request instead of seven, and a
// third fewer bytes. esbuild is Debian's (scripts/setup web installs it).
let prerenderBundle = '', minifiedCss = '', minifiedBoot = '';
const staging = fs.mkdtempSync(path.join(path.dirname(out), '.site-staging-'));
try {
  for (const m of MODULES) fs.copyFileSync(path.join(web, m), path.join(staging, m));
  fs.copyFileSync(path.join(wasmDir, 'haloplan.mjs'), path.join(staging, 'haloplan.mjs'));
  const esbuild = (args) => {
    try {
      execFileSync('esbuild', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (e) {
      fail(e.code === 'ENOENT' ? 'esbuild is not installed; run scripts/setup web' : `esbuild failed: ${e.stderr || e.message}`);
    }
  };
  // The tools module (GGUF and config.json import, calibration) stays a file of its own, imported
  // on first use.
  const tools = '--external:./haloplan-tools.mjs';
  // The page's module does not hold the core: the worker module does, with the wasm glue
  // (core-transport.js starts it, or imports it on this thread where a module worker cannot start).
  esbuild([path.join(staging, 'app.js'), '--bundle', '--format=esm', '--minify', '--target=es2020',
    '--legal-comments=none', tools, '--external:./core-worker.js', `--outfile=${path.join(out, 'app.js')}`]);
  esbuild([path.join(staging, 'core-worker.js'), '--bundle', '--format=esm', '--minify', '--target=es2020',
    '--legal-comments=none', `--outfile=${path.join(out, 'core-worker.js')}`]);
  // The prerender (jsdom has no workers) runs the core on its own thread.
  fs.copyFileSync(path.join(web, 'core-inline.js'), path.join(staging, 'core-transport.js'));
  // The stylesheet and boot.js are written into the pages (below).
  esbuild([path.join(web, 'style.css'), '--minify', `--outfile=${path.join(staging, 'style.css')}`]);
  esbuild([path.join(web, 'boot.js'), '--minify', '--target=es2017', `--outfile=${path.join(staging, 'boot.js')}`]);
  minifiedCss = fs.readFileSync(path.join(staging, 'style.css'), 'utf8').trim();
  minifiedBoot = fs.readFileSync(path.join(staging, 'boot.js'), 'utf8').trim();
  // The same app as one classic script for the prerender in jsdom (no ES modules there).
  esbuild([path.join(staging, 'app.js'), '--bundle', '--format=iife', '--target=es2020', '--legal-comments=none', tools,
    '--define:import.meta.url="http://localhost/app.js"', `--outfile=${path.join(staging, 'prerender.js')}`]);
  prerenderBundle = fs.readFileSync(path.join(staging, 'prerender.js'), 'utf8');
} finally {
  fs.rmSync(staging, { recursive: true, force: true });
}
for (const f of ['manifest.webmanifest', ...ICONS]) fs.copyFileSync(path.join(web, f), path.join(out, f));
const WASM = ['haloplan.wasm', 'haloplan-tools.mjs', 'haloplan-tools.wasm'];
for (const f of WASM) fs.copyFileSync(path.join(wasmDir, f), path.join(out, f));
// The page's wasm leaves the measured rows out: the core fetches them for the evidence.
const DATA = ['measured.json'];
for (const f of DATA) fs.copyFileSync(path.join(root, 'data', f), path.join(out, f));
{
  // The page preloads the wasm beside its one module.
  let page = fs.readFileSync(path.join(web, 'index.html'), 'utf8');
  const block = page.match(/<!-- preload:[\s\S]*?<!-- \/preload -->\n/);
  if (!block) fail('index.html no longer has its <!-- preload: --> block');
  page = page.replace(block[0], '<!-- preload: the wasm downloads while the module is parsed -->\n' +
    '<link rel="preload" href="haloplan.wasm" as="fetch" type="application/wasm" crossorigin>\n<!-- /preload -->\n');
  page = await prerender(page, { bundle: prerenderBundle, wasm: fs.readFileSync(path.join(wasmDir, 'haloplan.wasm')) })
    .catch((e) => fail(e.message));
  // The stylesheet and boot.js go into the page (allowed by their hashes): the first paint waits
  // for neither a stylesheet request nor a parser-blocking script request.
  page = replaceIn(page, /<meta http-equiv="Content-Security-Policy" content="[^"]*"/, (m) => m
    .replace("script-src 'self'", `script-src 'self' ${sha(minifiedBoot)}`).replace("style-src 'self'", `style-src 'self' ${sha(minifiedCss)}`));
  page = replaceIn(page, '<link rel="stylesheet" href="style.css">', `<style>${minifiedCss}</style>`);
  page = replaceIn(page, '<script src="boot.js"></script>', `<script>${minifiedBoot}</script>`);
  if (!page.includes(sha(minifiedBoot)) || !page.includes(sha(minifiedCss))) fail('index.html\'s Content-Security-Policy no longer has script-src \'self\' and style-src \'self\'');
  fs.writeFileSync(path.join(out, 'index.html'), page);
}

// Service worker: the precache list and a hash of every file's content.
const precache = ['./', ...STATIC.filter((f) => f !== 'index.html'), ...WASM, ...DATA];
const hash = createHash('sha256');
for (const f of [...STATIC, ...WASM, ...DATA]) hash.update(f).update(fs.readFileSync(path.join(out, f)));
const version = hash.digest('hex').slice(0, 16);
const sw = fs.readFileSync(path.join(web, 'sw.js'), 'utf8')
  .replace('__HASH__', version)
  .replace('__FILES__', JSON.stringify(precache));
fs.writeFileSync(path.join(out, 'sw.js'), sw);

// ---------------------------------------------------------------- single file

// The same modules bundled by esbuild, with the single-file glue (wasm inlined, tools included)
// in place of the page's glue: one inline module that works from file://.
let script = '';
{
  const single = fs.mkdtempSync(path.join(path.dirname(out), '.single-staging-'));
  try {
    for (const m of MODULES) fs.copyFileSync(path.join(web, m), path.join(single, m));
    fs.copyFileSync(path.join(wasmDir, 'haloplan_single.mjs'), path.join(single, 'haloplan.mjs'));
    // No workers from file://: the core runs on the page's thread.
    fs.copyFileSync(path.join(web, 'core-inline.js'), path.join(single, 'core-transport.js'));
    try {
      execFileSync('esbuild', [path.join(single, 'app.js'), '--bundle', '--format=esm', '--minify', '--target=es2020',
        '--legal-comments=none', '--external:./haloplan-tools.mjs', `--outfile=${path.join(single, 'bundle.js')}`],
      { stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (e) {
      fail(`esbuild failed on the single-file bundle: ${e.stderr || e.message}`);
    }
    script = fs.readFileSync(path.join(single, 'bundle.js'), 'utf8').trim().replace(/<\/script/gi, '<\\/script');
  } finally {
    fs.rmSync(single, { recursive: true, force: true });
  }
}
const iconData = `data:image/svg+xml;base64,${fs.readFileSync(path.join(web, 'icons/icon.svg')).toString('base64')}`;

let html = fs.readFileSync(path.join(web, 'index.html'), 'utf8');
const csp = `default-src 'none'; script-src ${sha(script)} ${sha(minifiedBoot)} 'wasm-unsafe-eval'; style-src ${sha(minifiedCss)}; img-src data:; connect-src data:; object-src 'none'; base-uri 'none'; form-action 'none'`;
const replaceOnce = (from, to) => { html = replaceIn(html, from, to); };
replaceOnce(html.match(/<meta http-equiv="Content-Security-Policy" content="[^"]*">/)[0], `<meta http-equiv="Content-Security-Policy" content="${csp}">`);
replaceOnce('<link rel="manifest" href="manifest.webmanifest">\n', '');
replaceOnce(html.match(/<!-- preload:[\s\S]*?<!-- \/preload -->\n/)[0], '');
replaceOnce('<link rel="icon" href="icons/icon.svg" type="image/svg+xml">', `<link rel="icon" href="${iconData}" type="image/svg+xml">`);
replaceOnce('<link rel="apple-touch-icon" href="icons/icon-192.png">\n', '');
replaceOnce('<link rel="stylesheet" href="style.css">', `<style>${minifiedCss}</style>`);
replaceOnce('<script src="boot.js"></script>', `<script>${minifiedBoot}</script>`);
replaceOnce('<script type="module" src="app.js"></script>', `<script type="module">${script}</script>`);
replaceOnce('<img src="icons/icon.svg"', `<img src="${iconData}"`);
fs.writeFileSync(path.join(out, 'haloplan.html'), html);

let total = 0;
for (const f of fs.readdirSync(out, { recursive: true })) {
  const p = path.join(out, f);
  if (fs.statSync(p).isFile()) total += fs.statSync(p).size;
}
console.log(`build-site: ${path.relative(root, out) || out} (${(total / 1024).toFixed(0)} KiB, cache ${version})`);
