// The page's renderers: each draws one part of the view from the core's result (numbers and
// tables computed by the core; nothing here derives a figure of its own). app.js wires them
// through initRender; schedule.js decides when each part is drawn.
import { el, replace, copyText, gibText, download, downloadBlob, standaloneSvg, svgToPng, shownWidth } from './dom.js';
import { tableView, patchTable, replaceFrozen } from './table.js';
import { layoutPicture, speedChart, mapChart } from './pictures.js';
import { renderPart } from './schedule.js';

const $ = (id) => document.getElementById(id);

// What the renderers call back into: setState(patch), later(part) (see schedule.js),
// pageOpts(table name, table), onExport(shown, format, button), need(result, core parts) ->
// Promise and coreFailed(error).
let hooks = null;
export function initRender(h) {
  hooks = h;
}
const setState = (patch) => hooks.setState(patch);
const later = (name) => hooks.later(name);
const pageOpts = (name, t) => hooks.pageOpts(name, t);
const onExport = (...args) => hooks.onExport(...args);

export function flash(button, text) {
  const old = button.dataset.label || button.textContent;
  button.dataset.label = old;
  button.textContent = text;
  setTimeout(() => { button.textContent = old; }, 1500);
}

export function copyButton(label, text, id) {
  return el('button', { type: 'button', id, onclick: async (e) => flash(e.currentTarget, (await copyText(text)) ? 'Copied' : 'Copy failed — select the text') }, label);
}

export function setOptions(select, options, value) {
  const key = JSON.stringify(options);
  if (select.dataset.key !== key) {
    select.dataset.key = key;
    replace(select, options.map(([v, label]) => el('option', { value: v }, label)));
  }
  select.value = value;
}

export function setValue(input, value) {
  if (document.activeElement === input) return;  // never fight the user's typing
  const v = value === null || value === undefined ? '' : String(value);
  if (input.value !== v) input.value = v;
}

// A build family's name without the engine it is a build of ("2025 hipBLASLt builds (before b7000)").
const buildName = (name) => name.replace(/^llama\.cpp (Vulkan|ROCm\/HIP),? /, '').replace(/ \(GGML_[A-Z_]+\)$/, '');

export function renderKnobs(r) {
  setWords(r.machine);
  const s = r.state;
  const info = r.info;
  const m = info.machines.find((x) => x.id === s.machine);
  setOptions($('k-model'), info.models.map((x) => [x.id, x.name]), s.model);
  // The focused model's quant: every preset the picker offers, then its published files.
  const focusInfo = info.models.find((x) => x.id === s.model);
  const fileOpts = ((focusInfo && focusInfo.files) || []).map((k) => { const [pub, ...tag] = k.split(':'); return [k, `${tag.join(':')} (${pub}), published file`]; });
  const quantOpts = info.quants.map((q) => [q, focusInfo && focusInfo.release === q ? `${q} (as released)` : q]).concat(fileOpts);
  if (!quantOpts.some(([v]) => v === s.quant)) quantOpts.push([s.quant, s.quant]);
  setOptions($('k-quant'), quantOpts, s.quant);
  setOptions($('k-machine'), info.machines.map((x) => [x.id, x.name]), s.machine);
  $('k-ram').value = `${m.ram_gib} GiB`;
  const carve = $('k-carve');
  setOptions(carve, [['', m.apu ? `machine default (${m.default_carve_out_gib} GiB)` : 'none on this machine']]
    .concat(m.carve_out_options_gib.map((o) => [String(o), `${o} GiB`])), s.carve === null ? '' : String(s.carve));
  carve.disabled = !m.apu;
  // A BIOS carve-out is an AMD APU's; the borrowed pool goes by the machine's own word.
  carve.closest('.field').hidden = !m.apu;
  const kind = r.machine.kind;
  document.querySelector('label[for="k-gtt"]').textContent = kind === 'apple' ? 'Wired limit (GiB, iogpu.wired_limit_mb)'
    : kind === 'discrete' ? 'System RAM for offloaded weights (GiB)' : kind === 'unified-nvidia' ? 'GPU memory limit (GiB)' : 'GTT limit (GiB)';
  const byDefault = kind === 'apple' ? 'macOS default' : m.apu ? 'kernel default' : 'default';
  setValue($('k-gtt'), s.gtt);
  $('k-gtt').placeholder = r.pools.gtt_default ? `${byDefault} (${gibText(r.pools.gtt, 0)} GiB)` : byDefault;
  setValue($('k-reserve'), s.reserve);
  $('k-reserve').placeholder = `default (${m.default_os_reserve_gib} GiB)`;
  const switchable = m.backends.some((id) => (info.backends.find((b) => b.id === id) || {}).hip);
  $('k-rocmgtt').checked = r.hip_gtt !== false;
  $('k-rocmgtt').closest('.field').hidden = !switchable;
  // The build the user runs, per engine: the newest family with data unless they say otherwise.
  for (const select of [$('k-build-vulkan'), $('k-build-rocm')]) {
    const fams = (info.builds || []).filter((b) => b.engine === select.dataset.engine);
    const def = fams.find((b) => b.default);
    setOptions(select, fams.map((b) => [b.id, `${buildName(b.name)}${b.default ? ' (default)' : ''} · ${b.rows} rows`]),
      (s.builds || []).find((id) => fams.some((b) => b.id === id)) || (def ? def.id : ''));
    select.closest('.field').hidden = !fams.length || !m.backends.includes(select.dataset.backend);
  }
  setOptions($('k-backend'), m.backends.map((id) => [id, (info.backends.find((b) => b.id === id) || { name: id }).name]), s.backend);
  setValue($('k-ctx'), s.ctx);
  setOptions($('k-ktype'), info.cache_types.map((t) => [t, t]), s.ktype);
  setOptions($('k-vtype'), info.cache_types.map((t) => [t, t]), s.vtype);
  setValue($('k-slots'), s.slots);
  $('k-unified').checked = s.unified;
  $('k-fa').checked = s.fa;
  setValue($('k-prompt'), s.prompt);
  setValue($('k-ckpt'), s.ckpt);
  setValue($('k-cacheram'), s.cacheram);
  const fileKeys = info.files.map((f) => f.key);
  const known = info.quants.concat(fileKeys);
  const quants = info.quants.concat(s.quants.filter((q) => !known.includes(q) && !q.includes(':')));
  const box = $('k-quants');
  const key = quants.concat(fileKeys).join();
  if (box.dataset.key !== key) {
    box.dataset.key = key;
    // A published file's key is publisher:tag; shown as the tables show it, with how many models have it.
    const fileLabel = (f) => { const [pub, ...tag] = f.key.split(':'); return `${tag.join(':')} (${pub}) · ${f.models} model${f.models === 1 ? '' : 's'}`; };
    replace(box,
      quants.map((q) => el('label', null, el('input', { type: 'checkbox', value: q, 'data-quant': q }), q)),
      info.files.length ? el('p', { class: 'quant-group' }, 'Published files: size known, tensor mix estimated') : null,
      info.files.map((f) => el('label', null, el('input', { type: 'checkbox', value: f.key, 'data-quant': f.key }), fileLabel(f))));
  }
  for (const input of box.querySelectorAll('input')) input.checked = s.quants.includes(input.value);
  const fm = info.models.find((x) => x.id === s.model);
  $('k-vision').checked = s.vision !== false;
  $('k-vision').closest('.field').hidden = !(fm && fm.vision) && s.mmproj === null;
  setValue($('k-mmproj'), s.mmproj);
  setOptions($('k-draft'), [['', 'none']].concat(info.models.map((x) => [x.id, x.name])), s.draft || '');
  setOptions($('k-draftq'), info.quants.map((q) => [q, q]), s.draftq || 'Q8_0');
  $('k-draftq').disabled = !s.draft;
  $('k-mtp').checked = !!s.mtp;
  setValue($('k-ncmoe'), s.ncmoe);
  $('k-ncmoe').closest('.field').hidden = r.machine.kind !== 'discrete';
  $('k-mtp').closest('.field').hidden = !(fm && fm.mtp) && !s.mtp;
}

