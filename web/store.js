// The user's catalog in this browser: custom models and removed shipped ones. A damaged store is
// detected at start, kept aside (never overwritten) and offered for download.
const KEY = 'haloplan.catalog';
const DAMAGED_KEY = 'haloplan.catalog.damaged';
const SCHEMA = 'haloplan-user-catalog';

export function emptyCatalog() {
  return { custom: [], removed: [] };
}

// -> {catalog, damaged: null | {text, reason}}
export function loadCatalog() {
  let text = null;
  try {
    text = localStorage.getItem(KEY);
  } catch (e) {
    return { catalog: emptyCatalog(), damaged: null, unavailable: `browser storage is unavailable (${e.name})` };
  }
  if (text === null) return { catalog: emptyCatalog(), damaged: null };
  let reason = null;
  let data = null;
  try {
    data = JSON.parse(text);
  } catch (e) {
    reason = `it is not valid JSON (${e.message})`;
  }
  if (!reason) {
    if (!data || typeof data !== 'object' || Array.isArray(data)) reason = 'it is not an object';
    else if (data.schema !== SCHEMA) reason = `its schema is "${String(data.schema)}", expected "${SCHEMA}"`;
    else if (data.version !== 1) reason = `its version ${String(data.version)} is not one this page understands`;
    else if (!Array.isArray(data.custom) || !data.custom.every((m) => m && typeof m === 'object' && !Array.isArray(m)))
      reason = '"custom" is not a list of models';
    else if (!Array.isArray(data.removed) || !data.removed.every((x) => typeof x === 'string'))
      reason = '"removed" is not a list of model ids';
  }
  if (reason) {
    try {
      if (localStorage.getItem(DAMAGED_KEY) === null) localStorage.setItem(DAMAGED_KEY, text);
    } catch { /* the text is still offered for download below */ }
    return { catalog: emptyCatalog(), damaged: { text, reason } };
  }
  return { catalog: { custom: data.custom, removed: data.removed }, damaged: null };
}

// Throws an Error with a readable message when the browser refuses (quota, privacy mode).
export function saveCatalog(catalog) {
  const text = JSON.stringify({ schema: SCHEMA, version: 1, custom: catalog.custom, removed: catalog.removed });
  try {
    localStorage.setItem(KEY, text);
  } catch (e) {
    const quota = e && (e.name === 'QuotaExceededError' || e.code === 22);
    throw new Error(quota
      ? 'the browser\'s storage for this page is full; the change is shown but was not saved'
      : `the browser refused to save (${e && e.name}); the change is shown but was not saved`);
  }
}

// JSON text with every object's keys sorted: two catalogs are the same when their content is,
// whatever order their keys were written in (a link's decoder returns them sorted).
function canonical(v) {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') return `{${Object.keys(v).sort().filter((k) => v[k] !== undefined).map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`).join(',')}}`;
  return JSON.stringify(v);
}

export function sameCatalog(a, b) {
  return canonical(a.custom) === canonical(b.custom) && canonical([...a.removed].sort()) === canonical([...b.removed].sort());
}

const THEME_KEY = 'haloplan.theme';
export function loadTheme() {
  try { return localStorage.getItem(THEME_KEY) || 'auto'; } catch { return 'auto'; }
}
export function saveTheme(t) {
  try { localStorage.setItem(THEME_KEY, t); } catch { /* a theme is not worth a notice */ }
}
