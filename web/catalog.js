// The catalog editor: edit, add, duplicate, delete, reset, import and export models. Validation is
// the core's (the same loader as data/models.json); an invalid entry or import replaces nothing.
import { el, replace, download } from './dom.js';
import { checkModels, checkJson, shippedModels, importGguf, hfConfigModel } from './core.js';

const FIELDS = [
  ['id', 'text', 'Id (letters, digits, - _ .)'],
  ['name', 'text', 'Name'],
  ['arch', 'text', 'Architecture (llama.cpp name)'],
  ['n_layers', 'int', 'Layers'],
  ['hidden_size', 'int', 'Hidden size'],
  ['n_heads', 'int', 'Attention heads'],
  ['n_kv_heads', 'int', 'KV heads'],
  ['head_dim', 'int', 'Head dimension'],
  ['intermediate_size', 'int', 'FFN size (dense)'],
  ['vocab_size', 'int', 'Vocabulary'],
  ['max_context', 'int', 'Trained context'],
  ['tied_embeddings', 'bool', 'Tied embeddings'],
  ['moe.n_expert', 'int', 'Experts (MoE)'],
  ['moe.n_expert_used', 'int', 'Experts per token'],
  ['moe.expert_ff', 'int', 'Expert FFN size'],
  ['notes', 'text', 'Notes'],
];

const TEMPLATE = {
  id: 'my-model', name: 'My model', arch: 'llama', n_layers: 32, hidden_size: 4096, n_heads: 32, n_kv_heads: 8,
  head_dim: 128, intermediate_size: 14336, vocab_size: 128256, max_context: 131072, tied_embeddings: false,
  sources: ['entered by hand'],
};

function getPath(obj, path) {
  return path.split('.').reduce((o, k) => (o && typeof o === 'object' ? o[k] : undefined), obj);
}

function setPath(obj, path, value) {
  const keys = path.split('.');
  let o = obj;
  for (let i = 0; i < keys.length - 1; i++) {
    if (!o[keys[i]] || typeof o[keys[i]] !== 'object') {
      if (value === undefined) return;
      o[keys[i]] = {};
    }
    o = o[keys[i]];
  }
  const last = keys[keys.length - 1];
  if (value === undefined) delete o[last];
  else o[last] = value;
  if (keys.length > 1 && Object.keys(o).length === 0) delete obj[keys[0]];
}

export function envelope(models) {
  return JSON.stringify({ schema: 'haloplan-models', version: 1, models });
}

// Accepts a models.json file, a list of entries, or one entry, as bytes. The core reads the JSON
// first (the browser's parser would take NaN, duplicate keys and 10,000-deep nesting in its
// stride), so the messages are the CLI's. -> {models} | {error} | {diagnostics}
export async function parseImport(bytes) {
  const syntax = (await checkJson(bytes)).filter((x) => x.error);
  if (syntax.length) return { diagnostics: syntax };
  const text = new TextDecoder().decode(bytes);
  const data = JSON.parse(text);
  const isObject = data && typeof data === 'object' && !Array.isArray(data);
  let models;
  if (isObject && typeof data.model_type === 'string') {
    let r;
    try {
      r = await hfConfigModel(text, '');
    } catch (e) {
      return { error: `the config.json reader could not be loaded (${e.message})` };
    }
    if (!r.model) return { error: r.error };
    models = [r.model];
  } else if (Array.isArray(data)) models = data;
  else if (isObject && ('schema' in data || 'models' in data)) {
    const d = (await checkModels(text)).filter((x) => x.error);
    if (d.length) return { diagnostics: d };
    models = data.models;
  } else if (data && typeof data === 'object' && typeof data.id === 'string') models = [data];
  else return { error: 'expected a models file ({"schema": "haloplan-models", ...}), a list of models, or one model' };
  const d = (await checkModels(envelope(models))).filter((x) => x.error);
  if (d.length) return { diagnostics: d };
  return { models };
}

