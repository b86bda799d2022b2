// The planner on the page's own thread: the single-file page (no workers from file://) and the
// build's prerender in jsdom put this file in place of core-transport.js.
import { createHost } from './core-host.js';

export async function openTransport(compiled) {
  const host = await createHost(compiled);
  return { inline: host.wasm, call: (op, args) => host.call(op, args) };
}
