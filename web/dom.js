// Small DOM helpers. User-supplied text only ever becomes text nodes, never HTML. The table
// component is in table.js.
export function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') e.className = v;
      else if (k === 'text') e.textContent = v;
      else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? '' : v);
    }
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

export function svgEl(tag, attrs, ...children) {
  const e = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v !== undefined && v !== null) e.setAttribute(k, v);
  for (const c of children.flat()) {
    if (c === null || c === undefined) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

// The width an element is shown at, for the pictures drawn at their shown width. Read once, then
// kept by a ResizeObserver, so a part drawn after other parts changed the page does not force the
// browser to lay the page out in the middle of the task. onWidth(id) runs when a width changes.
const widths = new Map();
let widthObserver = null;
let widthListener = null;
export function watchWidths(onWidth) {
  widthListener = onWidth;
}
export function shownWidth(id) {
  if (widths.has(id)) return widths.get(id);
  const e = document.getElementById(id);
  const w = e.clientWidth || 1000;
  widths.set(id, w);
  if (!widthObserver && 'ResizeObserver' in window) {
    widthObserver = new ResizeObserver((entries) => {
      for (const entry of entries) {
        const key = entry.target.id;
        const now = entry.target.clientWidth;  // laid out already: no forced layout
        // A part skipped by content-visibility reports 0: it keeps the width it had.
        if (!now || now === widths.get(key)) continue;
        widths.set(key, now);
        if (widthListener) widthListener(key);
      }
    });
  }
  if (widthObserver) widthObserver.observe(e);
  else widths.delete(id);  // no observer: read each time
  return w;
}

export function replace(target, ...nodes) {
  const t = typeof target === 'string' ? document.getElementById(target) : target;
  t.replaceChildren(...nodes.flat().filter((n) => n));
  return t;
}

export function download(name, text, type = 'application/json') {
  downloadBlob(name, new Blob([text], { type }));
}

export function downloadBlob(name, blob) {
  const url = URL.createObjectURL(blob);
  const a = el('a', { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const ta = el('textarea', { class: 'visually-hidden', 'aria-hidden': 'true' });
    ta.value = text;
    document.body.append(ta);
    ta.select();
    let ok = false;
    try { ok = document.execCommand('copy'); } catch { ok = false; }
    ta.remove();
    return ok;
  }
}

export const GIB = 1024 ** 3;
export function gibText(bytes, d = 1) { return (bytes / GIB).toFixed(d); }

// A drawn picture as a file of its own: an SVG with the page's computed colours and fonts written
// into its elements (it carries no stylesheet), or that SVG rasterised to PNG at twice its size.
const PAINT = ['fill', 'stroke', 'stroke-width', 'stroke-dasharray', 'opacity', 'font-size', 'font-family', 'font-weight', 'text-anchor'];
export function standaloneSvg(svg) {
  const clone = svg.cloneNode(true);
  clone.setAttribute('xmlns', 'http://www.w3.org/2000/svg');
  const from = [svg, ...svg.querySelectorAll('*')];
  const to = [clone, ...clone.querySelectorAll('*')];
  from.forEach((e, i) => {
    const cs = getComputedStyle(e);
    // As presentation attributes: a style attribute would be inline CSS, which the page's policy refuses.
    for (const p of PAINT) to[i].setAttribute(p, cs.getPropertyValue(p));
    to[i].removeAttribute('class');
    to[i].removeAttribute('tabindex');
  });
  const box = svg.viewBox.baseVal;
  const bg = document.createElementNS('http://www.w3.org/2000/svg', 'rect');
  for (const [k, v] of [['x', box.x], ['y', box.y], ['width', box.width], ['height', box.height]]) bg.setAttribute(k, v);
  bg.setAttribute('fill', getComputedStyle(document.body).backgroundColor);
  clone.insertBefore(bg, clone.firstChild);
  clone.setAttribute('width', box.width);
  clone.setAttribute('height', box.height);
  return new XMLSerializer().serializeToString(clone);
}

// Browsers refuse canvases past this side.
const PNG_MAX_SIDE = 16384;

export async function svgToPng(text, width, height) {
  if (!(width > 0 && height > 0)) throw new Error('the picture has no size');
  if (Math.max(width, height) * 2 > PNG_MAX_SIDE) {
    throw Object.assign(new Error(`too large for a PNG (${Math.round(width)} × ${Math.round(height)} px): save as SVG`), { tooLarge: true });
  }
  const img = new Image();
  img.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(text)}`;
  await img.decode();
  const canvas = document.createElement('canvas');
  canvas.width = Math.round(width * 2);
  canvas.height = Math.round(height * 2);
  const g = canvas.getContext('2d');
  g.scale(2, 2);
  g.drawImage(img, 0, 0, width, height);
  return new Promise((ok, fail) => canvas.toBlob((b) => (b ? ok(b) : fail(new Error('the browser could not encode the PNG'))), 'image/png'));
}
