// The two pictures: the machine's memory pools with the focused model placed per backend, and
// decode speed against context depth. Both draw numbers the core computed; nothing is derived here.
import { svgEl, gibText } from './dom.js';

const LEFT = 8;

function rect(x, y, w, h, cls, tip) {
  return svgEl('rect', { x: x.toFixed(2), y, width: Math.max(0, w).toFixed(2), height: h, class: cls }, tip ? svgEl('title', null, tip) : null);
}

function text(x, y, s, anchor = 'start') {
  return svgEl('text', { x: x.toFixed(1), y, 'text-anchor': anchor }, s);
}

// pools: bytes from the core; focus: the focused model's terms and per-backend placement.
// Drawn at `width` (the width it is shown at, 1000 by default), so its text stays 12px on a phone.
export function layoutPicture(machine, pools, focus, width = 1000) {
  const W = Math.max(300, Math.round(width));
  const narrow = W < 560;
  const discrete = machine.kind === 'discrete';
  const total = discrete ? pools.carve_out + pools.ram : pools.ram;
  const sx = (W - 2 * LEFT) / Math.max(total, 1);
  const X = (b) => LEFT + b * sx;
  const words = machine.words || { dedicated: 'carve-out', borrowed: 'GTT' };
  const carveName = words.dedicated || 'carve-out';
  // The pool the GPU borrows from the OS, as this machine calls its limit.
  const borrowedLimit = words.borrowed === 'GTT' ? 'GTT limit' : discrete ? 'system RAM for offloaded weights' : words.borrowed;
  const borrowedShort = words.borrowed === 'GTT' ? 'GTT' : discrete ? 'RAM' : words.borrowed;
  const parts = [];
  let y = 18;
  parts.push(text(LEFT, y, `${machine.name}: ${gibText(total, 0)} GiB`));
  y += 6;
  const osStart = pools.carve_out;  // OS-visible RAM (or system RAM beside VRAM) starts after it
  parts.push(rect(X(0), y, pools.carve_out * sx, 22, 'f-carve', `${carveName} ${gibText(pools.carve_out)} GiB`));
  parts.push(rect(X(osStart), y, (total - osStart) * sx, 22, 'f-os', `OS-visible RAM ${gibText(pools.os_visible)} GiB`));
  parts.push(rect(X(total - pools.os_reserve), y, pools.os_reserve * sx, 22, 'f-reserve', `OS reserve ${gibText(pools.os_reserve)} GiB`));
  if (pools.gtt > 0) parts.push(rect(X(osStart), y + 1.5, pools.gtt * sx, 19, 'f-gtt', `${borrowedLimit} ${gibText(pools.gtt)} GiB`));
  y += 36;
  parts.push(text(X(0), y, `${carveName} ${gibText(pools.carve_out)}`));
  if (pools.gtt > 0) parts.push(text(X(osStart + pools.gtt / 2), y + (narrow ? 15 : 0), `${borrowedShort} ${gibText(pools.gtt)}`, 'middle'));
  parts.push(text(X(total), y, `${narrow ? 'reserve' : 'OS reserve'} ${gibText(pools.os_reserve)}`, 'end'));
  if (narrow) y += 15;
  y += 16;

  if (focus) {
    const t = focus.terms;
    for (const b of focus.backends) {
      y += 22;
      if (narrow) {
        // Two lines: the backend, then its verdict.
        parts.push(text(LEFT, y, b.name));
        y += 15;
        parts.push(text(LEFT, y, `${b.verdict_label}, ${gibText(b.gpu_bytes, 2)} GiB`));
      } else {
        parts.push(text(LEFT, y, `${b.name}: ${b.verdict_label} — ${gibText(b.gpu_bytes, 2)} GiB on the GPU side`));
      }
      y += 6;
      const pieces = [
        ['f-weights', t.weights, 'weights (without token_embd)'],
        ['f-weights', t.output_copy || 0, 'output head (tied embeddings: token_embd again, on the GPU)'],
        ['f-kv', t.kv, 'KV cache'],
        ['f-state', t.state, 'recurrent state'],
        ['f-compute', t.compute, 'compute buffer (estimate)'],
        ['f-extra', t.mmproj || 0, 'vision projector (--mmproj)'],
        ['f-extra', t.draft || 0, 'draft model (-md): weights, KV cache, compute buffer'],
        ['f-extra', t.mtp || 0, 'MTP layers (--spec-type draft-mtp): weights, KV cache, compute buffer'],
        ['f-over', b.overhead, 'runtime overhead (estimate)'],
      ];
      const overflow = Math.max(0, b.gpu_bytes - b.in_carve_out - b.in_gtt);
      const regions = [
        { start: 0, len: b.in_carve_out, x0: 0, over: false },
        { start: b.in_carve_out, len: b.in_gtt, x0: osStart, over: false },
        { start: b.in_carve_out + b.in_gtt, len: overflow, x0: osStart + b.in_gtt, over: true },
      ];
      let at = 0;
      for (const [cls, bytes, name] of pieces) {
        const a = at, e = at + bytes;
        at = e;
        for (const r of regions) {
          const lo = Math.max(a, r.start), hi = Math.min(e, r.start + r.len);
          if (hi <= lo) continue;
          const x = X(r.x0 + lo - r.start);
          parts.push(rect(x, y, (hi - lo) * sx, 18, r.over ? 'f-over-limit' : cls,
            `${name}: ${gibText(hi - lo, 2)} GiB${r.over ? ' beyond what this backend can use' : ''}`));
        }
      }
      const hostX = osStart + b.in_gtt;  // host buffers follow what GTT holds
      const host = t.token_embd + t.host;
      parts.push(rect(X(Math.min(hostX, total - host)), y + 20, host * sx, 6, 'f-host', `host side (token_embd, logits, host buffers): ${gibText(host, 2)} GiB`));
      parts.push(svgEl('line', { x1: X(b.gpu_limit).toFixed(1), x2: X(b.gpu_limit).toFixed(1), y1: y - 3, y2: y + 29, class: 's-mark' },
        svgEl('title', null, `limit for this backend: ${gibText(b.gpu_limit)} GiB`)));
      y += 30;
    }
  }
  const H = y + 8;
  const desc = focus
    ? `${focus.name} ${focus.quant_label}: ` + focus.backends.map((b) => `${b.name} ${b.verdict_label}, ${gibText(b.in_carve_out)} GiB in ${carveName}, ${gibText(b.in_gtt)} GiB in ${borrowedShort}`).join('; ')
    : 'No model selected';
  return svgEl('svg', { viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: 'img', 'aria-labelledby': 'layout-title layout-desc' },
    svgEl('title', { id: 'layout-title' }, `Memory pools of ${machine.name} and where the model goes`),
    svgEl('desc', { id: 'layout-desc' }, desc), parts);
}

