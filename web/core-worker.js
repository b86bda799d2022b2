// The planner in a Web Worker: the page posts {id, op, args} and gets {id, value} or
// {id, error} back, in the order it asked. The first message is {op: 'init', args: [module]}
// with the module web/boot.js compiled (or null: fetched and compiled here). Imported on the
// page's own thread (no module workers) it only lends createHost.
import { createHost } from './core-host.js';

export { createHost };

if (typeof WorkerGlobalScope !== 'undefined' && self instanceof WorkerGlobalScope) {
  let host = null;
  const queue = [];
  const answer = (id, fn) => {
    Promise.resolve().then(fn).then((value) => self.postMessage({ id, value }),
      (e) => self.postMessage({ id, error: String((e && e.message) || e) }));
  };
  self.onmessage = (e) => {
    const { id, op, args } = e.data;
    if (op === 'init') {
      createHost(args[0]).then((h) => {
        host = h;
        self.postMessage({ id, value: h.wasm.version() });
        for (const m of queue.splice(0)) answer(m.id, () => host.call(m.op, m.args));
      }, (err) => self.postMessage({ id, error: String((err && err.message) || err) }));
      return;
    }
    if (!host) queue.push({ id, op, args });
    else answer(id, () => host.call(op, args));
  };
}