export class CatalogEditor {
  // host: {catalog() -> {custom, removed}, commit(catalog, message), info() -> catalog info}
  constructor(host) {
    this.host = host;
    this.current = null;  // id being edited
    this.draft = null;    // entry object being edited
    this.undo = null;
    this.pick = document.getElementById('cat-pick');
    this.json = document.getElementById('cat-json');
    this.errors = document.getElementById('cat-errors');
    this.status = document.getElementById('cat-status');
    this.inputs = new Map();
    replace('cat-fields', FIELDS.map(([path, kind, label]) => {
      const id = `cat-f-${path.replace('.', '-')}`;
      const input = kind === 'bool'
        ? el('input', { id, type: 'checkbox', 'data-path': path })
        : el('input', { id, type: kind === 'int' ? 'number' : 'text', 'data-path': path, inputmode: kind === 'int' ? 'numeric' : null, step: kind === 'int' ? '1' : null });
      this.inputs.set(path, input);
      input.addEventListener(kind === 'bool' ? 'change' : 'input', () => this.fromForm(path, kind, input));
      return kind === 'bool'
        ? el('div', { class: 'field check' }, input, el('label', { for: id }, label))
        : el('div', { class: 'field' }, el('label', { for: id }, label), input);
    }));
    this.pick.addEventListener('change', () => this.load(this.pick.value));
    this.json.addEventListener('input', () => this.fromJson());
    document.getElementById('cat-form').addEventListener('submit', (e) => { e.preventDefault(); this.save(); });
    document.getElementById('cat-revert').addEventListener('click', () => this.load(this.current));
    document.getElementById('cat-add').addEventListener('click', () => this.startNew({ ...TEMPLATE, id: this.freeId('my-model') }));
    document.getElementById('cat-dup').addEventListener('click', () => {
      if (!this.draft) return;
      const copy = JSON.parse(JSON.stringify(this.draft));
      copy.id = this.freeId(`${copy.id}-copy`);
      copy.name = `${copy.name || copy.id} (copy)`;
      this.startNew(copy);
    });
    document.getElementById('cat-del').addEventListener('click', () => this.remove());
    document.getElementById('cat-reset').addEventListener('click', () => this.reset());
    document.getElementById('cat-export').addEventListener('click', () => this.exportJson());
    document.getElementById('cat-import').addEventListener('change', (e) => this.importFile(e.target));
    document.getElementById('cat-gguf').addEventListener('change', (e) => {
      const files = [...e.target.files];
      e.target.value = '';
      this.importGgufFiles(files);
    });
    document.getElementById('hf-add').addEventListener('click', () => this.addHfConfig());
    document.getElementById('hf-file').addEventListener('change', async (e) => {
      const file = e.target.files && e.target.files[0];
      e.target.value = '';
      if (!file) return;
      if (file.size > 4 * 1024 * 1024) {
        this.showErrors([{ path: '', message: `${file.name} is larger than 4 MiB; a config.json is a few kilobytes` }]);
        return;
      }
      document.getElementById('hf-text').value = await file.text();
      if (!document.getElementById('hf-name').value.trim()) {
        document.getElementById('hf-name').value = file.name.replace(/\.json$/i, '');
      }
      this.addHfConfig();
    });
    const zone = document.getElementById('catalog');
    zone.addEventListener('dragover', (e) => {
      if (e.dataTransfer && [...e.dataTransfer.items].some((i) => i.kind === 'file')) e.preventDefault();
    });
    zone.addEventListener('drop', (e) => {
      const files = e.dataTransfer ? [...e.dataTransfer.files] : [];
      if (!files.length) return;
      e.preventDefault();
      this.importGgufFiles(files);
    });
  }

  freeId(base) {
    const ids = new Set(this.host.info().models.map((m) => m.id));
    if (!ids.has(base)) return base;
    for (let i = 2; ; i++) if (!ids.has(`${base}-${i}`)) return `${base}-${i}`;
  }

  entryFor(id) {
    const cat = this.host.catalog();
    const mine = cat.custom.find((m) => m && m.id === id);
    if (mine) return JSON.parse(JSON.stringify(mine));
    const shipped = shippedModels().find((m) => m.id === id);
    return shipped ? JSON.parse(JSON.stringify(shipped)) : null;
  }

  // Called after every recompute: keeps the picker in step with the catalog.
  refresh() {
    const info = this.host.info();
    const cat = this.host.catalog();
    const customIds = new Set(cat.custom.map((m) => m && m.id));
    const shippedIds = new Set(shippedModels().map((m) => m.id));
    const key = JSON.stringify([info.models, [...customIds]]);
    if (key !== this.pickKey) {
      this.pickKey = key;
      replace(this.pick, info.models.map((m) => el('option', { value: m.id },
        `${m.name} (${m.id})${customIds.has(m.id) ? (shippedIds.has(m.id) ? ' — edited' : ' — yours') : ''}`)));
    }
    if (this.current === null || !info.models.some((m) => m.id === this.current)) {
      if (this.current !== '__new__' && info.models.length) this.load(info.models[0].id);
    } else if (this.current !== this.loaded) {
      this.load(this.current);  // saved, imported or restored: show the entry as it is now
    } else {
      this.pick.value = this.current;
    }
  }