function niceStep(max, n) {
  const raw = max / n;
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}

export function speedChart(curve, title, width = 1000, words = { borrowed: 'GTT' }) {
  // Past the GPU's own pool the model spills: into GTT on an AMD APU, to system RAM beside VRAM.
  const spill = words.borrowed === 'system RAM' ? 'spills to system RAM' : `spills into ${words.borrowed}`;
  const W = Math.max(300, Math.round(width));
  const narrow = W < 560;
  const pts = curve.points;
  const H = narrow ? 260 : 300, L = narrow ? 44 : 56, R = 16, T = 24, B = 44;
  const maxX = Math.max(1, pts[pts.length - 1][0]);
  const maxY = Math.max(...pts.map((p) => p[1] * curve.band_hi)) * 1.05 || 1;
  const x = (d) => L + (d / maxX) * (W - L - R);
  const y = (v) => T + (1 - v / maxY) * (H - T - B);
  const parts = [];
  const ys = niceStep(maxY, 5);
  for (let v = 0; v <= maxY + 1e-9; v += ys) {
    parts.push(svgEl('line', { x1: L, x2: W - R, y1: y(v).toFixed(1), y2: y(v).toFixed(1), class: 'grid' }));
    parts.push(text(L - 6, y(v) + 4, v.toFixed(ys < 1 ? 1 : 0), 'end'));
  }
  let xs = 256;  // contexts in powers of two, as they are set
  while (maxX / xs > (narrow ? 4 : 8)) xs *= 2;
  for (let d = 0; d <= maxX + 1e-9; d += xs) {
    parts.push(svgEl('line', { x1: x(d).toFixed(1), x2: x(d).toFixed(1), y1: T, y2: H - B, class: 'grid' }));
    parts.push(text(x(d), H - B + 16, d >= 1024 ? `${d / 1024}K` : `${d}`, 'middle'));
  }
  parts.push(svgEl('line', { x1: L, x2: L, y1: T, y2: H - B, class: 'axis' }));
  parts.push(svgEl('line', { x1: L, x2: W - R, y1: H - B, y2: H - B, class: 'axis' }));
  const band = pts.map((p) => `${x(p[0]).toFixed(1)},${y(p[1] * curve.band_hi).toFixed(1)}`)
    .concat(pts.slice().reverse().map((p) => `${x(p[0]).toFixed(1)},${y(p[1] * curve.band_lo).toFixed(1)}`));
  parts.push(svgEl('polygon', { points: band.join(' '), class: 's-band' }, svgEl('title', null, 'error band of the speed fit')));
  parts.push(svgEl('polyline', { points: pts.map((p) => `${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`).join(' '), class: 's-line' }));
  // Capacity cliffs: the context past which the model spills from the carve-out into GTT, and past
  // which it does not fit at all; the state's own context as a solid line.
  const mark = (n, cls, label, row) => {
    if (!(n > 0) || n >= maxX) return;
    parts.push(svgEl('line', { x1: x(n).toFixed(1), x2: x(n).toFixed(1), y1: T, y2: H - B, class: cls }, svgEl('title', null, label)));
    parts.push(text(x(n) + (x(n) > W * 0.7 ? -4 : 4), T + 12 + row * 14, label, x(n) > W * 0.7 ? 'end' : 'start'));
  };
  const k = (n) => (n >= 1024 ? `${Math.round(n / 1024)}K` : String(n));
  if (curve.fit_ctx > 0 && curve.fit_ctx < maxX) {
    parts.push(rect(x(curve.fit_ctx), T, x(maxX) - x(curve.fit_ctx), H - T - B, 's-nofit', `a context above ${curve.fit_ctx} tokens does not fit`));
  }
  if (curve.reaches_gtt && curve.carve_out_ctx > 0 && curve.carve_out_ctx < curve.fit_ctx) mark(curve.carve_out_ctx, 's-cliff', `over ${k(curve.carve_out_ctx)}: ${spill}`, 1);
  mark(curve.fit_ctx, 's-cliff', `over ${k(curve.fit_ctx)}: does not fit`, 2);
  mark(curve.context, 's-mark', `your context ${k(curve.context)}`, 0);
  parts.push(text(L + (W - L - R) / 2, H - 8, narrow ? 'context (tokens), decode with it full' : `context (tokens${curve.slots > 1 ? ` over ${curve.slots} slots` : ''}), decode with it full`, 'middle'));
  parts.push(svgEl('text', { x: 14, y: T + (H - T - B) / 2, transform: `rotate(-90 14 ${T + (H - T - B) / 2})`, 'text-anchor': 'middle' }, 'decode tokens/s'));
  const first = pts[0][1], last = pts[pts.length - 1][1];
  return svgEl('svg', { viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: 'img', 'aria-labelledby': 'speed-title speed-desc' },
    svgEl('title', { id: 'speed-title' }, title),
    svgEl('desc', { id: 'speed-desc' }, `Estimated decode speed falls from ${first.toFixed(1)} tokens/s at an empty context to ${last.toFixed(1)} tokens/s with ${maxX} tokens.${curve.carve_out_ctx > 0 && curve.carve_out_ctx < curve.fit_ctx && curve.reaches_gtt ? ` Over ${curve.carve_out_ctx} tokens it ${spill}.` : ''}${curve.fit_ctx > 0 && curve.fit_ctx < maxX ? ` Over ${curve.fit_ctx} tokens it does not fit.` : ''}`),
    parts);
}

