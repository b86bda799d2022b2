// The planner's wasm module and the calls the page makes on it, wherever it runs: in the Web
// Worker (web/core-worker.js, the site) or on the page's own thread (the single-file page, the
// build's prerender, a browser without module workers). Every call takes and returns JSON text,
// so a call crosses to the worker as a string.
import createHaloplan from './haloplan.mjs';

// compiled: a WebAssembly.Module compiled already (one download: the page's preload), or null
// to let the glue fetch and compile haloplan.wasm itself.
// -> {wasm, call(op, args)}
export async function createHost(compiled) {
  let wasm;
  if (!compiled) {
    wasm = await createHaloplan();
  } else {
    let failed;  // the hook has no way to report a failure; the race does
    const failure = new Promise((_, reject) => { failed = reject; });
    wasm = await Promise.race([createHaloplan({
      instantiateWasm(imports, done) {
        WebAssembly.instantiate(compiled, imports).then((instance) => done(instance), failed);
        return {};
      },
    }), failure]);
  }
  // view: the head of a state's view and the parts asked for ([name, rows]); parts: more parts of
  // the state the module holds, or of `state` (then computed again first).
  const parts = (asked) => Object.fromEntries(asked.map(([name, rows]) => [name, wasm.computePart(name, rows)]));
  const ops = {
    version: () => wasm.version(),
    shippedModels: () => wasm.shippedModels(),
    decodeLink: (fragment) => wasm.decodeLink(fragment),
    checkModels: (text) => wasm.checkModels(text),
    checkJson: (bytes) => wasm.checkJson(bytes),
    renderTable: (table, format) => wasm.renderTable(table, format),
    view: (state, same, asked) => ({ head: wasm.compute(state, same), parts: parts(asked) }),
    parts: (state, same, asked) => {
      if (state !== null) wasm.compute(state, same);
      return parts(asked);
    },
  };
  return {
    wasm,
    call(op, args) {
      if (!Object.prototype.hasOwnProperty.call(ops, op)) throw new Error(`the planner has no call '${op}'`);
      return ops[op](...args);
    },
  };
}
