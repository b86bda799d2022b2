// When each part of the page is drawn. A part on screen is drawn with the change that produced
// the result; the others right after it, one part per task (so a burst of input pays only for
// what is on screen), or as soon as they scroll into view. body[data-pending] names the parts not
// yet drawn from the latest result.

// Re-renders a part only when what it shows has changed (most knobs leave setup, guide and the
// ceiling table as they were).
const lastRendered = new Map();
export function renderPart(name, inputs, fn) {
  const key = JSON.stringify(inputs);
  if (lastRendered.get(name) === key) return;
  lastRendered.set(name, key);
  fn();
}

// parts: [name, draw(result), core parts it reads] in page order (each name the id of its element;
// "link" has none); current(): the latest result, for parts drawn later; fetch(result, names) ->
// Promise: brings those core parts into the result (they come from the core's worker);
// onError(error): a fetch failed.
export function createScheduler(parts, current, fetch, onError) {
  const $ = (id) => document.getElementById(id);
  const PARTS = parts;
  const drawPart = new Map(PARTS.map(([name, fn]) => [name, fn]));
  const needs = new Map(PARTS.map(([name, , want]) => [name, want || []]));
  const ready = (r, name) => needs.get(name).every((k) => k in r);
  // The parts on screen (the link is always written after). Until the first intersection report
  // they are taken from the parts' boxes; without layout (the build's prerender) every part counts.
  const near = new Set();
  function seedNear() {
    const names = PARTS.map(([name]) => name).filter((name) => name !== 'link');
    const boxes = names.map((name) => $(name).getBoundingClientRect());
    const laidOut = boxes.some((b) => b.width || b.height);
    names.forEach((name, i) => {
      if (!laidOut || (boxes[i].bottom > 0 && boxes[i].top < window.innerHeight)) near.add(name);
    });
  }
  // The core parts the parts on screen read: asked for with the head, so they draw at once.
  function nearNeeds() {
    return [...new Set([...near].flatMap((name) => needs.get(name)))];
  }
  const stale = new Set();
  // Parts drawn only in view: the rest of a big table's rows, patched right after (see patchTable).
  const unfinished = new Map();
  const later = (name) => (fn) => unfinished.set(name, fn);
  let drawTimer = 0;
  let fetching = null;  // a part whose core parts are on their way (one at a time)
  let busy = false;     // a core call is on its way

  function watchParts() {
    if (!('IntersectionObserver' in window)) return;
    const io = new IntersectionObserver((entries) => {
      for (const e of entries) {
        const name = e.target.id;
        if (!e.isIntersecting) {
          near.delete(name);
          continue;
        }
        near.add(name);
        if (stale.has(name)) drawStale(name);
      }
      markPending();
    }, { rootMargin: '0px' });
    for (const [name] of PARTS) if (name !== 'link') io.observe($(name));
    // Printing shows every part (those the core has sent; the others follow).
    window.addEventListener('beforeprint', () => { finishAll(); markPending(); });
  }

  // Draws a part from the latest result, once the core parts it reads are there.
  function drawStale(name) {
    const r = current();
    if (!ready(r, name)) {
      if (fetching) return;  // markPending's timer comes back to it
      fetching = name;
      fetch(r, needs.get(name)).catch((e) => {
        stale.delete(name);
        onError(e);
      }).then(() => {
        fetching = null;
        if (current() === r && stale.has(name) && ready(r, name)) drawStale(name);
        markPending();
      });
      return;
    }
    stale.delete(name);
    unfinished.delete(name);
    drawPart.get(name)(r);
  }

  function finish(name) {
    const fn = unfinished.get(name);
    unfinished.delete(name);
    fn();
  }

  function finishAll() {
    for (const name of [...unfinished.keys()]) finish(name);
    for (const name of [...stale]) drawStale(name);
  }

  // body[data-pending] lists the parts not yet drawn, or not all drawn, from the latest result,
  // and "core" while a call to the core is on its way (tests wait for none). They are drawn one
  // per task: first the rest of parts drawn in view.
  function markPending() {
    const pending = [...unfinished.keys(), ...stale];
    const shown = busy ? pending.concat(['core']) : pending;
    if (shown.length) document.body.dataset.pending = shown.join(' ');
    else delete document.body.dataset.pending;
    if (pending.length && !drawTimer && !fetching) {
      drawTimer = setTimeout(() => {
        drawTimer = 0;
        if (unfinished.size) finish(unfinished.keys().next().value);
        else {
          const next = PARTS.find(([name]) => stale.has(name) && near.has(name)) || PARTS.find(([name]) => stale.has(name));
          if (next) drawStale(next[0]);
        }
        markPending();
      }, 0);
    }
  }

  function setBusy(on) {
    busy = on;
    markPending();
  }

  // Draws the parts in view now (those whose core parts came with the head) and marks the others
  // to follow.
  function draw(r) {
    for (const [name, fn] of PARTS) {
      unfinished.delete(name);
      if (near.has(name) && ready(r, name)) {
        stale.delete(name);
        fn(r);
      } else {
        stale.add(name);
      }
    }
    markPending();
  }

  return { draw, later, seedNear, nearNeeds, watchParts, finishAll, markPending, setBusy };
}
