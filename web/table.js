// The table component: a core table ({title, headers, rows, notes}) as an accessible <table>,
// patched in place when only its numbers change, with frozen first columns on narrow screens.
import { el, replace } from './dom.js';

const NUMERIC = /^[+-]?\d+(\.\d+)?$/;

// A core table ({title, headers, rows, notes}) as an accessible <table>.
// opts: order (row indices), sort {col, desc}, onSort(col), cell(i, j, text) -> Node|null, rowClass(i),
// labels: each cell carries its header (data-label, for a layout of one block per row),
// onExport(shown, format): adds "Copy as Markdown / CSV" for the rows as displayed, or for
// exportAll() when the table holds only some of them, and "Save as SVG / PNG" for the rows shown; total: the rows there are when t holds only
// the first of them, with a button for `limit` more (onMore), so a catalog of thousands of models
// does not become a table of thousands of rows.
export function tableView(t, opts = {}) {
  const head = el('tr', null,
    t.headers.map((h, j) => {
      if (!opts.onSort) return el('th', { scope: 'col' }, h);
      const sorted = opts.sort && opts.sort.col === h;
      return el('th', { scope: 'col', 'aria-sort': sorted ? (opts.sort.desc ? 'descending' : 'ascending') : 'none' },
        el('button', { type: 'button', class: 'sort', onclick: () => view.sortBy(j) }, h || '·'));
    }));
  const order = opts.order || t.rows.map((_, i) => i);
  const body = el('tbody', null, order.map((i) => {
    const r = t.rows[i];
    return el('tr', { class: opts.rowClass ? opts.rowClass(i) : null },
      r.map((text, j) => {
        const custom = opts.cell ? opts.cell(i, j, text) : null;
        const tag = j === 0 && t.headers[0] === '' ? 'th' : 'td';
        return el(tag, { class: NUMERIC.test(text) ? 'num' : null, scope: tag === 'th' ? 'row' : null,
          'data-label': opts.labels ? t.headers[j] : null }, custom || text);
      }));
  }));
  const table = el('table', null, el('caption', null, t.title), el('thead', null, head), body);
  // A header's button sorts by the header and with the options of the table as last patched.
  const view = { shape: tableShape(t, order, opts), shown: shownTable(t, order), t, opts,
    sortBy: (j) => view.opts.onSort(view.t.headers[j]) };
  let exports = null;
  if (opts.onExport) {
    const button = (format, label) => el('button', { type: 'button', class: 'export', 'data-format': format,
      onclick: (e) => opts.onExport(opts.exportAll ? opts.exportAll() : view.shown, format, e.currentTarget) }, label);
    // A picture holds the rows on screen (a forum post wants those, not thousands).
    const image = (format, label) => el('button', { type: 'button', class: 'export', 'data-format': format,
      onclick: (e) => opts.onExport(view.shown, format, e.currentTarget) }, label);
    exports = el('div', { class: 'exports' }, button('markdown', 'Copy as Markdown'), button('csv', 'Copy as CSV'),
      image('svg', 'Save as SVG'), image('png', 'Save as PNG'));
  }
  const total = opts.total === undefined ? order.length : opts.total;
  const more = order.length < total
    ? el('p', { class: 'more' }, `Showing ${order.length} of ${total} rows. `,
      el('button', { type: 'button', class: 'more-rows', onclick: () => opts.onMore() }, `Show ${Math.min(opts.limit, total - order.length)} more`))
    : null;
  const wrap = el('div', { class: 'table-wrap' }, table, more, notesList(t.notes), exports);
  wrap.tableView = view;
  return wrap;
}

function shownTable(t, order) {
  return { title: t.title, headers: t.headers, rows: order.map((i) => t.rows[i]), notes: t.notes || [] };
}

// What must stay the same for a table to be updated in place: columns, rows (by their first two
// cells, e.g. model and quant) and sort.
function tableShape(t, order, opts) {
  // Headers are patched as text (e.g. "@8192"), a sortable one's in its button.
  // A table whose cells carry their header (opts.labels) is built anew when a header changes.
  return JSON.stringify([opts.labels ? t.headers : t.headers.length, order.map((i) => [t.rows[i][0], t.rows[i][1]]), opts.sort || null, opts.total]);
}

function notesList(notes) {
  return notes && notes.length ? el('ul', { class: 'notes' }, notes.map((n) => el('li', null, n))) : null;
}

