// The planner core (WebAssembly). Every number on the page comes from these calls. The core runs
// in a Web Worker where it can (core-transport.js), so every call answers with a promise; while
// any is on its way, watchBusy's callback holds true.
import { openTransport } from './core-transport.js';

let port = null;
let tools = null;
let shippedCache = null;
let busy = 0;
let onBusy = () => {};

export function watchBusy(fn) {
  onBusy = fn;
}

function call(op, ...args) {
  if (++busy === 1) onBusy(true);
  const done = () => { if (--busy === 0) onBusy(false); };
  return port.call(op, args).then((v) => { done(); return v; }, (e) => { done(); throw e; });
}

// The module web/boot.js compiled while the page was parsed (from the preloaded bytes: one
// download) goes to the core; without it (no preload, as in the single-file page; no
// compileStreaming; a failed compile) the core fetches and compiles the wasm itself.
export async function loadCore() {
  const compiling = globalThis.haloplanCompiled;
  const module = compiling ? await compiling.catch(() => null) : null;
  port = await openTransport(module);
  const [version, shipped] = await Promise.all([call('version'), call('shippedModels')]);
  shippedCache = JSON.parse(shipped).models;
  return version;
}

// The GGUF and config.json readers and the calibration fitter live in a second module, fetched on
// first use (the service worker keeps it for offline use) and run on this thread. A build with
// everything in one module (the single-file page) uses that module.
function loadTools() {
  if (!tools) {
    tools = port.inline && port.inline.ggufAdd ? Promise.resolve(port.inline)
      : import('./haloplan-tools.mjs').then((m) => m.default());
    tools.catch(() => { tools = null; });  // a failed fetch is tried again next time
  }
  return tools;
}

// The view for a state: its head, and the parts asked for (answer, compare, map, fit, speed,
// evidence, ceiling, setup) as members. needParts brings more of them, so a change pays only for
// the parts the page draws at once. The custom models go to the core only when the list is a
// different object from the last one sent (an edit, an import, a link), not on every knob change.
// `held` is the request whose state the core holds (the core answers in the order it was asked).
const HELD = Symbol('state the core holds');
const ROWS = Symbol('rows asked for');
let held = null;
let sentCustom = null;
let info = null;  // the catalog's pickers (machines, backends, models, quants): sent when it changes

function stateText(state) {
  const custom = Array.isArray(state.custom) ? state.custom : [];
  const same = custom === sentCustom;
  sentCustom = custom;
  return [JSON.stringify(same ? { ...state, custom: undefined } : state), same, custom];
}

function fill(r, texts) {
  for (const [name, text] of Object.entries(texts)) r[name] = JSON.parse(text)[name];
}

// rows: {fit, speed}: how many rows of those tables to compute (the rest stay in the core);
// parts: the parts to bring with the head.
export async function computeView(state, rows = {}, parts = []) {
  const [text, same, custom] = stateText(state);
  const token = {};
  held = token;
  const res = await call('view', text, same, parts.map((name) => [name, rows[name] || 0]));
  const r = JSON.parse(res.head);
  r.state.custom = r.custom_count === custom.length ? custom : [];
  if (r.info) info = r.info;
  else r.info = info;
  r[HELD] = token;
  r[ROWS] = rows;
  fill(r, res.parts);
  return r;
}

// Brings the parts of r not there yet (one request for all of them).
export async function needParts(r, names) {
  const missing = names.filter((name) => !(name in r));
  if (!missing.length) return;
  const asked = missing.map((name) => [name, r[ROWS][name] || 0]);
  fill(r, await call('parts', ...ask(r), asked));
}

// The state to send with a request about r: none when the core holds it already.
function ask(r) {
  if (held === r[HELD]) return [null, true];
  held = r[HELD];
  const [text, same] = stateText(r.state);
  return [text, same];
}

// Every row of a result's fit or speed table, in the order shown (for exports).
export async function fullTable(r, name) {
  const texts = await call('parts', ...ask(r), [[name, 0]]);
  return JSON.parse(texts[name])[name];
}

// Pasted llama-bench output -> {table, cal, backend, error}.
export async function calibrate(state, text, backend) {
  const t = await loadTools();
  return JSON.parse(t.calibrate(JSON.stringify(state), text, backend));
}

export async function decodeLink(fragment) {
  return JSON.parse(await call('decodeLink', fragment));
}

// Diagnostics for a models file: [{path, message, error}].
export async function checkModels(text) {
  return JSON.parse(await call('checkModels', text));
}

// JSON syntax problems of a file's bytes (nesting, duplicate keys, NaN, broken UTF-8…), as the
// catalog loader names them: [{path, message, error}].
export async function checkJson(bytes) {
  return JSON.parse(await call('checkJson', bytes));
}

// The shipped catalog's entries (read once, when the core starts).
export function shippedModels() {
  return shippedCache;
}

// A table as shown (rows in display order) rendered by the core, exactly as the CLI prints it.
export function exportTable(table, format) {
  return call('renderTable', JSON.stringify(table), format);
}

// Reads each GGUF file's header through the core: a first slice, grown until the tensor table is
// complete, so a multi-gigabyte file costs a few megabytes. onProgress(name, bytesRead).
// -> {models: [catalog entries], errors: ["file: message"]}
export async function importGguf(files, onProgress) {
  const t = await loadTools();
  const errors = [];
  for (const file of files) {
    let want = Math.min(file.size, 1 << 20);
    for (;;) {
      const bytes = new Uint8Array(await file.slice(0, want).arrayBuffer());
      if (onProgress) onProgress(file.name, bytes.length);
      const r = JSON.parse(t.ggufAdd(file.name, bytes, file.size));
      if (r.status === 'ok') break;
      if (r.status === 'error') {
        errors.push(`${file.name}: ${r.error}`);
        break;
      }
      want = Math.min(file.size, r.need);
    }
  }
  const done = JSON.parse(t.ggufFinish());
  return { models: done.models, errors: errors.concat(done.errors) };
}

// A Hugging Face config.json as a catalog entry: {model} or {error}.
export async function hfConfigModel(text, name) {
  const t = await loadTools();
  return JSON.parse(t.hfConfig(text, name));
}