// A and B side by side (the core's comparison), the rows that differ marked.
export function renderCompare(r) {
  const c = r.compare;
  const box = $('compare');
  const s = r.state;
  const b = c ? c.b : s;
  const info = r.info;
  setOptions($('cmp-machine'), info.machines.map((x) => [x.id, x.name]), b.machine);
  const bm = info.machines.find((x) => x.id === b.machine) || info.machines[0];
  setOptions($('cmp-backend'), bm.backends.map((id) => [id, (info.backends.find((x) => x.id === id) || { name: id }).name]), b.backend);
  setValue($('cmp-ctx'), b.ctx);
  $('cmp-gtt-first').disabled = $('cmp-uma-first').disabled = !r.machine.apu;
  if (!c) { replace('cmp-table'); return; }
  box.open = true;
  const differ = new Set(c.differ);
  const fresh = new Set(c.best_new);
  replace('cmp-table', tableView(c.table, { onExport, rowClass: (i) => (differ.has(i) ? 'differs' : null) }),
    el('div', { id: 'cmp-best' }, tableView(c.best, { onExport, labels: true, rowClass: (i) => (fresh.has(i) ? 'differs' : null) })),
    el('p', { class: 'muted small' }, `${c.differ.length} of ${c.table.rows.length} rows differ (marked). `,
      el('button', { type: 'button', onclick: () => setState({ ...Object.fromEntries(Object.entries(c.b).filter(([k]) => !['custom', 'removed', 'cal'].includes(k))), cmp: '' }) }, 'Make B this view')));
}

