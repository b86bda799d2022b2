// The two pictures: the machine's memory pools with the focused model placed per backend, and
// decode speed against context depth. Both draw numbers the core computed; nothing is derived here.
import { svgEl, gibText } from './dom.js';

const W = 1000;
const LEFT = 8;

function rect(x, y, w, h, cls, tip) {
  return svgEl('rect', { x: x.toFixed(2), y, width: Math.max(0, w).toFixed(2), height: h, class: cls }, tip ? svgEl('title', null, tip) : null);
}

function text(x, y, s, anchor = 'start') {
  return svgEl('text', { x: x.toFixed(1), y, 'text-anchor': anchor }, s);
}

// pools: bytes from the core; focus: the focused model's terms and per-backend placement.
export function layoutPicture(machine, pools, focus) {
  const discrete = machine.kind === 'discrete';
  const total = discrete ? pools.carve_out + pools.ram : pools.ram;
  const sx = (W - 2 * LEFT) / Math.max(total, 1);
  const X = (b) => LEFT + b * sx;
  const carveName = discrete ? 'VRAM' : 'carve-out';
  const parts = [];
  let y = 18;
  parts.push(text(LEFT, y, `${machine.name}: ${gibText(total, 0)} GiB`));
  y += 6;
  const osStart = pools.carve_out;  // OS-visible RAM (or system RAM beside VRAM) starts after it
  parts.push(rect(X(0), y, pools.carve_out * sx, 22, 'f-carve', `${carveName} ${gibText(pools.carve_out)} GiB`));
  parts.push(rect(X(osStart), y, (total - osStart) * sx, 22, 'f-os', `OS-visible RAM ${gibText(pools.os_visible)} GiB`));
  parts.push(rect(X(total - pools.os_reserve), y, pools.os_reserve * sx, 22, 'f-reserve', `OS reserve ${gibText(pools.os_reserve)} GiB`));
  if (pools.gtt > 0) parts.push(rect(X(osStart), y + 1.5, pools.gtt * sx, 19, 'f-gtt', `GTT limit ${gibText(pools.gtt)} GiB`));
  y += 36;
  parts.push(text(X(0), y, `${carveName} ${gibText(pools.carve_out)}`));
  if (pools.gtt > 0) parts.push(text(X(osStart + pools.gtt / 2), y, `GTT ${gibText(pools.gtt)}`, 'middle'));
  parts.push(text(X(total), y, `OS reserve ${gibText(pools.os_reserve)}`, 'end'));
  y += 16;

  if (focus) {
    const t = focus.terms;
    for (const b of focus.backends) {
      y += 22;
      parts.push(text(LEFT, y, `${b.name}: ${b.verdict_label} — ${gibText(b.gpu_bytes, 2)} GiB on the GPU side`));
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
    ? `${focus.name} ${focus.quant_label}: ` + focus.backends.map((b) => `${b.name} ${b.verdict_label}, ${gibText(b.in_carve_out)} GiB in ${carveName}, ${gibText(b.in_gtt)} GiB in GTT`).join('; ')
    : 'No model selected';
  return svgEl('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-labelledby': 'layout-title layout-desc' },
    svgEl('title', { id: 'layout-title' }, `Memory pools of ${machine.name} and where the model goes`),
    svgEl('desc', { id: 'layout-desc' }, desc), parts);
}

function niceStep(max, n) {
  const raw = max / n;
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}

export function speedChart(curve, title) {
  const pts = curve.points;
  const H = 300, L = 56, R = 16, T = 24, B = 44;
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
  let xs = 256;  // depths in powers of two, as contexts are set
  while (maxX / xs > 8) xs *= 2;
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
  parts.push(text(L + (W - L - R) / 2, H - 8, 'context depth (tokens already in the cache)', 'middle'));
  parts.push(svgEl('text', { x: 14, y: T + (H - T - B) / 2, transform: `rotate(-90 14 ${T + (H - T - B) / 2})`, 'text-anchor': 'middle' }, 'decode tokens/s'));
  const first = pts[0][1], last = pts[pts.length - 1][1];
  return svgEl('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-labelledby': 'speed-title speed-desc' },
    svgEl('title', { id: 'speed-title' }, title),
    svgEl('desc', { id: 'speed-desc' }, `Estimated decode speed falls from ${first.toFixed(1)} tokens/s at depth 0 to ${last.toFixed(1)} tokens/s at depth ${maxX}.`),
    parts);
}