// The map: every model x chosen quant, memory it needs on the GPU side (x, GiB) against decode
// speed with the context full (y, log scale), with the backend's pool limits as lines. Drawn at
// the width it is shown at, so its text stays 12px on a phone. Points are one tab stop (the
// focused one; arrow keys move along x, Enter or Space focuses the model).
const MAP_SHAPE = {
  'carve-out': (x, y) => svgEl('circle', { cx: x, cy: y, r: 5 }),
  gtt: (x, y) => svgEl('rect', { x: x - 4.5, y: y - 4.5, width: 9, height: 9 }),
  'os-squeeze': (x, y) => svgEl('path', { d: `M${x} ${y - 6}L${x + 6} ${y}L${x} ${y + 6}L${x - 6} ${y}Z` }),
  'no-fit': (x, y) => svgEl('path', { d: `M${x - 4.5} ${y - 4.5}L${x + 4.5} ${y + 4.5}M${x + 4.5} ${y - 4.5}L${x - 4.5} ${y + 4.5}`, class: 'cross' }),
  refused: (x, y) => svgEl('circle', { cx: x, cy: y, r: 5, class: 'hollow' }),
};
const mapWords = (w) => ({ 'carve-out': w.fits_dedicated, gtt: w.fits_borrowed, 'os-squeeze': 'squeezes the OS', 'no-fit': 'does not fit', refused: 'refused by llama.cpp' });
const AMD_MAP_WORDS = { fits_dedicated: 'fits the carve-out', fits_borrowed: 'fits only with GTT', gpu_limit: 'carve-out + GTT' };

