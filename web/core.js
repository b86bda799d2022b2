// The planner core (WebAssembly). Every number on the page comes from these calls.
import createHaloplan from './haloplan.mjs';

let wasm = null;

export async function loadCore() {
  wasm = await createHaloplan();
  return wasm.version();
}

export function computeView(state) {
  return JSON.parse(wasm.compute(JSON.stringify(state)));
}

export function decodeLink(fragment) {
  return JSON.parse(wasm.decodeLink(fragment));
}

// Diagnostics for a models file: [{path, message, error}].
export function checkModels(text) {
  return JSON.parse(wasm.checkModels(text));
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
