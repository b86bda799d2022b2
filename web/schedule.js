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

// parts: [name, draw(result)] in page order (each name the id of its element; "link" has none);
// current(): the latest result, for parts drawn later.
export function createScheduler(parts, current) {
  const $ = (id) => document.getElementById(id);
  const PARTS = parts;
  const drawPart = new Map(PARTS);
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
  const stale = new Set();
  // Parts drawn only in view: the rest of a big table's rows, patched right after (see patchTable).
  const unfinished = new Map();
  const later = (name) => (fn) => unfinished.set(name, fn);
  let drawTimer = 0;

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
    // Printing shows every part.
    window.addEventListener('beforeprint', () => { finishAll(); markPending(); });
  }

  function drawStale(name) {
    stale.delete(name);
    unfinished.delete(name);
    drawPart.get(name)(current());
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

  // body[data-pending] lists the parts not yet drawn, or not all drawn, from the latest result
  // (tests wait for none). They are drawn one per task: first the rest of parts drawn in view.
  function markPending() {
    const pending = [...unfinished.keys(), ...stale];
    if (pending.length) document.body.dataset.pending = pending.join(' ');
    else delete document.body.dataset.pending;
    if (pending.length && !drawTimer) {
      drawTimer = setTimeout(() => {
        drawTimer = 0;
        if (unfinished.size) finish(unfinished.keys().next().value);
        else {
          const next = PARTS.find(([name]) => stale.has(name));
          if (next) drawStale(next[0]);
        }
        markPending();
      }, 0);
    }
  }

  // Draws the parts in view now and marks the others to follow.
  function draw(r) {
    for (const [name, fn] of PARTS) {
      unfinished.delete(name);
      if (near.has(name)) {
        stale.delete(name);
        fn(r);
      } else {
        stale.add(name);
      }
    }
    markPending();
  }

  return { draw, later, seedNear, watchParts, finishAll, markPending };
}
