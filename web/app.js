// haloplan's page: the state and its wiring. It reads the knobs, asks the wasm core for the view,
// hands the result to the renderers (render.js) through the part scheduler (schedule.js), keeps
// the scenario in the URL fragment and the user's catalog in the browser.
import { loadCore, computeView, needParts, fullTable, decodeLink, exportTable, calibrate, watchBusy } from './core.js';
import { el, replace, copyText, download, downloadBlob, svgToPng, shownWidth, watchWidths } from './dom.js';
import { tableView } from './table.js';
import { loadCatalog, saveCatalog, sameCatalog, loadTheme, saveTheme } from './store.js';
import { CatalogEditor } from './catalog.js';
import { renderPart, createScheduler } from './schedule.js';
import {
  initRender, flash, renderKnobs, renderAnswer, renderCompare, renderResident, renderCluster, renderMap, renderFit, renderLayout, renderSpeed, renderCalibration, renderSetup, renderGuide, watchEvidence,
} from './render.js';

const app = {
  state: null,
  result: null,
  saved: { custom: [], removed: [] },
  linkCatalog: false,  // the view shows a catalog that came with the link, not the saved one
  sticky: [],          // notices that stay until dismissed: {id, text, actions}
  editor: null,
  embed: null,         // ?embed=fit|speed|setup|layout: one part, no chrome
  started: false,      // the core is up and main() has the first state
};

const EMBEDS = ['fit', 'speed', 'setup', 'layout'];

// The fit and speed tables come from the core this many rows at a time (filtered and sorted
// there), with a button for more; their exports copy every row.
const ROWS_PER_PAGE = 200;
const rowsShown = { fit: ROWS_PER_PAGE, speed: ROWS_PER_PAGE };
function pageOpts(name, t) {
  return {
    total: t.matching,
    limit: ROWS_PER_PAGE,
    onMore: () => { rowsShown[name] += ROWS_PER_PAGE; update(); },
    exportAll: async () => {
      const all = await fullTable(app.result, name);
      return { title: all.title, headers: all.headers, rows: all.rows, notes: all.notes };
    },
  };
}

const $ = (id) => document.getElementById(id);

function viewCatalog() {
  return { custom: app.state.custom || [], removed: app.state.removed || [] };
}

// ---------------------------------------------------------------- notices

function addSticky(id, text, actions = []) {
  app.sticky = app.sticky.filter((n) => n.id !== id).concat([{ id, text, actions }]);
  renderNotices();
}

function dropSticky(id) {
  app.sticky = app.sticky.filter((n) => n.id !== id);
  renderNotices();
}

function renderNotices() {
  const fromCore = (app.result ? app.result.notices : []).map((n) => ({ text: n.message, actions: [] }));
  replace('notices', app.sticky.concat(fromCore).map((n) => el('div', { class: 'notice' },
    el('span', null, n.text),
    n.actions.map(([label, fn]) => el('button', { type: 'button', onclick: fn }, label)),
    n.id ? el('button', { type: 'button', 'aria-label': 'Dismiss this notice', onclick: () => dropSticky(n.id) }, 'Dismiss') : null)));
}

// ---------------------------------------------------------------- state and recompute

// The core answers from its worker, so a change is drawn when its answer comes. One request is
// on its way at a time: changes made meanwhile are folded into the next one, and an answer that
// a later change has overtaken is not drawn (its knobs would undo what the reader just set).
let computing = null;
let recompute = false;
function update() {
  if (!app.started) return Promise.resolve();  // the core is not up yet; main() draws the first view
  if (computing) {
    recompute = true;
    return computing;
  }
  computing = (async () => {
    for (;;) {
      recompute = false;
      let r;
      try {
        r = await computeView(app.state, rowsShown, scheduler.nearNeeds());
      } catch (e) {
        coreFailed(e);
        return;
      }
      if (recompute) continue;
      app.result = r;
      app.state = r.state;
      render(r);
      document.dispatchEvent(new Event('haloplan-drawn'));  // the parts in view are drawn (bench/web times this)
      return;
    }
  })().finally(() => { computing = null; });
  return computing;
}

function coreFailed(e) {
  addSticky('core', `The planner stopped: ${e.message}. Reload the page; your catalog and the link are kept.`);
}

// The address bar follows the view a moment after each change (with the parts drawn after it),
// so a burst of input writes the history entry once, not per keystroke.
function writeLink() {
  const link = `#${app.result.link}`;
  if (location.hash !== link) history.replaceState(null, '', link);
}

