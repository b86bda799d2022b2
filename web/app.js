// haloplan's page: reads the knobs, asks the wasm core for every table, draws them, keeps the
// scenario in the URL fragment and the user's catalog in the browser.
import { loadCore, computeView, fullTable, decodeLink, exportTable, calibrate } from './core.js';
import { el, replace, tableView, patchTable, replaceFrozen, copyText, download, gibText } from './dom.js';
import { layoutPicture, speedChart } from './pictures.js';
import { loadCatalog, saveCatalog, sameCatalog, loadTheme, saveTheme } from './store.js';
import { CatalogEditor } from './catalog.js';

const app = {
  state: null,
  result: null,
  saved: { custom: [], removed: [] },
  linkCatalog: false,  // the view shows a catalog that came with the link, not the saved one
  sticky: [],          // notices that stay until dismissed: {id, text, actions}
  editor: null,
  embed: null,         // ?embed=fit|speed|setup|layout: one part, no chrome
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
    exportAll: () => {
      const all = fullTable(app.result, name);
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

function update() {
  const r = computeView(app.state, rowsShown);
  app.result = r;
  app.state = r.state;
  render(r);
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

// ---------------------------------------------------------------- rendering

function flash(button, text) {
  const old = button.dataset.label || button.textContent;
  button.dataset.label = old;
  button.textContent = text;
  setTimeout(() => { button.textContent = old; }, 1500);
}

// Copy a table as shown, rendered by the core (the CLI's own Markdown and CSV).
async function onExport(shown, format, button) {
  const text = exportTable(shown, format);
  app.lastExport = text;
  flash(button, (await copyText(text)) ? 'Copied' : 'Copy failed');
}

function copyButton(label, text, id) {
  return el('button', { type: 'button', id, onclick: async (e) => flash(e.currentTarget, (await copyText(text)) ? 'Copied' : 'Copy failed — select the text') }, label);
}

function setOptions(select, options, value) {
  const key = JSON.stringify(options);
  if (select.dataset.key !== key) {
    select.dataset.key = key;
    replace(select, options.map(([v, label]) => el('option', { value: v }, label)));
  }
  select.value = value;
}

function setValue(input, value) {
  if (document.activeElement === input) return;  // never fight the user's typing
  const v = value === null || value === undefined ? '' : String(value);
  if (input.value !== v) input.value = v;
}

function renderKnobs(r) {
  const s = r.state;
  const info = r.info;
  const m = info.machines.find((x) => x.id === s.machine);
  setOptions($('k-machine'), info.machines.map((x) => [x.id, x.name]), s.machine);
  $('k-ram').value = `${m.ram_gib} GiB`;
  const carve = $('k-carve');
  setOptions(carve, [['', m.apu ? `machine default (${m.default_carve_out_gib} GiB)` : 'none on this machine']]
    .concat(m.carve_out_options_gib.map((o) => [String(o), `${o} GiB`])), s.carve === null ? '' : String(s.carve));
  carve.disabled = !m.apu;
  setValue($('k-gtt'), s.gtt);
  $('k-gtt').placeholder = `kernel default (${gibText(r.pools.gtt_default ? r.pools.gtt : 0, 0)} GiB)`;
  if (!r.pools.gtt_default) $('k-gtt').placeholder = 'kernel default';
  setValue($('k-reserve'), s.reserve);
  $('k-reserve').placeholder = `default (${m.default_os_reserve_gib} GiB)`;
  const switchable = m.backends.some((id) => (info.backends.find((b) => b.id === id) || {}).gtt_switchable);
  $('k-rocmgtt').checked = s.rocmgtt;
  $('k-rocmgtt').closest('.field').hidden = !switchable;
  setOptions($('k-backend'), m.backends.map((id) => [id, (info.backends.find((b) => b.id === id) || { name: id }).name]), s.backend);
  setValue($('k-ctx'), s.ctx);
  setOptions($('k-ktype'), info.cache_types.map((t) => [t, t]), s.ktype);
  setOptions($('k-vtype'), info.cache_types.map((t) => [t, t]), s.vtype);
  setValue($('k-slots'), s.slots);
  $('k-unified').checked = s.unified;
  $('k-fa').checked = s.fa;
  setValue($('k-prompt'), s.prompt);
  const quants = info.quants.concat(s.quants.filter((q) => !info.quants.includes(q)));
  const box = $('k-quants');
  if (box.dataset.key !== quants.join()) {
    box.dataset.key = quants.join();
    replace(box, quants.map((q) => el('label', null,
      el('input', { type: 'checkbox', value: q, 'data-quant': q }), q)));
  }
  for (const input of box.querySelectorAll('input')) input.checked = s.quants.includes(input.value);
}

function readKnobs() {
  const s = { ...app.state };
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
  s.rocmgtt = $('k-rocmgtt').checked;
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

const VERDICT_CLASS = { 'carve-out': 'v-carve-out', gtt: 'v-gtt', 'no-fit': 'v-no-fit', 'os-squeeze': 'v-os-squeeze' };

function renderFit(r) {
  const s = r.state;
  const t = r.fit;
  const order = t.rows.map((_, i) => i);  // filtered and sorted by the core
  $('fit-count').textContent = `${t.matching} of ${t.total} rows`;
  setValue($('fit-filter'), s.filter);
  const nb = r.backends.length;
  const firstVerdict = t.headers.length - nb;
  const verdictClass = (i, j) => {
    const d = t.data[i];
    const v = d.error ? 'refused' : d.verdicts[t.headers[j]].verdict;
    return `v ${VERDICT_CLASS[v] || 'v-refused'}`;
  };
  const opts = {
    order,
    later: later('fit'),
    ...pageOpts('fit', t),
    onExport,
    sort: { col: s.sort, desc: s.desc },
    onSort: (h) => setState({ sort: h, desc: s.sort === h ? !s.desc : false }),
    rowClass: (i) => (t.data[i].model === s.model && t.data[i].quant === s.quant ? 'focused' : null),
    cell: (i, j, text) => {
      const d = t.data[i];
      if (j === 0) {
        return el('button', { type: 'button', class: 'pick', 'aria-label': `Show ${d.name} ${d.quant} in detail`,
          onclick: () => setState({ model: d.model, quant: d.quant }) }, text);
      }
      if (j >= firstVerdict) return el('span', { class: verdictClass(i, j) }, text);
      return null;
    },
    patchCell: (i, j, text, td) => {
      if (j === 0) return true;  // the same model: its button stays
      if (j < firstVerdict) return false;
      const span = td.firstChild;
      const cls = verdictClass(i, j);
      if (span.className !== cls) span.className = cls;
      if (span.textContent !== text) span.textContent = text;
      return true;
    },
  };
  const box = $('fit-table');
  if (patchTable(box.firstChild, t, opts)) {
    renderFocus(r);
    return;
  }
  replaceFrozen('fit-table', tableView(t, opts));
  renderFocus(r);
}

// The focused model's part is built anew only when more than its tables' numbers changed.
let focusKey = '';
function renderFocus(r) {
  const f = r.focus;
  const b = f && f.backends.find((x) => x.id === r.state.backend);
  const key = f ? JSON.stringify([f.model, f.name, f.quant, f.verified, f.error, f.notes, f.sources, b && b.name, b && b.command, r.state.ctx]) : '';
  const wraps = $('focus').querySelectorAll(':scope > .table-wrap');
  if (f && key === focusKey && wraps.length === f.tables.length && f.tables.every((t, i) => patchTable(wraps[i], t, {}))) return;
  focusKey = key;
  if (!f) { replace('focus'); return; }
  const parts = [el('h3', null, `Breakdown — ${f.name} ${f.quant}`)];
  if (!f.verified) parts.push(el('p', { class: 'notice' }, 'Some dimensions of this model were not read from its own config; treat its numbers as estimates.'));
  if (f.error) parts.push(el('p', { class: 'notice' }, `llama.cpp would refuse these settings: ${f.error}`));
  for (const t of f.tables) parts.push(tableView(t, { onExport }));
  if (b) {
    parts.push(el('h4', { id: 'run-it' }, `Run it: llama-server on ${b.name}`));
    if (b.command) {
      parts.push(el('pre', { id: 'server-command' }, b.command),
        copyButton('Copy the command', b.command, 'copy-server-command'),
        el('p', { class: 'muted' }, `Replace the file name with your GGUF's path. The command carries the context (${r.state.ctx} tokens), slots, K/V cache types and flash attention of this scenario, puts every layer on the GPU (-ngl 999) and, on unified memory, loads without mmap so the weights are not held twice.`));
    } else {
      parts.push(el('p', { class: 'muted' }, `${b.name} is not started with llama-server; pick a llama.cpp backend above for a command.`));
    }
  }
  if (f.notes) parts.push(el('p', { class: 'muted' }, `Notes: ${f.notes}`));
  if (f.sources && f.sources.length) {
    parts.push(el('details', null, el('summary', null, `Sources (${f.sources.length})`),
      el('ul', { class: 'notes' }, f.sources.map((x) => el('li', null, x)))));
  }
  replace('focus', parts);
}

function renderLayout(r) {
  const f = r.focus;
  $('layout-lead').textContent = f
    ? `${f.name} ${f.quant} at ${r.state.ctx} tokens, placed into ${r.machine.name}'s memory by each backend. Hover a block for its size.`
    : 'Pick a model in the table below.';
  replace('layout-svg', layoutPicture({ ...r.machine, apu: r.machine.apu }, r.pools, f));
  const items = [['sw-carve', 'carve-out / VRAM'], ['sw-os', 'OS-visible RAM'], ['sw-gtt', 'GTT limit (outline)'], ['sw-reserve', 'OS reserve'],
    ['sw-weights', 'weights'], ['sw-kv', 'KV cache'], ['sw-state', 'recurrent state'], ['sw-compute', 'compute buffer (estimate)'],
    ['sw-over', 'runtime overhead (estimate)'], ['sw-host', 'host side']];
  replace('layout-legend', items.map(([c, label]) => el('span', { class: c }, label)));
}

function card(label, big, small) {
  return el('div', { class: 'card' }, el('div', { class: 'small' }, label), el('div', { class: 'big' }, big), small ? el('div', { class: 'small' }, small) : null);
}

function tps(v) { return v >= 100 ? v.toFixed(0) : v.toFixed(1); }

function renderSpeed(r) {
  const f = r.focus;
  const b = f && f.backends.find((x) => x.id === r.state.backend);
  if (b) {
    const backing = (n) => (b.calibrated ? `80% band from ${n} measurements` : 'not calibrated: the band is a guess');
    const band = (v, lo, hi, n) => `estimate; ${tps(v * lo)}–${tps(v * hi)} (${backing(n)})`;
    const dband = (v) => band(v, b.decode_lo, b.decode_hi, b.decode_rows);
    replace('speed-focus',
      card(`${f.name} ${f.quant} · ${b.name}`, `${tps(b.decode_tps_0)} t/s`, `decode at depth 0 — ${dband(b.decode_tps_0)}`),
      card(`decode with ${r.state.ctx} tokens in context`, `${tps(b.decode_tps_ctx)} t/s`, dband(b.decode_tps_ctx)),
      card(`prefill, ${r.state.prompt}-token prompt`, `${tps(b.prefill_tps)} t/s`, band(b.prefill_tps, b.prefill_lo, b.prefill_hi, b.prefill_rows)),
      card('time to first token', `${b.ttft_s.toFixed(1)} s`, `estimate; ${(b.ttft_s / b.prefill_hi).toFixed(1)}–${(b.ttft_s / b.prefill_lo).toFixed(1)} s`));
  } else {
    replace('speed-focus');
  }
  if (f && f.curve) replace('speed-chart', speedChart(f.curve, `Decode speed of ${f.name} ${f.quant} against context depth (${b ? b.name : ''}), estimate with its error band`));
  else replace('speed-chart');
  const speedOpts = { ...pageOpts('speed', r.speed), later: later('speed') };
  if (!patchTable($('speed-table').firstChild, r.speed, speedOpts)) replaceFrozen('speed-table', tableView(r.speed, { onExport, ...speedOpts }));
  renderPart('ceiling', [r.ceiling], () => replace('ceiling-table', tableView(r.ceiling, { onExport })));
}

// Paste-back calibration: the fitted value waits in `pendingCal` until the user applies it.
let pendingCal = null;

function calList(state) {
  return state.cal ? state.cal.split(',') : [];
}

function renderCalibration(r) {
  const sel = $('cal-backend');
  const cur = sel.value;
  replace(sel, el('option', { value: '' }, 'as the rows say'), ...r.info.backends.map((b) => el('option', { value: b.id }, b.name)));
  sel.value = cur;
  const active = calList(r.state);
  replace('cal-active', active.length
    ? el('p', {}, `In use: ${active.map((c) => { const [b, d, p, nd, np] = c.split(':'); return `${b} — decode ×${d} (${nd} rows), prefill ×${p} (${np} rows)`; }).join('; ')}. `,
      el('button', { type: 'button', onclick: () => setState({ cal: null }) }, 'Remove calibration'))
    : null);
}

async function fitCalibration() {
  let res;
  try {
    res = await calibrate(app.state, $('cal-text').value, $('cal-backend').value);
  } catch (e) {
    res = { error: `the calibration fitter could not be loaded (${e.message})` };
  }
  pendingCal = res.cal ? { text: res.cal, backend: res.backend } : null;
  $('cal-use').disabled = !pendingCal;
  replace('cal-result', res.table ? tableView(res.table, { onExport }) : el('p', {}, res.error));
}

function useCalibration() {
  if (!pendingCal) return;
  const others = calList(app.state).filter((c) => !c.startsWith(`${pendingCal.backend}:`));
  setState({ cal: others.concat([pendingCal.text]).join(','), backend: pendingCal.backend });
  pendingCal = null;
  $('cal-use').disabled = true;
}

function renderSetup(r) {
  const kernel = r.setup.find((t) => t.title.startsWith('Kernel parameters'));
  if (kernel) {
    const cmdline = kernel.rows[0][1];
    const modprobe = kernel.rows[1][1];
    const copyBtn = (label, text) => copyButton(label, text);
    replace('setup-kernel',
      el('h3', null, kernel.title),
      el('p', null, 'Kernel command line (for example in GRUB_CMDLINE_LINUX):'),
      el('pre', { id: 'kernel-cmdline' }, cmdline), copyBtn('Copy kernel parameters', cmdline),
      el('p', null, 'Or as a module option file, /etc/modprobe.d/ttm.conf:'),
      el('pre', null, modprobe), copyBtn('Copy module options', modprobe));
  }
  replace('setup-tables', r.setup.map((t) => tableView(t, { onExport })));
}

function live(name, value) {
  for (const span of document.querySelectorAll(`[data-live="${name}"]`)) span.textContent = value;
}

// The guide's prose, filled with the scenario's numbers (all computed by the core).
function renderGuide(r) {
  const info = r.info;
  const m = info.machines.find((x) => x.id === r.state.machine);
  const p = r.pools;
  const g = (bytes) => gibText(bytes, bytes % (1024 ** 3) === 0 ? 0 : 1);
  live('machine', r.machine.name);
  live('ram', String(m.ram_gib));
  live('carve', g(p.carve_out));
  live('os', g(p.os_visible));
  live('gtt', g(p.gtt));
  live('gtt-how', p.gtt_default ? ' (the kernel default)' : ' (set by you)');
  live('reserve', g(p.os_reserve));
  live('ceiling', g(p.carve_out + p.gtt));
  live('carve-options', m.carve_out_options_gib.length ? m.carve_out_options_gib.join(', ') : 'none (this machine has no carve-out)');
  const names = (list) => (list.length ? list.map((b) => b.name).join(', ') : 'none');
  live('gtt-yes', names(r.backends.filter((b) => b.reaches_gtt)));
  live('gtt-no', names(r.backends.filter((b) => !b.reaches_gtt)));
  const f = r.focus;
  const fb = f && f.backends.find((x) => x.id === r.state.backend);
  live('focus', f ? `${f.name} ${f.quant} at ${r.state.ctx} tokens` : 'the selected model');
  live('focus-verdicts', f ? f.backends.map((b) => `${b.name}: ${b.verdict_label}`).join('; ') : '—');
  const strategies = r.setup[0];
  const col = (name, row) => {
    const j = strategies.headers.findIndex((h) => h.startsWith(name));
    const rr = strategies.rows.find((x) => x[0] === row);
    return j > 0 && rr ? rr[j].replace(/ \(kernel default\)$/, '') : '—';
  };
  live('uma-carve', col('UMA-first', 'BIOS carve-out GiB'));
  live('gtt-carve', col('GTT-first', 'BIOS carve-out GiB'));
  live('gtt-gtt', col('GTT-first', 'GTT limit GiB'));
  live('bw', String(r.machine.bandwidth_gbs));
  live('bw-measured', r.machine.bandwidth_measured_gbs > 0 ? String(r.machine.bandwidth_measured_gbs) : String(r.machine.bandwidth_gbs));
  const readGb = f ? f.read_bytes / 1e9 : NaN;
  const bw = r.machine.bandwidth_measured_gbs > 0 ? r.machine.bandwidth_measured_gbs : r.machine.bandwidth_gbs;
  live('read', Number.isFinite(readGb) ? readGb.toFixed(2) : '—');
  live('ceiling-tps', Number.isFinite(readGb) && readGb > 0 ? tps(bw / readGb) : '—');
  live('decode', fb ? tps(fb.decode_tps_0) : '—');
  live('decode-ctx', fb ? tps(fb.decode_tps_ctx) : '—');
  const tunings = r.setup.find((t) => t.title === 'Other tunings');
  replace('guide-tunings-list', tunings ? el('ul', null, tunings.rows.map((row) => el('li', null,
    el('strong', null, row[0]), ` (${row[1]}): ${row[2]}.`, row[3] !== '-' ? ` Side effect: ${row[3]}.` : ''))) : null,
  tunings ? el('details', null, el('summary', null, 'Sources'), el('ul', { class: 'notes' }, tunings.notes.map((n) => el('li', null, n)))) : null);
}

// Re-renders a part only when what it shows has changed (most knobs leave setup, guide and the
// ceiling table as they were).
const lastRendered = new Map();
function renderPart(name, inputs, fn) {
  const key = JSON.stringify(inputs);
  if (lastRendered.get(name) === key) return;
  lastRendered.set(name, key);
  fn();
}

// The page's parts, in page order. A part on screen is drawn with the change that produced the
// result; the others are drawn right after it, one part per task (so a burst of input pays only
// for what is on screen), or as soon as they scroll into view.
const PARTS = [
  ['link', writeLink],
  ['layout', (r) => renderPart('layout', [r.pools, r.focus && r.focus.terms, r.focus && r.focus.backends, r.machine, r.state.ctx], () => renderLayout(r))],
  ['fit', (r) => renderFit(r)],
  ['speed', (r) => {
    renderSpeed(r);
    renderPart('calibration', [r.info.backends, r.state.cal], () => renderCalibration(r));
  }],
  ['setup', (r) => renderPart('setup', [r.setup], () => renderSetup(r))],
  ['guide', (r) => renderPart('guide', [r.pools, r.backends, r.focus && r.focus.backends, r.focus && r.focus.read_bytes, r.setup, r.state.model, r.state.quant, r.state.ctx, r.state.backend], () => renderGuide(r))],
  ['catalog', () => app.editor.refresh()],
];
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
  drawPart.get(name)(app.result);
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

function render(r) {
  renderKnobs(r);
  for (const [name, draw] of PARTS) {
    unfinished.delete(name);
    if (near.has(name)) {
      stale.delete(name);
      draw(r);
    } else {
      stale.add(name);
    }
  }
  markPending();
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
  $('knob-form').addEventListener('input', () => { app.state = readKnobs(); update(); });
  $('knob-form').addEventListener('change', () => { app.state = readKnobs(); update(); });
  $('knob-form').addEventListener('submit', (e) => e.preventDefault());
  $('fit-filter').addEventListener('input', (e) => setState({ filter: e.target.value.slice(0, 200) }));
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
function onHashChange() {
  const fragment = location.hash.slice(1);
  if (!app.result || fragment === app.result.link) return;
  const d = decodeLink(fragment);
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

function scrollToSection(id, byUser) {
  const target = id && $(id);
  if (!target) return;
  target.scrollIntoView({ behavior: byUser ? 'smooth' : 'auto', block: 'start' });
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
  if (store.unavailable) addSticky('store', `Your catalog cannot be saved: ${store.unavailable}.`);
  if (store.damaged) {
    const text = store.damaged.text;
    addSticky('store', `The catalog saved in this browser is damaged (${store.damaged.reason}); the shipped catalog is shown. Your saved data is kept aside.`,
      [['Download the damaged data', () => download('haloplan-damaged-catalog.json', text, 'text/plain')]]);
  }
  let state = {};
  const fragment = location.hash.slice(1);
  if (fragment) {
    const d = decodeLink(fragment);
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
  seedNear();
  update();
  watchParts();
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