// The models resident beside the focused one: a row of pickers each, then the core's tables and
// the launch files (one llama-server per model, and llama-swap).
export function renderResident(r) {
  const s = r.state;
  const info = r.info;
  const set = s.set || [];
  const write = (i, patch) => {
    const next = set.map((e, j) => {
      if (j !== i) return e;
      const [model, quant, ctx] = e.split('@');
      const m = { model, quant, ctx, ...patch };
      return `${m.model}@${m.quant}@${m.ctx}`;
    });
    setState({ set: next });
  };
  replace('res-members', set.map((e, i) => {
    const [model, quant, ctx] = e.split('@');
    const mi = info.models.find((x) => x.id === model);
    const files = ((mi && mi.files) || []).map((k) => [k, `${k.split(':').slice(1).join(':')} (${k.split(':')[0]})`]);
    const quants = info.quants.map((q) => [q, q]).concat(files);
    const ms = el('select', { 'aria-label': `model ${i + 2}`, onchange: (ev) => write(i, { model: ev.target.value, quant: 'Q4_K_M' }) });
    setOptions(ms, info.models.map((x) => [x.id, x.name]), model);
    const qs = el('select', { 'aria-label': `quant of model ${i + 2}`, onchange: (ev) => write(i, { quant: ev.target.value }) });
    setOptions(qs, quants, quant);
    const cs = el('input', { type: 'number', min: 256, max: 67108864, step: 256, value: ctx, 'aria-label': `context of model ${i + 2}`,
      onchange: (ev) => { const v = Math.round(Number(ev.target.value)); if (Number.isFinite(v) && v >= 256) write(i, { ctx: v }); } });
    return el('div', { class: 'toolbar wrap res-member' }, ms, qs, cs,
      el('button', { type: 'button', onclick: () => setState({ set: set.filter((_, j) => j !== i) }) }, 'Remove'));
  }));
  const res = r.resident;
  if (!res) { replace('res-table'); return; }
  $('resident').open = true;
  const parts = res.tables.map((t) => tableView(t, { onExport }));
  // Each change the core planned, as a button that applies it.
  if (res.set.changes.length)
    parts.splice(1, 0, el('div', { class: 'fixes' }, res.set.changes.map((x) => el('button', { type: 'button', class: 'fix', onclick: () => setState(x.patch) },
      el('span', { class: 'fix-label' }, x.label.charAt(0).toUpperCase() + x.label.slice(1)), el('span', { class: 'fix-detail' }, `then ${x.verdict === 'carve-out' || x.verdict === 'gtt' ? 'it fits' : x.verdict}, ${(x.headroom / 2 ** 30).toFixed(1)} GiB to spare`)))));
  if (res.set.launch) {
    parts.push(el('p', null, 'One llama-server per model:'), el('pre', { id: 'res-launch' }, res.set.launch), copyButton('Copy the commands', res.set.launch));
    parts.push(el('p', null, 'Or a llama-swap config that keeps them all loaded together:'), el('pre', null, res.set.llama_swap), copyButton('Copy the llama-swap config', res.set.llama_swap));
  }
  replace('res-table', ...parts);
}

// The focused model over several boxes of this machine: the per-node table, or why it cannot be
// planned, and its commands (rpc-server and llama-server --rpc, or Ray and vllm serve).
export function renderCluster(r) {
  const s = r.state;
  setOptions($('cl-link'), (r.info.links || []).map((l) => [l.id, l.name]), s.link);
  $('cl-nodes').value = String(s.nodes || 0);
  const cl = r.cluster;
  if (!cl) { replace('cl-table'); return; }
  $('cluster').open = true;
  if (cl.error) { replace('cl-table', el('p', { class: 'notice', role: 'status' }, `No cluster plan: ${cl.error}.`)); return; }
  const parts = cl.tables.map((t) => tableView(t, { onExport }));
  const cmds = cl.plan.commands.join('\n');
  const lead = cl.plan.mode === 'vllm-tp' ? 'Ray on every box, the head first, then vLLM on the head:' : 'On each worker, then on the head:';
  if (cmds) parts.push(el('p', null, lead), el('pre', { id: 'cl-commands' }, cmds), copyButton('Copy the commands', cmds));
  replace('cl-table', ...parts);
}

// Buttons that save a drawn picture for a forum post: SVG, or PNG at twice its size.
function pictureExports(boxId, name) {
  const svg = () => document.querySelector(`#${boxId} svg`);
  return el('div', { class: 'exports' },
    el('button', { type: 'button', 'data-export': 'svg', onclick: () => download(`${name}.svg`, standaloneSvg(svg()), 'image/svg+xml') }, 'Save as SVG'),
    el('button', { type: 'button', 'data-export': 'png', onclick: async (e) => {
      const b = e.currentTarget;
      try {
        const s = svg();
        const box = s.viewBox.baseVal;
        downloadBlob(`${name}.png`, await svgToPng(standaloneSvg(s), box.width, box.height));
      } catch (err) {
        flash(b, `PNG failed: ${err.message}`);
      }
    } }, 'Save as PNG'));
}

export function renderMap(r) {
  const m = r.map;
  if (!m || !m.points) { replace('map-svg'); return; }
  const shown = m.points.length;
  $('map-lead').textContent = `${shown}${m.total > shown ? ` of ${m.total}` : ''} model × quant rows (the quants chosen in Knobs, and each model's release format) on ${m.backend_name}, ${m.ctx} tokens of context. Lines: what this backend can fill. Select a point to focus its model.`;
  const box = $('map-svg');
  replace(box, mapChart({ ...m, words: WORDS }, shownWidth('map-svg'), { model: r.state.model, quant: r.state.quant }, (model, quant) => setState({ model, quant })));
  // (always new: the prerendered page holds the buttons without their handlers)
  if (box.nextElementSibling && box.nextElementSibling.classList.contains('exports')) box.nextElementSibling.remove();
  box.after(pictureExports('map-svg', 'haloplan-map'));
  const legend = [['m-carve-out', `${WORDS.fits_dedicated} (circle)`], ['m-gtt', `${WORDS.fits_borrowed} (square)`], ['m-os-squeeze', 'squeezes the OS (diamond)'], ['m-no-fit', 'does not fit (cross)'], ['m-refused', 'refused (ring)']];
  // A machine without a pool of the GPU's own (Apple, DGX Spark) has one way to fit.
  replace('map-legend', (WORDS.dedicated ? legend : legend.slice(1)).map(([c, label]) => el('span', { class: c }, label)));
}