function setState(patch) {
  app.state = { ...app.state, ...patch };
  update();
}

function commitCatalog(next, message, undoable = false) {
  app.state = { ...app.state, custom: next.custom, removed: next.removed };
  let saved = '';
  if (app.linkCatalog) {
    saved = ' Not saved in this browser: you are viewing a link\'s catalog.';
  } else {
    try {
      saveCatalog(next);
      app.saved = next;
    } catch (e) {
      saved = ` Warning: ${e.message}.`;
      addSticky('store-save', `Could not save the catalog: ${e.message}.`);
    }
  }
  update();
  const status = $('cat-status');
  replace(status, `${message}${saved} `,
    undoable ? el('button', { type: 'button', onclick: () => app.editor.undoLast() }, 'Undo') : null);
}

// ---------------------------------------------------------------- knobs and rendering

function readKnobs() {
  const s = { ...app.state };
  // The focused model: a new model opens at its release format, or keeps a preset the view had.
  const model = $('k-model').value;
  const quant = $('k-quant').value;
  if (model && model !== s.model) {
    const m = ((app.result && app.result.info.models) || []).find((x) => x.id === model);
    s.model = model;
    s.quant = (m && m.release) || (quant.includes(':') ? 'Q4_K_M' : quant);
  } else if (quant) {
    s.quant = quant;
  }
  const machine = $('k-machine').value;
  if (machine !== s.machine) {
    s.machine = machine;
    s.carve = null;
    s.backend = '';
  } else {
    s.carve = $('k-carve').value === '' ? null : Number($('k-carve').value);
    s.backend = $('k-backend').value;
  }
  const num = (id, lo, hi, fallback, allowEmpty) => {
    const input = $(id);
    const raw = input.value.trim();
    if (raw === '' && allowEmpty) { input.removeAttribute('aria-invalid'); return null; }
    const v = Number(raw);
    const ok = raw !== '' && Number.isFinite(v) && v >= lo && v <= hi;
    if (ok) input.removeAttribute('aria-invalid'); else input.setAttribute('aria-invalid', 'true');
    return ok ? v : fallback;
  };
  s.gtt = num('k-gtt', 0, 65536, s.gtt, true);
  s.reserve = num('k-reserve', 0, 65536, s.reserve, true);
  s.ctx = Math.round(num('k-ctx', 1, 67108864, s.ctx, false));
  s.slots = Math.round(num('k-slots', 1, 256, s.slots, false));
  s.prompt = Math.round(num('k-prompt', 1, 67108864, s.prompt, false));
  s.ckpt = Math.round(num('k-ckpt', 0, 4096, s.ckpt, false));
  s.cacheram = Math.round(num('k-cacheram', -1, 16777216, s.cacheram, false));
  s.vision = $('k-vision').checked;
  const mm = num('k-mmproj', 1, 1048576, s.mmproj, true);
  s.mmproj = mm === null ? null : Math.round(mm);
  s.draft = $('k-draft').value;
  // Only builds other than an engine's default go into the state (and the link); an engine whose
  // select is hidden (not on this machine) keeps what the state had.
  const fams = (app.result && app.result.info.builds) || [];
  const engineOf = (id) => (fams.find((b) => b.id === id) || {}).engine;
  s.builds = [$('k-build-vulkan'), $('k-build-rocm')].flatMap((x) => {
    if (x.closest('.field').hidden) return (s.builds || []).filter((id) => engineOf(id) === x.dataset.engine);
    return x.value && !fams.some((b) => b.id === x.value && b.default) ? [x.value] : [];
  });
  s.draftq = $('k-draftq').value || 'Q8_0';
  s.mtp = $('k-mtp').checked;
  // A discrete GPU's --n-cpu-moe; empty: as many layers as VRAM needs.
  const nc = num('k-ncmoe', 0, 1024, s.ncmoe, true);
  s.ncmoe = nc === null ? null : Math.round(nc);
  // The box says whether the kernel lets HIP reach GTT; a stated version stays until it is flipped.
  const hip = $('k-rocmgtt').checked;
  if (!app.result || hip !== app.result.hip_gtt) s.kernel = hip ? '' : 'older';
  s.ktype = $('k-ktype').value;
  s.vtype = $('k-vtype').value;
  s.unified = $('k-unified').checked;
  s.fa = $('k-fa').checked;
  // The view's order of quants (a link's, say) stays; newly ticked ones come after it.
  const checked = [...$('k-quants').querySelectorAll('input:checked')].map((i) => i.value);
  const kept = s.quants.filter((q) => checked.includes(q));
  s.quants = checked.length ? kept.concat(checked.filter((q) => !kept.includes(q))) : s.quants;
  return s;
}