export function mapChart(map, width, focus, onPick) {
  const W2 = Math.max(300, Math.round(width));
  const narrow = W2 < 560;
  const G = 1024 ** 3;
  const words = mapWords(map.words || AMD_MAP_WORDS);
  const pts = map.points.map(([model, name, quant, label, bytes, tps, verdict]) => ({ model, name, quant, label, gib: bytes / G, tps, verdict }));
  const limitGib = map.ram / G;
  const maxX = limitGib * 1.5;
  const L = 46, R = 14, B = 42;
  const x = (g) => L + (Math.min(g, maxX) / maxX) * (W2 - L - R);
  // The pool limits of this backend.
  const lines = [];
  // The GPU's own pool: the carve-out on an AMD APU, VRAM beside a discrete GPU.
  const own = map.words ? map.words.dedicated : map.apu ? 'carve-out' : '';
  if (own && map.carve_out > 0) lines.push([map.carve_out / G, `${own} ${Math.round(map.carve_out / G)}`]);
  if (map.gpu_limit > map.carve_out + 1) lines.push([map.gpu_limit / G, `${map.words ? map.words.gpu_limit : map.apu ? AMD_MAP_WORDS.gpu_limit : 'GPU limit'} ${Math.round(map.gpu_limit / G)}`]);
  lines.push([limitGib, `RAM ${Math.round(limitGib)}`]);
  // Labels stack one row each when the chart is narrow or two of them would run into each other
  // (about 7 px a character at 12 px): each starts at its line, the last ends at its line.
  const charW = 7;
  const crowded = narrow || lines.some(([g, label], i) => i > 0 &&
    x(g) - x(lines[i - 1][0]) < lines[i - 1][1].length * charW + (i === lines.length - 1 ? label.length * charW : 0) + 8);
  const H = narrow ? 340 : 380, T = crowded ? Math.max(30, 12 + lines.length * 14) : 30;
  const tpsAll = pts.map((p) => p.tps).filter((v) => v > 0);
  const lo = 10 ** Math.floor(Math.log10(Math.max(0.1, Math.min(...tpsAll, 10))));
  const hi = 10 ** Math.ceil(Math.log10(Math.max(...tpsAll, 10)));
  const y = (v) => T + (1 - (Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * (H - T - B);
  const parts = [];
  for (let d = lo; d <= hi * 1.0001; d *= 10) {
    for (const m of [1, 2, 5]) {
      const v = d * m;
      if (v > hi * 1.0001) break;
      parts.push(svgEl('line', { x1: L, x2: W2 - R, y1: y(v).toFixed(1), y2: y(v).toFixed(1), class: m === 1 ? 'grid' : 'grid minor' }));
      if (m === 1 || !narrow) parts.push(text(L - 6, y(v) + 4, v >= 1 ? String(v) : v.toFixed(1), 'end'));
    }
  }
  const step = niceStep(maxX, narrow ? 4 : 8);
  for (let g = 0; g <= maxX + 1e-9; g += step) {
    parts.push(text(x(g), H - B + 16, String(g), 'middle'));
  }
  parts.push(svgEl('line', { x1: L, x2: L, y1: T, y2: H - B, class: 'axis' }));
  parts.push(svgEl('line', { x1: L, x2: W2 - R, y1: H - B, y2: H - B, class: 'axis' }));
  parts.push(text(L + (W2 - L - R) / 2, H - 6, narrow ? `GiB needed (over ${Math.round(maxX)}: at the edge)` : `GiB on the GPU side at ${map.ctx} tokens (beyond ${Math.round(maxX)}: at the edge)`, 'middle'));
  parts.push(svgEl('text', { x: 12, y: T + (H - T - B) / 2, transform: `rotate(-90 12 ${T + (H - T - B) / 2})`, 'text-anchor': 'middle' }, 'decode t/s (log), estimate'));
  // Each label on its own row when they are crowded, so none runs into the next.
  lines.forEach(([g, label], i) => {
    const right = crowded ? x(g) > W2 * 0.55 : i === lines.length - 1;
    const ly = crowded ? T - 8 - (lines.length - 1 - i) * 14 : T - 8;
    parts.push(svgEl('line', { x1: x(g).toFixed(1), x2: x(g).toFixed(1), y1: ly + 4, y2: H - B, class: 'limit' }));
    parts.push(text(x(g) + (right ? -3 : 3), ly, label, right ? 'end' : 'start'));
  });
  // Points, left to right; the focused one carries the tab stop and its name.
  const order = pts.map((p, i) => i).sort((a, b) => pts[a].gib - pts[b].gib || pts[b].tps - pts[a].tps);
  const focusIdx = order.find((i) => focus && pts[i].model === focus.model && pts[i].quant === focus.quant);
  const groups = [];
  for (const i of order) {
    const p = pts[i];
    const cx = x(p.gib), cy = y(p.tps);
    const off = p.gib > maxX ? ', off the chart' : '';
    const label = `${p.name} ${p.label}: ${p.gib.toFixed(1)} GiB, ${p.tps >= 100 ? p.tps.toFixed(0) : p.tps.toFixed(1)} t/s, ${words[p.verdict] || p.verdict}${off}`;
    const g = svgEl('g', { class: `pt m-${p.verdict}${i === focusIdx ? ' focused' : ''}`, tabindex: i === (focusIdx ?? order[0]) ? '0' : '-1', role: 'button', 'aria-label': label, 'data-model': p.model, 'data-quant': p.quant },
      svgEl('title', null, label), svgEl('circle', { cx, cy, r: 11, class: 'hit' }), MAP_SHAPE[p.verdict] ? MAP_SHAPE[p.verdict](cx, cy) : null,
      i === focusIdx ? svgEl('circle', { cx, cy, r: 9, class: 'ring' }) : null);
    groups.push(g);
  }
  if (focusIdx !== undefined) {
    const p = pts[focusIdx];
    const cx = x(p.gib);
    parts.push(text(Math.min(Math.max(cx, L + 60), W2 - R - 60), y(p.tps) - 13, `${p.name} ${p.label}`, 'middle'));
  }
  const svg = svgEl('svg', { viewBox: `0 0 ${W2} ${H}`, width: W2, height: H, role: 'group', 'aria-labelledby': 'map-title', class: 'map' },
    svgEl('title', { id: 'map-title' }, `Every model and quant: memory needed on ${map.backend_name} against decode speed`), parts, groups);
  const pick = (g) => onPick(g.getAttribute('data-model'), g.getAttribute('data-quant'));
  svg.addEventListener('click', (e) => { const g = e.target.closest('g.pt'); if (g) pick(g); });
  svg.addEventListener('keydown', (e) => {
    const g = e.target.closest && e.target.closest('g.pt');
    if (!g) return;
    if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); pick(g); return; }
    const k = groups.indexOf(g);
    const next = { ArrowRight: k + 1, ArrowDown: k + 1, ArrowLeft: k - 1, ArrowUp: k - 1, Home: 0, End: groups.length - 1 }[e.key];
    if (next === undefined || next < 0 || next >= groups.length) return;
    e.preventDefault();
    g.setAttribute('tabindex', '-1');
    groups[next].setAttribute('tabindex', '0');
    groups[next].focus();
  });
  return svg;
}