// The speed table's "fits" cell as the core prints it in the machine's words ("carve-out (+3.8)",
// "GTT (+9.6)"; "VRAM (…)", "RAM spill (…)" beside a discrete GPU; "no fit (-42.5)", "OS squeeze
// (…)", "refused") to its verdict id.
function verdictOfCell(text, w = WORDS) {
  if (text.startsWith(`${w.cell_dedicated} (`)) return 'carve-out';
  if (text.startsWith(`${w.cell_borrowed} (`)) return 'gtt';
  if (text.startsWith('no fit')) return 'no-fit';
  if (text.startsWith('OS squeeze')) return 'os-squeeze';
  return 'refused';
}

const VERDICT_CLASS = { 'carve-out': 'v-carve-out', gtt: 'v-gtt', 'no-fit': 'v-no-fit', 'os-squeeze': 'v-os-squeeze', refused: 'v-refused' };

// The first screen: the focused model's answer with what would make it fit, and the best
// choices for this machine, setup and backend (all decided by the core's answer part).
// The machine's words for its pools (the core's pool_words, in the view's machine); the page is
// drawn for one machine at a time, so render() sets them before anything else.
const AMD_WORDS = { dedicated: 'carve-out', borrowed: 'GTT', gpu_limit: 'carve-out + GTT', fits_dedicated: 'fits the carve-out', fits_borrowed: 'fits only with GTT', cell_dedicated: 'carve-out', cell_borrowed: 'GTT' };
let WORDS = AMD_WORDS;
export function setWords(machine) { WORDS = (machine && machine.words) || AMD_WORDS; }
const verdictShort = (v) => ({ 'carve-out': WORDS.fits_dedicated, gtt: WORDS.borrowed === 'GTT' ? 'fits with GTT' : WORDS.fits_borrowed, 'no-fit': 'does not fit', 'os-squeeze': 'squeezes the OS', refused: 'refused' })[v];
const verdictBadge = (v, text) => el('span', { class: `v ${VERDICT_CLASS[v] || 'v-refused'}` }, text || verdictShort(v) || v);
const upper = (t) => t.charAt(0).toUpperCase() + t.slice(1);

function fixButton(x, extra = {}) {
  return el('button', { type: 'button', class: 'fix', title: x.detail, onclick: () => setState({ ...x.patch, ...extra }) },
    el('span', { class: 'fix-label' }, upper(x.label)), el('span', { class: 'fix-detail' }, x.detail));
}

// A link to What fits that scrolls there without putting the section into the fragment.
const fitLink = (text) => el('a', { href: '#fit', onclick: (e) => { e.preventDefault(); $('fit').scrollIntoView(); } }, text);

export function renderAnswer(r) {
  const s = r.state;
  const p = r.pools;
  const g = (bytes) => gibText(bytes, bytes % (1024 ** 3) === 0 ? 0 : 1);
  const poolText = r.machine.apu ? `Carve-out ${g(p.carve_out)} GiB, GTT limit ${g(p.gtt)} GiB${p.gtt_default ? ' (kernel default)' : ''}, `
    : r.machine.kind === 'discrete' ? `VRAM ${g(p.carve_out)} GiB, system RAM for offloaded weights ${g(p.gtt)} GiB, `
      : `${upper(WORDS.borrowed)} ${g(p.gtt)} GiB of ${g(p.ram)} GiB, `;
  $('answer-setup').textContent = `${poolText}OS reserve ${g(p.os_reserve)} GiB; K/V cache ${s.ktype}/${s.vtype}, ${s.slots} slot${s.slots === 1 ? '' : 's'}, flash attention ${s.fa ? 'on' : 'off'}.`;
  const a = r.answer;
  if (!a || !a.backend) { replace('answer-focus'); replace('answer-list'); return; }
  const f = a.focus;
  const focus = [];
  if (f) {
    focus.push(el('p', { class: 'answer-line', id: 'answer-line' }, verdictBadge(f.verdict), ' ', f.line));
    if (f.fixes.length) {
      focus.push(el('p', { class: 'fixes-lead' }, f.verdict === 'refused' ? 'To make llama.cpp start it:' : 'What would make it fit (each a click, checked by the planner):'),
        el('div', { class: 'fixes', id: 'answer-fixes' }, f.fixes.map((x) => fixButton(x))));
    } else if (f.verdict === 'carve-out' || f.verdict === 'gtt') {
      focus.push(el('p', { class: 'muted small' }, `Up to ${f.max_context} tokens of context fit. `,
        fitLink('Breakdown and every backend'), '.'));
    }
  }
  replace('answer-focus', focus);
  const cell = (v, cls) => el('td', cls ? { class: cls } : null, v);
  const band = ([lo, hi]) => el('span', { class: 'band' }, `${tps(lo)}–${tps(hi)}`);
  const rows = a.best.map((x, i) => el('tr', { class: x.model === s.model && x.quant === s.quant ? 'focused' : null },
    cell(String(i + 1), 'rank num'),
    el('td', { class: 'model' }, el('button', { type: 'button', class: 'pick', 'aria-label': `Focus ${x.name} ${x.quant_label}`, onclick: () => setState({ model: x.model, quant: x.quant }) }, x.name),
      el('span', { class: 'quant' }, x.quant_label)),
    el('td', { class: 'verdict' }, x.change ? verdictBadge(x.change.verdict, `${verdictShort(x.change.verdict)}*`) : verdictBadge(x.verdict),
      el('span', { class: 'head' }, `${gibText(x.change ? x.change.headroom : x.headroom)} GiB spare`)),
    el('td', { class: 'num' }, el('strong', null, tps(x.decode_tps)), el('span', { class: 'unit' }, ' t/s'), x.usable ? '' : ' (slow)', band(x.decode_band)),
    el('td', { class: 'num prefill' }, tps(x.prefill_tps)),
    el('td', { class: 'todo' }, x.change ? fixButton(x.change, { model: x.model, quant: x.quant }) : 'nothing to change')));
  replace('answer-list', el('table', { id: 'answer-table' },
    el('caption', null, `Best choices with ${a.backend_name} at ${s.ctx} tokens`),
    el('thead', null, el('tr', null, ['#', 'model and file', 'fits', 'decode t/s (est.)', 'prefill t/s (est.)', 'to do'].map((h, j) => el('th', { scope: 'col', class: ['rank', '', '', 'num', 'num prefill', 'todo'][j] || null }, h)))),
    el('tbody', null, rows)),
  el('p', { class: 'muted small' }, `Each model at its release format when that fits, else the most precise of the chosen quants and its published files that fits and decodes at ${a.min_decode_tps} t/s or more; ranked by reading speed, then size.${a.fitting === null ? '' : ` ${a.fitting} of ${a.models} models fit.`} Decode is with the context full, an estimate with its 80% band. * after the change in "to do". `,
    fitLink('Every model and quant'), '.'));
}