// Saves a table's rows on screen as the core draws them (`haloplan ... --format svg`): SVG, or
// that SVG as a PNG at twice its size.
async function saveTableImage(shown, format, button) {
  const t = await shown;
  const name = `haloplan-${(t.title.split(' — ')[0] || 'table').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '')}`;
  let svg;
  try {
    svg = await exportTable(t, 'svg');
  } catch (e) {
    flash(button, 'Save failed');
    coreFailed(e);
    return;
  }
  app.lastExport = svg;
  if (format === 'svg') {
    download(`${name}.svg`, svg, 'image/svg+xml');
    flash(button, 'Saved');
    return;
  }
  const [, w, h] = svg.match(/^<svg[^>]* width="([\d.]+)" height="([\d.]+)"/) || [];
  try {
    downloadBlob(`${name}.png`, await svgToPng(svg, Number(w), Number(h)));
    flash(button, 'Saved');
  } catch (err) {
    flash(button, `PNG failed: ${err.message}${err.tooLarge ? `, or filter the ${t.rows.length} rows` : ''}`);
  }
}

// Copy a table as shown, rendered by the core (the CLI's own Markdown and CSV).
async function onExport(shown, format, button) {
  if (format === 'svg' || format === 'png') {
    await saveTableImage(shown, format, button);
    return;
  }
  let text;
  try {
    text = await exportTable(await shown, format);
  } catch (e) {
    flash(button, 'Copy failed');
    coreFailed(e);
    return;
  }
  app.lastExport = text;
  flash(button, (await copyText(text)) ? 'Copied' : 'Copy failed');
}

// The page's parts, in page order. A part on screen is drawn with the change that produced the
// result; the others are drawn right after it, one part per task (so a burst of input pays only
// for what is on screen), or as soon as they scroll into view.
// Each comes with the core parts it reads (the head's members come with every result).
const PARTS = [
  ['link', writeLink],
  ['answer', (r) => renderAnswer(r), ['answer']],
  ['compare', (r) => renderCompare(r), ['compare']],
  ['resident', (r) => renderResident(r), ['resident']],
  ['cluster', (r) => renderCluster(r), ['cluster']],
  ['map', (r) => drawMap(r), ['map']],
  ['layout', (r) => drawLayout(r)],
  ['fit', (r) => renderFit(r), ['fit']],
  ['speed', (r) => {
    renderSpeed(r);
    renderPart('calibration', [r.info.backends, r.state.cal], () => renderCalibration(r));
  }, ['speed', 'ceiling']],
  ['setup', (r) => renderPart('setup', [r.setup, r.kernel], () => renderSetup(r)), ['setup']],
  ['guide', (r) => renderPart('guide', [r.pools, r.backends, r.focus && r.focus.backends, r.focus && r.focus.read_bytes, r.strategies, r.info.tunings, r.state.model, r.state.quant, r.state.ctx, r.state.backend], () => renderGuide(r))],
  ['catalog', () => app.editor.refresh()],
];
// The pictures are drawn at the width they are shown at, so a width is part of what they show.
const widthOf = shownWidth;
function drawMap(r) {
  renderPart('map', [r.map, r.state.model, r.state.quant, widthOf('map-svg')], () => renderMap(r));
}
function drawLayout(r) {
  renderPart('layout', [r.pools, r.focus && r.focus.terms, r.focus && r.focus.backends, r.machine, r.state.ctx, r.state.backend,
    widthOf('layout-svg')], () => renderLayout(r));
}
const scheduler = createScheduler(PARTS, () => app.result, needParts, coreFailed);
watchBusy((on) => scheduler.setBusy(on));
// A new width draws the pictures again.
let resizeTimer = 0;
watchWidths(() => {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(() => {
    const r = app.result;
    if (!r) return;
    drawMap(r);
    drawLayout(r);
    renderSpeed(r);
  }, 150);
});
const later = (name) => scheduler.later(name);
initRender({ setState, later, pageOpts, onExport, need: needParts, coreFailed });

// Paste-back calibration: the fitted value waits in `pendingCal` until the user applies it.
let pendingCal = null;

