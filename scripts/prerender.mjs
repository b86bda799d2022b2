// Prerendering: the page's default view (the shipped catalog, no link) drawn at build time by the
// page's own code and the wasm core, in jsdom, so the first paint already shows every table. The
// app redraws the same view live when it starts; for any other view web/boot.js keeps the
// prerendered parts hidden until then.
//   prerender(html, {bundle, wasm}) -> html with the drawn DOM, <html data-prerendered>
import Module, { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

// Debian installs jsdom and its dependencies under /usr/share/nodejs, which Debian's own Node
// searches and other Node builds only search when NODE_PATH names it.
function loadJsdom() {
  try {
    return require('jsdom');
  } catch { /* not on the search path yet */ }
  process.env.NODE_PATH = ['/usr/share/nodejs', process.env.NODE_PATH].filter(Boolean).join(':');
  Module._initPaths();
  try {
    return require('jsdom');
  } catch (e) {
    throw new Error(`jsdom is not installed (${e.message.split('\n')[0]}); run scripts/setup web (Debian package node-jsdom)`);
  }
}

// html: the page; bundle: the app as one classic script (iife); wasm: the core's bytes.
export async function prerender(html, { bundle, wasm, timeoutMs = 60000 }) {
  const { JSDOM, VirtualConsole } = loadJsdom();
  const problems = [];
  const virtualConsole = new VirtualConsole();
  virtualConsole.on('error', (...a) => problems.push(a.join(' ')));
  virtualConsole.on('jsdomError', (e) => problems.push(e.message));
  const dom = new JSDOM(html, { url: 'http://localhost/', runScripts: 'outside-only', pretendToBeVisual: true, virtualConsole });
  const w = dom.window;
  // What a browser has and jsdom lacks: fetch for the .wasm, TextDecoder for the glue, marks. The
  // glue compiles from the fetched bytes (instantiateStreaming would get a Response from outside
  // the window's realm, which not every Node version accepts).
  if (typeof w.performance.mark !== 'function') w.performance.mark = () => {};
  w.WebAssembly.instantiateStreaming = undefined;
  w.fetch = async () => new Response(wasm, { headers: { 'Content-Type': 'application/wasm' } });
  w.TextDecoder = TextDecoder;
  w.TextEncoder = TextEncoder;
  w.eval(bundle);
  const end = Date.now() + timeoutMs;
  const doc = w.document;
  while (!(doc.body.dataset.ready === 'true' && !doc.body.dataset.pending)) {
    if (problems.length) throw new Error(`prerender: the page failed in jsdom: ${problems.join('; ')}`);
    if (Date.now() > end) throw new Error('prerender: the page did not get ready in jsdom');
    await new Promise((ok) => setTimeout(ok, 20));
  }
  if (problems.length) throw new Error(`prerender: the page failed in jsdom: ${problems.join('; ')}`);
  if (doc.getElementById('notices').children.length) {
    throw new Error(`prerender: the default view has notices: ${doc.getElementById('notices').textContent}`);
  }
  // Form state lives in properties; the markup carries it as attributes.
  for (const input of doc.querySelectorAll('input')) {
    if (input.type === 'checkbox') input.toggleAttribute('checked', input.checked);
    else if (input.type !== 'file') input.setAttribute('value', input.value);
  }
  for (const select of doc.querySelectorAll('select')) {
    for (const o of select.options) o.toggleAttribute('selected', o.selected);
  }
  delete doc.body.dataset.ready;
  doc.documentElement.setAttribute('data-prerendered', '');
  const out = dom.serialize();
  w.close();
  return out;
}
