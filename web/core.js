// The planner core (WebAssembly). Every number on the page comes from these calls.
import createHaloplan from './haloplan.mjs';

let wasm = null;
let tools = null;

// The module web/boot.js compiled while the page was parsed (from the preloaded bytes: one
// download) is instantiated through the glue's instantiateWasm hook. Without it (no preload, as in
// the single-file page; no compileStreaming; a failed compile) the glue fetches and compiles the
// wasm itself.
export async function loadCore() {
  const compiling = globalThis.haloplanCompiled;
  const module = compiling ? await compiling.catch(() => null) : null;
  if (!module) {
    wasm = await createHaloplan();
  } else {
    let failed;  // the hook has no way to report a failure; the race does
    const failure = new Promise((_, reject) => { failed = reject; });
    wasm = await Promise.race([createHaloplan({
      instantiateWasm(imports, done) {
        WebAssembly.instantiate(module, imports).then((instance) => done(instance), failed);
        return {};
      },
    }), failure]);
  }
  return wasm.version();
}

// The GGUF and config.json readers and the calibration fitter live in a second module, fetched on
// first use (the service worker keeps it for offline use). A build with everything in one module
// (the single-file page) uses that module.
function loadTools() {
  if (!tools) {
    tools = wasm.ggufAdd ? Promise.resolve(wasm) : import('./haloplan-tools.mjs').then((m) => m.default());
    tools.catch(() => { tools = null; });  // a failed fetch is tried again next time
  }
  return tools;
}

// The view for a state. Its parts (answer, map, fit, speed, ceiling, setup) are computed when first read, so
// a change pays only for the parts the page draws at once. `held` is the result whose state the
// core holds; reading a table of an older result first gives the core that result's state again.
// The custom models go to the core only when the list is a different object from the last one
// sent (an edit, an import, a link), not on every knob change.
const TABLE_PARTS = ['answer', 'compare', 'map', 'fit', 'speed', 'ceiling', 'setup'];
let held = null;
let sentCustom = null;
let info = null;  // the catalog's pickers (machines, backends, models, quants): sent when it changes

function send(state) {
  const custom = Array.isArray(state.custom) ? state.custom : [];
  const same = custom === sentCustom;
  const r = JSON.parse(wasm.compute(JSON.stringify(same ? { ...state, custom: undefined } : state), same));
  sentCustom = custom;
  r.state.custom = r.custom_count === custom.length ? custom : [];
  if (r.info) info = r.info;
  else r.info = info;
  return r;
}

function part(r, name, rows) {
  if (held !== r) {
    send(r.state);
    held = r;
  }
  return JSON.parse(wasm.computePart(name, rows))[name];
}

// rows: {fit, speed}: how many rows of those tables to compute (the rest stay in the core).
export function computeView(state, rows = {}) {
  const r = send(state);
  held = r;
  for (const name of TABLE_PARTS) {
    let value;
    Object.defineProperty(r, name, {
      enumerable: true,
      get() {
        if (value === undefined) value = part(r, name, rows[name] || 0);
        return value;
      },
    });
  }
  return r;
}

// Every row of a result's fit or speed table, in the order shown (for exports).
export function fullTable(r, name) {
  return part(r, name, 0);
}

// Pasted llama-bench output -> {table, cal, backend, error}.
export async function calibrate(state, text, backend) {
  const t = await loadTools();
  return JSON.parse(t.calibrate(JSON.stringify(state), text, backend));
}

export function decodeLink(fragment) {
  return JSON.parse(wasm.decodeLink(fragment));
}

// Diagnostics for a models file: [{path, message, error}].
export function checkModels(text) {
  return JSON.parse(wasm.checkModels(text));
}

// JSON syntax problems of a file's bytes (nesting, duplicate keys, NaN, broken UTF-8…), as the
// catalog loader names them: [{path, message, error}].
export function checkJson(bytes) {
  return JSON.parse(wasm.checkJson(bytes));
}

let shippedCache = null;
export function shippedModels() {
  if (!shippedCache) shippedCache = JSON.parse(wasm.shippedModels()).models;
  return shippedCache;
}

// A table as shown (rows in display order) rendered by the core, exactly as the CLI prints it.
export function exportTable(table, format) {
  return wasm.renderTable(JSON.stringify(table), format);
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