async function fitCalibration() {
  let res;
  try {
    res = await calibrate(app.state, $('cal-text').value, $('cal-backend').value);
  } catch (e) {
    res = { error: `the calibration fitter could not be loaded (${e.message})` };
  }
  pendingCal = res.cal ? { merged: res.cal_merged, backend: res.backend } : null;
  $('cal-use').disabled = !pendingCal;
  replace('cal-result', res.table ? tableView(res.table, { onExport }) : el('p', {}, res.error));
}

function useCalibration() {
  if (!pendingCal) return;
  setState({ cal: pendingCal.merged, backend: pendingCal.backend });
  pendingCal = null;
  $('cal-use').disabled = true;
}

function render(r) {
  renderKnobs(r);
  scheduler.draw(r);
  renderNotices();
  if (app.embed) {
    $('embed-open').href = `./#${r.link}`;
    if (window.parent !== window) window.parent.postMessage({ source: 'haloplan', embed: app.embed, height: document.documentElement.scrollHeight }, '*');
  }
  const banner = $('catalog-banner');
  banner.hidden = !app.linkCatalog;
  if (app.linkCatalog) {
    replace(banner, el('span', null, 'You are viewing the catalog that came with the link; your own saved catalog is kept and edits here are not saved.'),
      el('button', { type: 'button', onclick: keepLinkCatalog }, 'Save these models to my catalog'),
      el('button', { type: 'button', onclick: useMyCatalog }, 'Use my catalog instead'));
  }
}

// ---------------------------------------------------------------- link catalog vs saved catalog

function keepLinkCatalog() {
  const view = viewCatalog();
  const ids = new Set(view.custom.map((m) => m.id));
  const merged = {
    custom: app.saved.custom.filter((m) => !ids.has(m.id)).concat(view.custom),
    removed: [...new Set(app.saved.removed.concat(view.removed))],
  };
  app.linkCatalog = false;
  dropSticky('link-catalog');
  commitCatalog(merged, 'The link\'s models are now in your catalog.');
}

function useMyCatalog() {
  app.linkCatalog = false;
  dropSticky('link-catalog');
  setState({ custom: app.saved.custom, removed: app.saved.removed });
}

// ---------------------------------------------------------------- wiring

function applyTheme(t) {
  if (t === 'auto') document.documentElement.removeAttribute('data-theme');
  else document.documentElement.setAttribute('data-theme', t);
  const b = $('theme');
  b.textContent = `Theme: ${t}`;
  b.setAttribute('aria-label', `Colour theme: ${t === 'auto' ? 'automatic' : t}. Press to change.`);
}