// Updates a table made by tableView in place when only its texts changed: no new elements, so the
// browser re-lays out only what changed. Returns false when the table must be built anew.
// opts as for tableView, plus patchCell(i, j, text, td) -> true when it updated the cell itself,
// and later(fn): with it, a table watched by watchRows patches the rows on screen now and hands
// the others to later(), so a change costs the layout of what the reader sees.
export function patchTable(wrap, t, opts = {}) {
  const view = wrap && wrap.tableView;
  const order = opts.order || t.rows.map((_, i) => i);
  if (!view || view.shape !== tableShape(t, order, opts)) return false;
  const table = wrap.querySelector('table');
  if (table.caption.textContent !== t.title) table.caption.textContent = t.title;
  [...table.tHead.rows[0].cells].forEach((th, j) => {
    const h = t.headers[j];
    if (!opts.onSort) {
      if (th.textContent !== h) th.textContent = h;
      return;
    }
    const button = th.firstChild;
    if (button.textContent !== (h || '·')) button.textContent = h || '·';
    const sorted = opts.sort && opts.sort.col === h;
    const aria = sorted ? (opts.sort.desc ? 'descending' : 'ascending') : 'none';
    if (th.getAttribute('aria-sort') !== aria) th.setAttribute('aria-sort', aria);
  });
  const rows = table.tBodies[0].rows;
  const patchRow = (k) => {
    const i = order[k];
    const tr = rows[k];
    const cls = opts.rowClass ? opts.rowClass(i) || '' : '';
    if (tr.className !== cls) tr.className = cls;
    t.rows[i].forEach((text, j) => {
      const td = tr.cells[j];
      if (opts.patchCell && opts.patchCell(i, j, text, td)) return;
      if (td.textContent !== text) td.textContent = text;
    });
  };
  const onScreen = opts.later && wrap.onScreen;
  if (onScreen) {
    const rest = [];
    for (let k = 0; k < order.length; k++) {
      if (onScreen.has(rows[k])) patchRow(k);
      else rest.push(k);
    }
    if (rest.length) opts.later(() => rest.forEach(patchRow));
  } else {
    for (let k = 0; k < order.length; k++) patchRow(k);
  }
  const oldNotes = wrap.querySelector(':scope > ul.notes');
  if (JSON.stringify(view.shown.notes) !== JSON.stringify(t.notes || [])) {
    const fresh = notesList(t.notes);
    if (oldNotes && fresh) oldNotes.replaceWith(fresh);
    else if (oldNotes) oldNotes.remove();
    else if (fresh) table.after(fresh);
  }
  view.shown = shownTable(t, order);
  view.t = t;
  view.opts = opts;
  return true;
}

// Fixes a table's column widths at what the browser chose for its current content
// (table-layout: fixed), so a later change of cell text lays out only its own row instead of
// measuring every cell of the table again. Widths are taken again after a change of window width.
// A table not laid out yet (hidden) keeps automatic widths.
export function freezeColumns(wrap) {
  const table = wrap && wrap.querySelector('table');
  if (!table || !table.tHead) return;
  unfreeze(table);
  const width = table.getBoundingClientRect().width;
  if (!width) return;
  const cols = [...table.tHead.rows[0].cells].map((th) => {
    const col = document.createElement('col');
    col.style.width = `${th.getBoundingClientRect().width}px`;
    return col;
  });
  table.insertBefore(el('colgroup', null, cols), table.tHead);
  table.style.width = `${width}px`;
  table.classList.add('frozen');
}

function unfreeze(table) {
  const cg = table.querySelector(':scope > colgroup');
  if (cg) cg.remove();
  table.style.width = '';
  table.classList.remove('frozen');
}

// Puts a new table view in place of `target`'s content and fixes its column widths.
export function replaceFrozen(target, view) {
  view.classList.add('freeze');
  const t = typeof target === 'string' ? document.getElementById(target) : target;
  for (const old of t.querySelectorAll('.table-wrap')) if (old.rowObserver) old.rowObserver.disconnect();
  replace(t, view);
  freezeColumns(view);
  watchRows(view);
}

// Keeps wrap.onScreen: the set of body rows on screen (for patchTable's later). Until
// the browser's first report it stays unset, and every row counts as on screen.
const ROWS_WATCHED = 30;
function watchRows(wrap) {
  if (!('IntersectionObserver' in window)) return;
  const rows = wrap.querySelector('table').tBodies[0].rows;
  if (rows.length < ROWS_WATCHED) return;
  const io = new IntersectionObserver((entries) => {
    if (!wrap.onScreen) wrap.onScreen = new Set();
    for (const e of entries) {
      if (e.isIntersecting) wrap.onScreen.add(e.target);
      else wrap.onScreen.delete(e.target);
    }
  }, { rootMargin: '0px' });
  for (const tr of rows) io.observe(tr);
  wrap.rowObserver = io;
}

let lastWidth = window.innerWidth;
let resizeTimer = 0;
window.addEventListener('resize', () => {
  if (window.innerWidth === lastWidth) return;
  lastWidth = window.innerWidth;
  for (const t of document.querySelectorAll('table.frozen')) unfreeze(t);  // readable at once
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(() => {
    for (const w of document.querySelectorAll('.table-wrap.freeze')) freezeColumns(w);
  }, 200);
});
