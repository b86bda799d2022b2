// The wasm module in Node: the shared fixtures give the same numbers as natively, and the fit
// table equals the CLI's for the same scenario.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const wasmDir = process.env.HALOPLAN_WASM_DIR || path.join(root, 'build/wasm/wasm');
const cli = process.env.HALOPLAN_CLI || path.join(root, 'build/native/cli/haloplan');
const fixture = (name) => JSON.parse(fs.readFileSync(path.join(root, 'tests/fixtures', name), 'utf8'));

const { default: create } = await import(path.join(wasmDir, 'haloplan.mjs'));
const core = await create({ wasmBinary: fs.readFileSync(path.join(wasmDir, 'haloplan.wasm')) });
// The whole view: the head, then each table part for the same state.
const compute = (state) => {
  const r = JSON.parse(core.compute(JSON.stringify(state), false));
  for (const part of ['fit', 'speed', 'ceiling', 'setup']) Object.assign(r, JSON.parse(core.computePart(part, 0)));
  return r;
};

test('the page\'s module leaves the importers and the fitter to the tools module', async () => {
  for (const f of ['ggufAdd', 'ggufFinish', 'hfConfig', 'calibrate']) assert.equal(core[f], undefined, f);
  const { default: createTools } = await import(path.join(wasmDir, 'haloplan-tools.mjs'));
  const tools = await createTools({ wasmBinary: fs.readFileSync(path.join(wasmDir, 'haloplan-tools.wasm')) });
  for (const f of ['ggufAdd', 'ggufFinish', 'hfConfig', 'calibrate', 'compute']) assert.equal(typeof tools[f], 'function', f);
  // Both compute the same view.
  assert.equal(tools.compute(JSON.stringify({ ctx: 8192 }), false), core.compute(JSON.stringify({ ctx: 8192 }), false));
  assert.equal(tools.computePart('fit', 0), core.computePart('fit', 0));
  assert.equal(core.computePart('nonsense', 0), '{}');
});

test('bits per weight of Llama-3.1-8B match llama.cpp (shared fixture)', () => {
  const f = fixture('bpw_llama31_8b.json');
  for (const [quant, bpw] of Object.entries(f.expected_bpw)) {
    const r = compute({ model: f.model, quant });
    assert.equal(r.focus.quant, quant);
    const term = r.focus.tables[0].rows[0][0];
    assert.match(term, new RegExp(`\\(${bpw.toFixed(4)} bpw\\)`), `${quant}: ${term}`);
  }
});

test('KV cache and recurrent state bytes match the worked examples (shared fixture)', () => {
  for (const c of fixture('kv_examples.json').cases) {
    const r = compute({ ctx: c.ctx, ktype: c.type_k, vtype: c.type_v, slots: c.slots || 1 });
    const row = r.fit.data.find((d) => d.model === c.model);
    assert.ok(row, `${c.model} in the fit table`);
    if (c.kv_bytes !== undefined) assert.equal(row.kv, c.kv_bytes, c.name);
    if (c.state_bytes !== undefined) assert.equal(row.state, c.state_bytes, c.name);
  }
});

test('the fit table equals the CLI\'s for the same scenario', () => {
  const scenarios = [
    {},
    { machine: 'framework-desktop-64', ctx: 131072, ktype: 'q8_0', vtype: 'q8_0', quants: ['Q8_0', 'Q4_K_M'] },
    { gtt: 96, carve: 0.5, reserve: 4, kernel: '', slots: 4, unified: false },
    { machine: 'apple-mac-studio-m4-max-128', ctx: 8192 },
  ];
  for (const s of scenarios) {
    const r = compute(s);
    const out = JSON.parse(execFileSync(cli, ['fit', '--link', r.link, '--format', 'json'], { encoding: 'utf8' }))[0];
    assert.equal(out.title, r.fit.title);
    assert.equal(out.rows.length, r.fit.rows.length);
    out.rows.forEach((row, i) => assert.deepEqual(Object.values(row), r.fit.rows[i], `row ${i} of ${r.link}`));
  }
});

test('a link round-trips and a broken one names what it dropped', () => {
  const r = compute({ machine: 'framework-desktop-64', ctx: 65536, model: 'qwen3-30b-a3b', quant: 'Q8_0', filter: 'qwen' });
  const back = JSON.parse(core.decodeLink(r.link));
  assert.deepEqual(back.notices, []);
  assert.deepEqual(compute(back.state).state, r.state);
  const broken = JSON.parse(core.decodeLink('v=1&ctx=huge&machine=framework-desktop-64'));
  assert.equal(broken.notices.length, 1);
  assert.match(broken.notices[0].message, /context must be a whole number.*'huge'/);
  assert.equal(broken.state.machine, 'framework-desktop-64');
});