function wire() {
  for (const form of [$('knob-form'), $('quick-form')]) {
    form.addEventListener('input', () => { app.state = readKnobs(); update(); });
    form.addEventListener('change', () => { app.state = readKnobs(); update(); });
    form.addEventListener('submit', (e) => e.preventDefault());
  }
  $('fit-filter').addEventListener('input', (e) => setState({ filter: e.target.value.slice(0, 200) }));
  // B of the comparison: changes to this view, "key:value;…" in the state and the link.
  const cmpSet = (patch) => {
    const m = new Map((app.state.cmp || '').split(';').filter(Boolean).map((p) => [p.slice(0, p.indexOf(':')), p.slice(p.indexOf(':') + 1)]));
    for (const [k, v] of Object.entries(patch)) if (v === null) m.delete(k); else m.set(k, String(v));
    setState({ cmp: [...m].map(([k, v]) => `${k}:${v}`).join(';') });
  };
  const strategy = (id) => (app.result.strategies || []).find((x) => x.id === id);
  $('cmp-gtt-first').addEventListener('click', () => { const g = strategy('gtt-first'); if (g) cmpSet({ carve: g.carve_out_gib, gtt: Math.floor(g.gtt_gib) }); });
  $('cmp-uma-first').addEventListener('click', () => { const u = strategy('uma-first'); if (u) cmpSet({ carve: u.carve_out_gib, gtt: null }); });
  $('cmp-machine').addEventListener('change', (e) => cmpSet({ machine: e.target.value === app.state.machine ? null : e.target.value, carve: null, gtt: null, backend: null }));
  $('cmp-backend').addEventListener('change', (e) => cmpSet({ backend: e.target.value === app.state.backend ? null : e.target.value }));
  $('cmp-ctx').addEventListener('change', (e) => { const v = Math.round(Number(e.target.value)); if (Number.isFinite(v) && v >= 256) cmpSet({ ctx: v === app.state.ctx ? null : v }); });
  $('cmp-clear').addEventListener('click', () => setState({ cmp: '' }));
  // A model beside the focused one: an embedder first (the usual companion), else the first model.
  $('res-add').addEventListener('click', () => {
    const models = (app.result && app.result.info.models) || [];
    const pick = models.find((x) => x.role === 'embedding') || models[0];
    if (pick) setState({ set: [...(app.state.set || []), `${pick.id}@Q8_0@8192`] });
  });
  $('res-clear').addEventListener('click', () => setState({ set: [] }));
  $('cl-nodes').addEventListener('change', (e) => setState({ nodes: Number(e.target.value) }));
  $('cl-link').addEventListener('change', (e) => setState({ link: e.target.value }));
  for (const box of document.querySelectorAll('[data-fitsonly]')) box.addEventListener('change', (e) => setState({ fitsonly: e.target.checked }));
  $('cal-fit').addEventListener('click', fitCalibration);
  $('cal-use').addEventListener('click', useCalibration);
  $('download-scenario').addEventListener('click', () => {
    const r = app.result;
    download('haloplan-scenario.json', `${JSON.stringify({ schema: 'haloplan-scenario', version: 1, link: `#${r.link}`, state: r.state }, null, 2)}\n`);
  });
  $('copy-link').addEventListener('click', async () => {
    writeLink();
    const ok = await copyText(location.href);
    $('copy-link').textContent = ok ? 'Link copied' : 'Copy failed — use the address bar';
    setTimeout(() => { $('copy-link').textContent = 'Copy link'; }, 1500);
  });
  $('theme').addEventListener('click', () => {
    const order = ['auto', 'light', 'dark'];
    const next = order[(order.indexOf(loadTheme()) + 1) % order.length];
    saveTheme(next);
    applyTheme(next);
  });
  for (const a of document.querySelectorAll('[data-scroll]')) {
    a.addEventListener('click', (e) => {
      // The fragment holds the scenario: a section link becomes at=<id> in it, and scrolls.
      e.preventDefault();
      const id = a.dataset.scroll;
      if (app.state && id !== 'main') setState({ at: id });
      scrollToSection(id, true);
    });
  }
}

// A link pasted into this tab's address bar (or back/forward) changes only the fragment.
async function onHashChange() {
  const fragment = location.hash.slice(1);
  if (!app.result || fragment === app.result.link) return;
  let d;
  try {
    d = await decodeLink(fragment);
  } catch (e) {
    coreFailed(e);
    return;
  }
  if (d.notices.length) addSticky('link', `This link is partly broken: ${d.notices.map((n) => n.message).join('; ')}.`);
  else dropSticky('link');
  const state = d.state;
  if (!state.custom.length && !state.removed.length) {
    state.custom = app.state.custom;
    state.removed = app.state.removed;
  }
  app.state = state;
  update();
}

// Sections out of view are not laid out until shown (content-visibility) and parts far from the
// viewport are drawn a moment later, so a first jump past them lands short once they take their
// real height: the jump is repeated until the target holds still, unless the reader scrolls.
let scrollFix = 0;
function scrollToSection(id, byUser) {
  const target = id && $(id);
  if (!target) return;
  const margin = parseFloat(getComputedStyle(target).scrollMarginTop) || 0;
  target.scrollIntoView({ block: 'start' });
  const run = ++scrollFix;
  const stop = () => { if (run === scrollFix) scrollFix++; };
  for (const ev of ['wheel', 'touchstart', 'keydown']) window.addEventListener(ev, stop, { once: true, passive: true });
  let last = NaN;
  let still = 0;
  let frames = 0;
  const settle = () => {
    if (run !== scrollFix || ++frames > 120) return;
    const top = target.getBoundingClientRect().top;
    if (Math.abs(top - margin) > 2) target.scrollIntoView({ block: 'start' });
    still = Math.abs(top - last) < 1 ? still + 1 : 0;
    last = top;
    if (still < 8) requestAnimationFrame(settle);
  };
  requestAnimationFrame(settle);
  if (!byUser) return;  // a deep link scrolls; focus moves only when the reader asked
  const h = target.matches('h2, h3') ? target : (target.querySelector('h2') || target);
  if (!h.hasAttribute('tabindex')) h.setAttribute('tabindex', '-1');
  h.focus({ preventScroll: true });
}

function registerServiceWorker() {
  if (!('serviceWorker' in navigator) || location.protocol === 'file:') return;
  let reloading = false;
  navigator.serviceWorker.addEventListener('controllerchange', () => {
    if (reloading) location.reload();
  });
  navigator.serviceWorker.register('sw.js').then((reg) => {
    const offer = () => {
      if (!reg.waiting || !navigator.serviceWorker.controller) return;
      $('update').hidden = false;
      $('update-reload').onclick = () => {
        reloading = true;
        reg.waiting.postMessage('skip-waiting');
      };
    };
    offer();
    reg.addEventListener('updatefound', () => {
      const w = reg.installing;
      if (w) w.addEventListener('statechange', () => { if (w.state === 'installed') offer(); });
    });
  }).catch((e) => addSticky('sw', `Offline use is unavailable: ${e.message}`));
}

async function main() {
  const embed = new URLSearchParams(location.search).get('embed');
  if (embed !== null) {
    if (EMBEDS.includes(embed)) {
      app.embed = embed;
      document.documentElement.dataset.embed = embed;
    } else {
      addSticky('embed', `Unknown embed '${embed.slice(0, 32)}' (use ${EMBEDS.join(', ')}); showing the whole page.`);
    }
  }
  applyTheme(loadTheme());
  wire();
  let version;
  try {
    version = await loadCore();
  } catch (e) {
    $('loading').textContent = `The planner could not start: ${e.message}. This page needs a browser with WebAssembly.`;
    $('loading').hidden = false;
    return;
  }
  $('version').textContent = version;
  const store = loadCatalog();
  app.saved = store.catalog;
  // An embed never saves (it has no catalog editor), so storage it cannot reach is not news.
  if (store.unavailable && !app.embed) addSticky('store', `Your catalog cannot be saved: ${store.unavailable}.`);
  if (store.damaged) {
    const text = store.damaged.text;
    addSticky('store', `The catalog saved in this browser is damaged (${store.damaged.reason}); the shipped catalog is shown. Your saved data is kept aside.`,
      [['Download the damaged data', () => download('haloplan-damaged-catalog.json', text, 'text/plain')]]);
  }
  let state = {};
  const fragment = location.hash.slice(1);
  if (fragment) {
    const d = await decodeLink(fragment);
    state = d.state;
    if (d.notices.length) {
      addSticky('link', `This link is partly broken: ${d.notices.map((n) => n.message).join('; ')}.`);
    }
  }
  if ((state.custom && state.custom.length) || (state.removed && state.removed.length)) {
    if (!sameCatalog(viewCatalogOf(state), app.saved)) {
      app.linkCatalog = true;
      if (app.saved.custom.length || app.saved.removed.length) {
        addSticky('link-catalog', 'This link brings its own catalog entries; your saved catalog is kept.',
          [['Save the link\'s models to my catalog', keepLinkCatalog], ['Use my catalog', useMyCatalog]]);
      }
    }
  } else {
    state.custom = app.saved.custom;
    state.removed = app.saved.removed;
  }
  app.state = state;
  app.editor = new CatalogEditor({
    catalog: viewCatalog,
    commit: commitCatalog,
    info: () => app.result.info,
    state: () => app.state,
    // Show an imported model everywhere: focus it and make sure its quant has a column.
    focus: (model, quant) => setState({ model, quant, quants: app.state.quants.includes(quant) ? app.state.quants : app.state.quants.concat([quant]) }),
  });
  // The prerendered default view is on screen already and equals the live one: its parts are
  // redrawn one per task after the head instead of in the same task, which keeps the main thread
  // free for input. Any other view draws the parts in view at once (they are hidden until then).
  const prerenderedDefault = document.documentElement.dataset.prerendered === '';
  if (!prerenderedDefault) scheduler.seedNear();
  app.started = true;
  await update();
  if (!app.result) return;  // the core stopped (its notice says so)
  scheduler.watchParts();
  watchEvidence();
  window.addEventListener('hashchange', onHashChange);
  $('loading').hidden = true;
  delete document.documentElement.dataset.prerendered;  // the live tables replace the build's
  document.body.dataset.ready = 'true';
  performance.mark('haloplan-first-tables');
  if (app.state.at && !app.embed) scrollToSection(app.state.at, false);
  if (!app.embed) registerServiceWorker();
}

function viewCatalogOf(s) {
  return { custom: s.custom || [], removed: s.removed || [] };
}

main();