export function renderFit(r) {
  const s = r.state;
  const t = r.fit;
  const order = t.rows.map((_, i) => i);  // filtered and sorted by the core
  $('fit-count').textContent = `${t.matching} of ${t.total} rows`;
  for (const box of document.querySelectorAll('[data-fitsonly]')) box.checked = !!s.fitsonly;
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
    labels: true,  // phones show a block per row, each value with its header
    later: later('fit'),
    ...pageOpts('fit', t),
    onExport,
    sort: { col: s.sort, desc: s.desc },
    onSort: (h) => setState({ sort: h, desc: s.sort === h ? !s.desc : false }),
    rowClass: (i) => (t.data[i].model === s.model && t.data[i].quant === s.quant ? 'focused' : null),
    cell: (i, j, text) => {
      const d = t.data[i];
      if (j === 0) {
        return el('button', { type: 'button', class: 'pick', 'aria-label': `Show ${d.name} ${d.quant_label} in detail`,
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
export function renderFocus(r) {
  const f = r.focus;
  const b = f && f.backends.find((x) => x.id === r.state.backend);
  const key = f ? JSON.stringify([f.model, f.name, f.quant, f.verified, f.error, f.notes, f.sources, b && b.name, b && b.command, r.state.ctx]) : '';
  const wraps = $('focus').querySelectorAll(':scope > .table-wrap');
  if (f && key === focusKey && wraps.length === f.tables.length && f.tables.every((t, i) => patchTable(wraps[i], t, {}))) return;
  focusKey = key;
  if (!f) { replace('focus'); return; }
  const parts = [el('h3', null, `Breakdown — ${f.name} ${f.quant_label}`)];
  if (!f.verified) parts.push(el('p', { class: 'notice' }, 'Some dimensions of this model were not read from its own config; treat its numbers as estimates.'));
  if (f.error) parts.push(el('p', { class: 'notice' }, `llama.cpp would refuse these settings: ${f.error}`));
  for (const t of f.tables) parts.push(tableView(t, { onExport }));
  if (b) {
    const engine = b.command.startsWith('vllm') ? 'vllm' : b.command.includes('ollama') ? 'ollama' : 'llama-server';
    parts.push(el('h4', { id: 'run-it' }, `Run it: ${engine} on ${b.name}`));
    const about = {
      'llama-server': `${b.command.includes(' -hf ') ? 'llama-server downloads the published file (and its vision projector, unless --no-mmproj) from Hugging Face.' : "Replace the file names with your GGUFs' paths."} The command carries the context (${r.state.ctx} tokens), slots, K/V cache types and flash attention of this scenario, puts every layer on the GPU (-ngl 999) and, on unified memory, loads without mmap so the weights are not held twice.`,
      ollama: `Ollama takes the context, flash attention, cache type and parallel requests from its server's environment (OLLAMA_CONTEXT_LENGTH, OLLAMA_FLASH_ATTENTION, OLLAMA_KV_CACHE_TYPE, OLLAMA_NUM_PARALLEL)${b.command.startsWith('OLLAMA_VULKAN') ? '; OLLAMA_VULKAN=1 opts in to its Vulkan runner (0.12.11 and later)' : ''}. ${b.command.includes('hf.co/') ? 'It pulls the published file from Hugging Face.' : 'The Modelfile points at your GGUF.'}`,
      vllm: `vLLM's GGUF loader is experimental and takes the tokenizer from the original repository; it pre-allocates the share of memory given by --gpu-memory-utilization, which is what this plan's vLLM verdict uses.`,
    }[engine];
    if (b.command) {
      parts.push(el('pre', { id: 'server-command' }, b.command),
        copyButton('Copy the command', b.command, 'copy-server-command'),
        el('p', { class: 'muted' }, about));
    } else if (f.error) {
      parts.push(el('p', { class: 'muted' }, 'No command: llama.cpp would refuse these settings (above).'));
    } else {
      parts.push(el('p', { class: 'muted' }, `No launch line for ${b.name}.`));
    }
  }
  if (f.notes) parts.push(el('p', { class: 'muted' }, `Notes: ${f.notes}`));
  if (f.sources && f.sources.length) {
    parts.push(el('details', null, el('summary', null, `Sources (${f.sources.length})`),
      el('ul', { class: 'notes' }, f.sources.map((x) => el('li', null, x)))));
  }
  replace('focus', parts);
}

export function renderLayout(r) {
  const f = r.focus;
  $('layout-lead').textContent = f
    ? `${f.name} ${f.quant_label} at ${r.state.ctx} tokens, placed into ${r.machine.name}'s memory by each backend. The legend gives each part's size; hover a block for its own.`
    : 'Pick a model in the table below.';
  replace('layout-svg', layoutPicture(r.machine, r.pools, f, shownWidth('layout-svg')));
  // Sizes in the legend, so a touch screen (no hover) reads them too.
  const t = f ? f.terms : null;
  const sz = (bytes) => (t ? ` ${gibText(bytes, 2)} GiB` : '');
  const p = r.pools;
  const b = f && f.backends.find((x) => x.id === r.state.backend);
  const own = WORDS.dedicated || 'carve-out';
  const borrowed = WORDS.borrowed === 'GTT' ? 'GTT limit' : WORDS.borrowed === 'system RAM' ? 'system RAM for offload' : WORDS.borrowed;
  const items = [['sw-carve', `${own} ${gibText(p.carve_out)} GiB`], ['sw-os', `OS-visible RAM ${gibText(p.os_visible)} GiB`],
    ['sw-gtt', `${borrowed} (outline) ${gibText(p.gtt)} GiB`], ['sw-reserve', `OS reserve ${gibText(p.os_reserve)} GiB`],
    ['sw-weights', `weights${t ? sz(t.weights + (t.output_copy || 0)) : ''}`], ['sw-kv', `KV cache${t ? sz(t.kv) : ''}`],
    ['sw-state', `recurrent state${t ? sz(t.state) : ''}`], ['sw-compute', `compute buffer (estimate)${t ? sz(t.compute) : ''}`],
    ['sw-over', `runtime overhead (estimate)${b ? sz(b.overhead) : ''}`],
    ['sw-extra', `projector, draft model, MTP layers${t ? sz((t.mmproj || 0) + (t.draft || 0) + (t.mtp || 0)) : ''}`],
    ['sw-host', `host side${t ? sz(t.token_embd + t.host) : ''}`]];
  replace('layout-legend', items.map(([c, label]) => el('span', { class: c }, label)));
}

function card(label, big, small) {
  return el('div', { class: 'card' }, el('div', { class: 'small' }, label), el('div', { class: 'big' }, big), small ? el('div', { class: 'small' }, small) : null);
}

function tps(v) { return v >= 100 ? v.toFixed(0) : v.toFixed(1); }

// The evidence behind the focused backend's figures (the core's speed_evidence): the formula's
// terms, how many rows the family was fitted on and the nearest measured rows with their sources.
// The evidence tables are drawn only while their panel is open (a closed panel waits for its
// toggle), so a change of knobs does not build tables nobody reads.
// The core computes them only then too (the result's evidence part).
let evidenceFor = null;
let evidenceShown = null;
function showEvidence(r) {
  evidenceFor = r;
  if (!r || !$('speed-evidence').open || evidenceShown === r) return;
  evidenceShown = r;
  hooks.need(r, ['evidence']).then(() => {
    if (evidenceShown !== r) return;  // a newer result is on its way
    if (r.evidence) replace('speed-evidence-body', evidenceView(r.evidence, r.measured_problem));
    else replace('speed-evidence-body');
  }, (e) => hooks.coreFailed(e));
}
export function watchEvidence() {
  $('speed-evidence').addEventListener('toggle', () => showEvidence(evidenceFor));
}

// problem: why the measured rows could not load (then only the formula is shown), or undefined.
function evidenceView(e, problem) {
  const cell = (v, num) => el('td', num ? { class: 'num' } : null, v);
  const terms = (f, figure) => [
    ...f.terms.map((t) => el('tr', null, cell(figure), cell(`${t.what} (${t.param})`), cell(t.amount_text, true),
      cell(t.peak_ms.toPrecision(3), true), cell(t.fitted_text), cell(t.ms.toPrecision(3), true))),
    el('tr', null, cell(figure), el('td', null, el('strong', null, `total: ${f.condition}`)), cell(''), cell(''),
      cell(f.speed_factor !== 1 ? `÷ ${f.speed_factor}` : ''), el('td', { class: 'num' }, el('strong', null, `${(f.ms_per_token / f.speed_factor).toPrecision(3)} ms → ${tps(f.tps)} t/s`)))];
  const head = (...h) => el('thead', null, el('tr', null, h.map((x) => el('th', { scope: 'col' }, x))));
  const link = (url) => (/^https:\/\//.test(url)
    ? el('a', { href: url, rel: 'noopener', target: '_blank' }, url.replace(/^https:\/\/(github\.com\/)?/, '').split('/').slice(0, 2).join('/'))
    : url);
  const rows = [...e.near_decode.map((x) => ['decode', x]), ...e.near_prefill.map((x) => ['prefill', x])];
  const off = (x) => {
    const pct = Math.round((x.predicted / x.measured - 1) * 100) || 0;
    return `${pct > 0 ? '+' : ''}${pct} %`;
  };
  const fitted = e.rows.decode + e.rows.prefill > 0
    ? `Family ${e.family_name}: fitted on ${e.rows.decode} decode and ${e.rows.prefill} prefill llama-bench rows, ${e.rows.model} of this model and ${e.rows.arch} of its architecture.`
    : `The family ${e.family_name || e.family} has no calibration rows: default efficiencies, an estimate.`;
  return [
    el('p', { class: 'small' }, fitted, ' ', e.unmeasured ? 'Unmeasured architecture: bytes and FLOPs only. ' : '',
      `80% band: decode ×${e.bands.decode_lo.toFixed(2)}–${e.bands.decode_hi.toFixed(2)}, prefill ×${e.bands.prefill_lo.toFixed(2)}–${e.bands.prefill_hi.toFixed(2)} of the estimate (models and sources held out of the fit).`),
    el('p', { class: 'small' }, 'The formula: each amount of work per token at the machine\'s peak, times what the family\'s rows show the kernels take.'),
    el('div', { class: 'table-wrap' }, el('table', { id: 'evidence-terms' },
      el('caption', { class: 'visually-hidden' }, 'The formula'),
      head('figure', 'term', 'amount per token', 'at peak, ms', 'fitted', 'ms per token'),
      el('tbody', null, terms(e.decode, 'decode'), terms(e.prefill, 'prefill')))),
    rows.length ? el('p', { class: 'small' }, 'The nearest measurements, and what haloplan computes for each row\'s own conditions.') : null,
    rows.length ? el('div', { class: 'table-wrap' }, el('table', { id: 'evidence-rows' },
      el('caption', { class: 'visually-hidden' }, 'Nearest measurements'),
      head('figure', 'model', 'quant', 'test', 'fa', 'backend, build, date', 'measured t/s', 'haloplan t/s', 'off', 'near by', 'source'),
      el('tbody', null, rows.map(([fig, x]) => el('tr', null, cell(fig), cell(x.model), cell(x.quant), cell(x.test), cell(x.fa ? 'on' : 'off'),
        cell([x.backend, x.build ? `b${x.build}` : '', x.date].filter(Boolean).join(', ')), cell(tps(x.measured), true),
        cell(tps(x.predicted), true), cell(off(x), true), cell(x.match), el('td', null, link(x.source)))))))
      : el('p', { class: 'small', role: problem ? 'alert' : null }, problem
        ? `The nearest measurements are missing: ${problem}. haloplan tries again with the next change.`
        : 'No measured row of this family: nothing stands behind the figures but the formula.')];
}

export function renderSpeed(r) {
  const f = r.focus;
  const b = f && f.backends.find((x) => x.id === r.state.backend);
  if (b) {
    const backing = (n) => (!b.calibrated ? 'not calibrated: the band is a guess'
      : b.unmeasured ? 'unmeasured architecture: bytes and FLOPs only, band of architectures held out of the fit'
        : `80% band from ${n} measurements`);
    const band = ([lo, hi], n) => `estimate; ${tps(lo)}–${tps(hi)} (${backing(n)})`;
    const [tlo, thi] = b.bands.ttft_s;
    const build = (r.info.builds || []).find((x) => x.id === b.build);
    replace('speed-focus',
      card(`${f.name} ${f.quant_label} · ${b.name}${build ? `, ${buildName(build.name)}` : ''}`, `${tps(b.decode_tps_0)} t/s`, `decode at depth 0 — ${band(b.bands.decode_tps_0, b.decode_rows)}`),
      card(`decode with ${r.state.ctx} tokens in context`, `${tps(b.decode_tps_ctx)} t/s`, band(b.bands.decode_tps_ctx, b.decode_rows)),
      card(`prefill, ${r.state.prompt}-token prompt`, `${tps(b.prefill_tps)} t/s`, band(b.bands.prefill_tps, b.prefill_rows)),
      card('time to first token', `${b.ttft_s.toFixed(1)} s`, `estimate; ${tlo.toFixed(1)}–${thi.toFixed(1)} s`));
    $('speed-evidence').hidden = false;
    showEvidence(r);
  } else {
    replace('speed-focus');
    $('speed-evidence').hidden = true;
  }
  const width = shownWidth('speed-chart');
  renderPart('speed-chart', [f && f.curve, f && f.name, f && f.quant_label, b && b.name, width], () => {
    if (f && f.curve) replace('speed-chart', speedChart(f.curve, `Decode speed of ${f.name} ${f.quant_label} against context depth (${b ? b.name : ''}), estimate with its error band`, width, WORDS));
    else replace('speed-chart');
  });
  const s = r.state;
  const speedOpts = {
    ...pageOpts('speed', r.speed),
    later: later('speed'),
    sort: { col: s.sort, desc: s.desc },
    onSort: (h) => setState({ sort: h, desc: s.sort === h ? !s.desc : true }),
    cell: (i, j, text) => (j === 2 ? el('span', { class: `v ${VERDICT_CLASS[verdictOfCell(text)] || 'v-refused'}` }, text) : null),
    patchCell: (i, j, text, td) => {
      if (j !== 2) return false;
      const span = td.firstChild;
      const cls = `v ${VERDICT_CLASS[verdictOfCell(text)] || 'v-refused'}`;
      if (span.className !== cls) span.className = cls;
      if (span.textContent !== text) span.textContent = text;
      return true;
    },
  };
  if (!patchTable($('speed-table').firstChild, r.speed, speedOpts)) replaceFrozen('speed-table', tableView(r.speed, { onExport, ...speedOpts }));
  renderPart('ceiling', [r.ceiling], () => replace('ceiling-table', tableView(r.ceiling, { onExport })));
}

export function renderCalibration(r) {
  const sel = $('cal-backend');
  const cur = sel.value;
  replace(sel, el('option', { value: '' }, 'as the rows say'), ...r.info.backends.map((b) => el('option', { value: b.id }, b.name)));
  sel.value = cur;
  const active = r.calibrations;
  replace('cal-active', active.length
    ? el('p', {}, `In use: ${active.map((c) => `${c.backend} — decode ×${c.decode_scale} (${c.decode_rows} rows), prefill ×${c.prefill_scale} (${c.prefill_rows} rows)`).join('; ')}. `,
      el('button', { type: 'button', onclick: () => setState({ cal: null }) }, 'Remove calibration'))
    : null);
}

export function renderSetup(r) {
  const k = r.kernel;
  if (k) {
    const cmdline = k.cmdline;
    const modprobe = k.modprobe.trimEnd();
    const copyBtn = (label, text) => copyButton(label, text);
    replace('setup-kernel',
      el('h3', null, `Kernel parameters for a ${k.gtt_gib} GiB GTT limit`),
      el('p', null, 'Kernel command line (for example in GRUB_CMDLINE_LINUX):'),
      el('pre', { id: 'kernel-cmdline' }, cmdline), copyBtn('Copy kernel parameters', cmdline),
      el('p', null, 'Or as a module option file, /etc/modprobe.d/ttm.conf:'),
      el('pre', null, modprobe), copyBtn('Copy module options', modprobe));
  } else {
    replace('setup-kernel');  // no kernel parameters on this machine: its table says what to set
  }
  replace('setup-tables', r.setup.map((t) => tableView(t, { onExport })));
}

function live(name, value) {
  for (const span of document.querySelectorAll(`[data-live="${name}"]`)) span.textContent = value;
}

// The guide's prose, filled with the scenario's numbers (all computed by the core).
export function renderGuide(r) {
  const m = r.machine;
  const p = r.pools;
  const g = (bytes) => gibText(bytes, bytes % (1024 ** 3) === 0 ? 0 : 1);
  live('machine', r.machine.name);
  live('ram', String(m.ram_gib));
  live('carve', g(p.carve_out));
  live('os', g(p.os_visible));
  live('gtt', g(p.gtt));
  live('gtt-how', p.gtt_default ? ' (the kernel default)' : ' (set by you)');
  live('reserve', g(p.os_reserve));
  live('ceiling', g(p.gpu_ceiling));
  live('carve-options', m.carve_out_options_gib.length ? m.carve_out_options_gib.join(', ') : 'none (this machine has no carve-out)');
  const names = (list) => (list.length ? list.map((b) => b.name).join(', ') : 'none');
  live('gtt-yes', names(r.backends.filter((b) => b.reaches_gtt)));
  live('gtt-no', names(r.backends.filter((b) => !b.reaches_gtt)));
  const f = r.focus;
  const fb = f && f.backends.find((x) => x.id === r.state.backend);
  live('focus', f ? `${f.name} ${f.quant_label} at ${r.state.ctx} tokens` : 'the selected model');
  live('focus-verdicts', f ? f.backends.map((b) => `${b.name}: ${b.verdict_label}`).join('; ') : '—');
  const strategy = (id) => r.strategies.find((x) => x.id === id);
  const gibOf = (col, key) => (col ? col[key].toFixed(1) : '—');
  live('uma-carve', gibOf(strategy('uma-first'), 'carve_out_gib'));
  live('gtt-carve', gibOf(strategy('gtt-first'), 'carve_out_gib'));
  live('gtt-gtt', gibOf(strategy('gtt-first'), 'gtt_gib'));
  live('bw', String(r.machine.bandwidth_gbs));
  live('bw-measured', String(r.machine.ceiling_bandwidth_gbs));
  live('read', f ? (f.read_bytes / 1e9).toFixed(2) : '—');
  live('ceiling-tps', f && f.ceiling_tps > 0 ? tps(f.ceiling_tps) : '—');
  live('decode', fb ? tps(fb.decode_tps_0) : '—');
  live('decode-ctx', fb ? tps(fb.decode_tps_ctx) : '—');
  const tunings = r.info.tunings;
  replace('guide-tunings-list', tunings.length ? el('ul', null, tunings.map((t) => el('li', null,
    el('strong', null, t.name), ` (${t.parameter}): ${t.effect}.`, t.side_effect ? ` Side effect: ${t.side_effect}.` : ''))) : null,
  tunings.length ? el('details', null, el('summary', null, 'Sources'), el('ul', { class: 'notes' },
    tunings.flatMap((t) => t.sources.map((n) => el('li', null, `${t.id}: ${n}`))))) : null);
}