  load(id) {
    const entry = this.entryFor(id);
    if (!entry) return;
    this.current = id;
    this.loaded = id;
    this.pick.value = id;
    this.setDraft(entry);
    this.showErrors([]);
  }

  startNew(entry) {
    this.current = '__new__';
    this.loaded = '__new__';
    this.setDraft(entry);
    this.showErrors([]);
    this.status.textContent = `New entry "${entry.id}": edit it and press Save model.`;
    this.inputs.get('id').focus();
  }

  setDraft(entry) {
    this.draft = entry;
    this.json.value = JSON.stringify(entry, null, 2);
    this.toForm();
  }

  toForm() {
    for (const [path, kind] of FIELDS) {
      const input = this.inputs.get(path);
      const v = getPath(this.draft, path);
      if (kind === 'bool') input.checked = v === true;
      else input.value = v === undefined || v === null ? '' : String(v);
      input.removeAttribute('aria-invalid');
    }
  }

  fromForm(path, kind, input) {
    let v;
    if (kind === 'bool') v = input.checked;
    else if (input.value.trim() === '') v = undefined;
    else if (kind === 'int') v = Number(input.value);
    else v = input.value;
    if (!this.draft) this.draft = {};
    setPath(this.draft, path, v);
    this.json.value = JSON.stringify(this.draft, null, 2);
  }

  fromJson() {
    try {
      const d = JSON.parse(this.json.value);
      if (d && typeof d === 'object' && !Array.isArray(d)) {
        this.draft = d;
        this.toForm();
      }
    } catch { /* reported on save */ }
  }

  // Errors as "path: message". An entry being edited is models[0]: its paths are shown without
  // that prefix and mark their form fields; an import keeps the full path (which model).
  showErrors(list, { fullPath = false } = {}) {
    for (const input of this.inputs.values()) input.removeAttribute('aria-invalid');
    replace(this.errors, list.map((d) => {
      const field = d.path.replace(/^models\[\d+\]\.?/, '');
      const input = fullPath ? null : this.inputs.get(field);
      if (input) input.setAttribute('aria-invalid', 'true');
      const path = fullPath ? d.path : field;
      return el('li', null, path ? `${path}: ${d.message}` : d.message);
    }));
  }

  save() {
    let entry;
    try {
      entry = JSON.parse(this.json.value);
    } catch (e) {
      this.showErrors([{ path: '', message: `not valid JSON: ${e.message}` }]);
      return;
    }
    if (!entry || typeof entry !== 'object' || Array.isArray(entry)) {
      this.showErrors([{ path: '', message: 'an entry must be a JSON object' }]);
      return;
    }
    this.addEntries([entry], `Saved ${entry.name || entry.id}.`, 'Not saved: fix the fields listed below.');
  }

  // Validates entries with the core and merges them into the catalog by id (an entry replaces the
  // one with its id and brings back a deleted shipped one). On a problem it shows the errors and
  // changes nothing. -> whether the entries were added.
  async addEntries(models, message, failStatus, { fullPath = false } = {}) {
    let errs;
    try {
      errs = (await checkModels(envelope(models))).filter((d) => d.error);
    } catch (e) {
      errs = [{ path: '', message: `the planner could not check the entries (${e.message})`, error: true }];
    }
    if (errs.length) {
      this.showErrors(errs, { fullPath });
      this.status.textContent = failStatus;
      return false;
    }
    this.showErrors([]);
    const cat = this.host.catalog();
    const ids = new Set(models.map((m) => m.id));
    this.undo = cat;
    this.current = models[0].id;
    this.host.commit({
      custom: cat.custom.filter((m) => !ids.has(m.id)).concat(models),
      removed: cat.removed.filter((id) => !ids.has(id)),
    }, message, true);
    return true;
  }

