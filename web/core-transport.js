// How the page reaches the planner on the site: a module Web Worker, so the wasm's compile,
// instantiation and every computation run off the page's thread. Where a module worker cannot
// start, the same host runs on the page's thread. The single-file page and the build's prerender
// use core-inline.js in this file's place.
// -> {call(op, args) -> Promise, inline: the wasm module when it runs on this thread, else null}
export async function openTransport(compiled) {
  try {
    return await openWorker(compiled);
  } catch (e) {
    const { createHost } = await import('./core-worker.js');
    const host = await createHost(compiled);
    return { inline: host.wasm, call: (op, args) => host.call(op, args) };
  }
}

function openWorker(compiled) {
  return new Promise((ready, refused) => {
    const worker = new Worker(new URL('./core-worker.js', import.meta.url), { type: 'module' });
    const waiting = new Map();
    let next = 0;
    let started = false;
    const call = (op, args) => new Promise((ok, fail) => {
      const id = ++next;
      waiting.set(id, { ok, fail });
      worker.postMessage({ id, op, args });
    });
    worker.onmessage = (e) => {
      const w = waiting.get(e.data.id);
      if (!w) return;
      waiting.delete(e.data.id);
      if ('error' in e.data) w.fail(new Error(e.data.error));
      else w.ok(e.data.value);
    };
    // A worker that cannot load (no module workers, a blocked script) or that dies fails every
    // call waiting on it.
    worker.onerror = (e) => {
      e.preventDefault();
      const err = new Error(`the planner's worker stopped (${e.message || 'it could not load'})`);
      for (const w of waiting.values()) w.fail(err);
      waiting.clear();
      if (!started) refused(err);
    };
    call('init', [compiled]).then(() => {
      started = true;
      ready({ inline: null, call });
    }, (e) => { worker.terminate(); refused(e); });
  });
}