test('catalog validation reports errors by JSON path', () => {
  const d = JSON.parse(core.checkModels(JSON.stringify({ schema: 'haloplan-models', version: 1, models: [{ id: 'x' }] })));
  assert.ok(d.some((x) => x.error && x.path === 'models[0]' || x.path.startsWith('models[0].')), JSON.stringify(d));
  assert.deepEqual(JSON.parse(core.checkModels(core.shippedModels())).filter((x) => x.error), []);
});

test('custom models in the state are planned; broken ones are reported and left out', () => {
  const shipped = JSON.parse(core.shippedModels()).models;
  const mine = { ...shipped[0], id: 'my-8b', name: 'My 8B' };
  const bad = { ...shipped[0], id: 'bad', n_layers: 0 };
  const r = compute({ custom: [bad, mine], removed: [shipped[1].id] });
  assert.ok(r.fit.data.some((d) => d.model === 'my-8b'));
  assert.ok(!r.fit.data.some((d) => d.model === 'bad' || d.model === shipped[1].id));
  assert.ok(r.notices.some((n) => /custom\[0\]\.n_layers/.test(n.message)), JSON.stringify(r.notices));
  const mineRow = r.fit.data.find((d) => d.model === 'my-8b');
  const orig = r.fit.data.find((d) => d.model === shipped[0].id);
  assert.equal(mineRow.weights, orig.weights);
  assert.equal(r.custom_count, 2);
  assert.deepEqual(r.state.custom, []);  // the page keeps its own list
  // Unchanged models are not sent again: sameCustom keeps the last list, and the state's removals.
  const again = JSON.parse(core.compute(JSON.stringify({ ctx: 8192, removed: [shipped[1].id] }), true));
  assert.equal(again.custom_count, 2);
  assert.ok(r.info.models.some((m) => m.id === 'my-8b'));
  assert.equal(again.info, undefined);  // the catalog is unchanged: the page keeps its pickers
  assert.equal(again.state.ctx, 8192);
  const fit = JSON.parse(core.computePart('fit', 0)).fit;
  assert.ok(fit.data.some((d) => d.model === 'my-8b'));
  assert.deepEqual(again.notices, r.notices);
  // A new list (here none) replaces it.
  JSON.parse(core.compute(JSON.stringify({ custom: [] }), false));
  assert.ok(!JSON.parse(core.computePart('fit', 0)).fit.data.some((d) => d.model === 'my-8b'));
});

// The shared plan fixture (tests/fixtures/plans.json, also run by tests/test_plans.cpp): the
// wasm core's view and `haloplan plan --format json` against what the sources say.
test('the shared plan fixture: the wasm core and the CLI agree with their sources', () => {
  const close = (want, got, what) => {
    const ok = want.rel_tol !== undefined ? Math.abs(got - want.value) <= want.rel_tol * want.value : got === want.value;
    assert.ok(ok, `${what}: ${got} against ${want.value} (${want.source})`);
  };
  for (const c of fixture('plans.json').cases) {
    const s = c.state;
    const e = c.expect;
    // The page's path: the view's focused model.
    const r = JSON.parse(core.compute(JSON.stringify(s), false));
    assert.deepEqual(r.notices, [], c.name);
    const f = r.focus;
    const b = f.backends.find((x) => x.id === s.backend);
    const wasm = {
      weights_bytes: f.terms.weights + f.terms.token_embd, kv_bytes: f.terms.kv, state_bytes: f.terms.state,
      max_context: b.max_context, decode_tps: b.decode_tps_0, prefill_tps: b.prefill_tps,
      verdicts: Object.fromEntries(f.backends.map((x) => [x.id, x.verdict])),
    };
    // The CLI's path: its flags for the same scenario.
    const args = ['plan', '--machine', s.machine, '--model', s.model, '--quant', s.quant, '--ctx', String(s.ctx),
      '--backend', s.backend, '--format', 'json'];
    if (s.ktype) args.push('--k-type', s.ktype);
    if (s.vtype) args.push('--v-type', s.vtype);
    if (s.fa === false) args.push('--flash-attn', 'off');
    if (s.prompt) args.push('--prompt', String(s.prompt));
    const fromCli = JSON.parse(execFileSync(cli, args, { encoding: 'utf8' }));
    for (const [who, got] of [['wasm', wasm], ['cli', fromCli]]) {
      for (const key of ['weights_bytes', 'kv_bytes', 'state_bytes', 'max_context', 'decode_tps', 'prefill_tps']) {
        if (e[key]) close(e[key], got[key], `${c.name}: ${who} ${key}`);
      }
      for (const [backend, allowed] of Object.entries(e.verdicts || {})) {
        assert.ok(allowed.includes(got.verdicts[backend]), `${c.name}: ${who} ${backend} is ${got.verdicts[backend]} (${e.verdict_source})`);
      }
    }
  }
});