  remove() {
    const id = this.current;
    if (!id || id === '__new__') return this.load(this.pick.value);
    const cat = this.host.catalog();
    const shipped = shippedModels().some((m) => m.id === id);
    this.undo = cat;
    const next = {
      custom: cat.custom.filter((m) => m.id !== id),
      removed: shipped && !cat.removed.includes(id) ? cat.removed.concat([id]) : cat.removed,
    };
    this.current = null;
    this.host.commit(next, `Deleted ${id}.`, true);
  }

  reset() {
    const cat = this.host.catalog();
    if (!cat.custom.length && !cat.removed.length) {
      this.status.textContent = 'The catalog is already the shipped one.';
      return;
    }
    this.undo = cat;
    this.current = null;
    this.host.commit({ custom: [], removed: [] }, 'Reset to the shipped catalog.', true);
  }

  undoLast() {
    if (!this.undo) return;
    const prev = this.undo;
    this.undo = null;
    this.host.commit(prev, 'Restored the catalog as it was.');
  }

  async importFile(input) {
    const file = input.files && input.files[0];
    input.value = '';
    if (!file) return;
    if (file.size > 16 * 1024 * 1024) {
      this.showImport(file.name, { error: 'the file is larger than 16 MiB' });
      return;
    }
    let result;
    try {
      result = await parseImport(new Uint8Array(await file.arrayBuffer()));
    } catch (e) {
      result = { error: `the planner could not read it (${e.message})` };
    }
    this.showImport(file.name, result);
  }

  showImport(name, result) {
    if (result.error || result.diagnostics) {
      this.showErrors(result.diagnostics || [{ path: '', message: result.error }], { fullPath: true });
      this.status.textContent = `Import of ${name} failed; the catalog is unchanged.`;
      return;
    }
    this.addEntries(result.models, `Imported ${result.models.length} model(s) from ${name}.`,
      `Import of ${name} failed; the catalog is unchanged.`, { fullPath: true });
  }

  async addHfConfig() {
    const text = document.getElementById('hf-text').value;
    const name = document.getElementById('hf-name').value.trim().slice(0, 200);
    if (!text.trim()) {
      this.showErrors([{ path: '', message: 'paste a config.json first' }]);
      return;
    }
    let r;
    try {
      r = await hfConfigModel(text, name);
    } catch (e) {
      r = { error: `the config.json reader could not be loaded (${e.message})` };
    }
    if (!r.model) {
      this.showErrors([{ path: '', message: r.error }]);
      this.status.textContent = 'Not added; the catalog is unchanged.';
      return;
    }
    if (await this.addEntries([r.model], `Added ${r.model.name} from its config.json (weights from llama.cpp's quantisation rules).`,
      'Not added; the catalog is unchanged.')) this.host.focus(r.model.id, this.host.state().quants[0] || 'Q4_K_M');
  }

  async importGgufFiles(files) {
    const gguf = files.filter((f) => /\.gguf$/i.test(f.name));
    if (!gguf.length) {
      this.status.textContent = 'No .gguf file was given; nothing was imported.';
      return;
    }
    const t0 = performance.now();
    let result;
    try {
      result = await importGguf(gguf, (name, bytes) => {
        this.status.textContent = `Reading the header of ${name}: ${(bytes / 1048576).toFixed(1)} MB…`;
      });
    } catch (e) {
      result = { models: [], errors: [`the GGUF reader could not be loaded (${e.message})`] };
    }
    if (result.errors.length) {
      this.showErrors(result.errors.map((message) => ({ path: '', message })));
      this.status.textContent = `GGUF import failed; the catalog is unchanged.`;
      return;
    }
    const ms = (performance.now() - t0).toFixed(0);
    const names = result.models.map((m) => `${m.name} (${m.gguf.quant}, from GGUF header: ${m.gguf.file})`).join(', ');
    if (await this.addEntries(result.models, `Imported ${names} in ${ms} ms.`,
      'The header does not make a valid catalog entry; the catalog is unchanged.')) {
      this.host.focus(result.models[0].id, result.models[0].gguf.quant);
    }
  }

  exportJson() {
    const cat = this.host.catalog();
    const models = cat.custom.length ? cat.custom : shippedModels();
    download(cat.custom.length ? 'haloplan-my-models.json' : 'haloplan-models.json',
      JSON.stringify({ schema: 'haloplan-models', version: 1, models }, null, 2) + '\n');
    this.status.textContent = cat.custom.length
      ? `Exported your ${cat.custom.length} model(s).`
      : 'You have no models of your own yet; exported the shipped catalog.';
  }
}
