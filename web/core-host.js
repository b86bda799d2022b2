// The planner's wasm module and the calls the page makes on it, wherever it runs: in the Web
// Worker (web/core-worker.js, the site) or on the page's own thread (the single-file page, the
// build's prerender, a browser without module workers). Every call takes and returns JSON text,
// so a call crosses to the worker as a string. Calls run one at a time in the order they came
// (a later call may rely on the state an earlier one left in the module).
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
  // The site's module comes without the measured rows behind the evidence: they are fetched the
  // first time the evidence is asked for (the service worker keeps them for offline use). If they
  // cannot load, the evidence comes without its nearest measurements and the part
  // "measured_problem" says why (asked again next time).
  let measured = null;
  function needMeasured(asked) {
    if (!asked.some(([name]) => name === 'evidence') || wasm.hasMeasured()) return null;
    if (!measured) {
      measured = fetch(new URL('./measured.json', import.meta.url)).then((res) => {
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        return res.text();
      }).then((text) => {
        const errors = JSON.parse(wasm.addMeasured(text)).filter((d) => d.error);
        if (errors.length) throw new Error(errors.map((d) => `${d.path}: ${d.message}`).join('; '));
        return null;
      }).catch((e) => {
        measured = null;
        return `the measured rows (measured.json) could not load: ${(e && e.message) || e}`;
      });
    }
    return measured;
  }
  // view: the head of a state's view and the parts asked for ([name, rows]); parts: more parts of
  // the state the module holds, or of `state` (then computed again first).
  const computeParts = (asked) => Object.fromEntries(asked.map(([name, rows]) => [name, wasm.computePart(name, rows)]));
  async function parts(asked) {
    const loading = needMeasured(asked);
    const problem = loading ? await loading : null;
    const out = computeParts(asked);
    if (problem) out.measured_problem = JSON.stringify({ measured_problem: problem });
    return out;
  }
  const ops = {
    version: () => wasm.version(),
    shippedModels: () => wasm.shippedModels(),
    decodeLink: (fragment) => wasm.decodeLink(fragment),
    checkModels: (text) => wasm.checkModels(text),
    checkJson: (bytes) => wasm.checkJson(bytes),
    renderTable: (table, format) => wasm.renderTable(table, format),
    view: async (state, same, asked) => {
      const head = wasm.compute(state, same);
      return { head, parts: await parts(asked) };
    },
    parts: (state, same, asked) => {
      if (state !== null) wasm.compute(state, same);
      return parts(asked);
    },
  };
  let last = Promise.resolve();
  return {
    wasm,
    // -> Promise of the op's value
    call(op, args) {
      if (!Object.prototype.hasOwnProperty.call(ops, op)) return Promise.reject(new Error(`the planner has no call '${op}'`));
      const run = last.then(() => ops[op](...args));
      last = run.catch(() => {});
      return run;
    },
  };
}
