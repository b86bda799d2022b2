// The page's only door into the planner: a few coarse calls with JSON text in and out. The
// module keeps the shipped catalog and the last custom catalog it built; the page holds no
// handles and frees nothing.
#include <emscripten/bind.h>
#include <emscripten/val.h>

#include <string>

#include "haloplan/default_catalog.h"
#include "haloplan/gguf.h"
#include "haloplan/hf_config.h"
#include "haloplan/report.h"
#include "haloplan/view.h"

using namespace haloplan;
using nlohmann::json;

namespace {

const Catalog& shipped() {
  static const Catalog c = [] {
    Catalog x;
    load_default_catalog(x);
    return x;
  }();
  return c;
}

void write_notices(JsonOut& o, const std::vector<Notice>& n) {
  o.arr();
  for (const auto& x : n) o.obj().field("key", x.key).field("message", x.message).end_obj();
  o.end_arr();
}

// The catalog for a state, rebuilt only when its custom models, removals or calibrations change;
// with the pickers' JSON for it.
struct StateCatalog {
  std::string key = "\x01";  // custom models, removals and calibrations it was built from
  Catalog cat;
  std::vector<Notice> notices;
  std::string info;
};
std::string catalog_key(const ViewState& s) {
  std::string k = s.custom.dump();
  for (const auto& r : s.removed) k += "\n" + r;
  return k + "\ncal:" + calibrations_text(s.cal);
}
StateCatalog& state_catalog() {
  static StateCatalog sc;
  return sc;
}
const StateCatalog& catalog_for(const ViewState& s, std::vector<Notice>& notices, std::string key) {
  StateCatalog& sc = state_catalog();
  if (key != sc.key) {
    sc.notices.clear();
    sc.cat = apply_custom(shipped(), s, sc.notices);
    sc.info = catalog_info(sc.cat);
    sc.key = std::move(key);
  }
  notices.insert(notices.end(), sc.notices.begin(), sc.notices.end());
  return sc;
}
const StateCatalog& catalog_for(const ViewState& s, std::vector<Notice>& notices) {
  return catalog_for(s, notices, catalog_key(s));
}

// The state of the last compute(), validated, for computePart() and for the next compute() when
// the page's custom models are unchanged.
struct LastView {
  ViewState state;
  std::string catalog_key;
  uint64_t custom_rev = 0;           // counts the custom-model lists the page has sent
  std::string info_key;              // the catalog whose pickers' info the page has
  bool link_without_custom = false;  // the link for this catalog had to leave the custom models out
};
LastView& last_view() {
  static LastView v;
  return v;
}

std::string version() { return HALOPLAN_VERSION; }

std::string shipped_models() { return std::string(embedded::models_json()); }

// Diagnostics as the page shows them: [{path, message, error}].
std::string diagnostics_json(const std::vector<Diagnostic>& diags) {
  JsonOut o;
  o.arr();
  for (const auto& d : diags) o.obj().field("path", d.path).field("message", d.message).field("error", d.error).end_obj();
  return o.end_arr().take();
}

// Validates a models file (the data/models.json schema); diagnostics by JSON path.
std::string check_models(const std::string& text) {
  Catalog scratch;
  return diagnostics_json(load_models(text, scratch));
}

// The bytes of a file as the core reads them (so broken UTF-8 is named, not replaced) -> the
// JSON syntax problems the model-catalog loader would report: [{path, message, error}]. Embind
// copies a Uint8Array into a std::string byte for byte (a JS string would be encoded as UTF-8).
std::string check_json(const std::string& bytes) {
  return diagnostics_json(json_problems(bytes, "the model catalog"));
}

std::string decode_link_json(const std::string& fragment) {
  std::vector<Notice> n;
  const ViewState s = decode_link(fragment, n);
  JsonOut o;
  o.obj().key("state").raw(state_to_json(s).dump()).key("notices");
  write_notices(o, n);
  return o.end_obj().take();
}

// A table the page shows (rows as displayed) as Markdown or CSV, by the CLI's own renderer.
std::string render_table(const std::string& table_json_text, const std::string& format) {
  const auto t = table_from_json_text(table_json_text);
  if (!t) return "";
  return t->render(format == "csv" ? Format::Csv : Format::Markdown);
}

#ifdef HALOPLAN_WASM_TOOLS
// The tools module only (haloplan-tools, loaded on first use): GGUF and config.json import and
// paste-back calibration.

// GGUF import, in two steps so the page reads only what each header needs:
//   ggufAdd(name, bytes, fileSize) -> {"status": "ok" | "need" | "error", "need": N, "error": "..."}
//     "need": call again with at least N bytes of the file; "ok": the header is kept for ggufFinish.
//   ggufFinish() -> {"models": [catalog entries], "errors": ["file: message", ...]}; forgets the headers.
struct PendingGguf {
  std::string name;
  GgufHeader header;
};
std::vector<PendingGguf>& pending_gguf() {
  static std::vector<PendingGguf> p;
  return p;
}

std::string gguf_add(const std::string& name, const emscripten::val& bytes, double file_size) {
  const auto data = emscripten::convertJSArrayToNumberVector<uint8_t>(bytes);
  auto r = parse_gguf(data, file_size < 0 ? 0 : uint64_t(file_size));
  switch (r.status) {
    case GgufParse::Status::NeedMore: return json{{"status", "need"}, {"need", r.need_bytes}}.dump();
    case GgufParse::Status::Error: return json{{"status", "error"}, {"error", r.error}}.dump();
    case GgufParse::Status::Ok: break;
  }
  pending_gguf().push_back({name, std::move(r.header)});
  return json{{"status", "ok"}}.dump();
}

std::string gguf_finish() {
  std::vector<PendingGguf> files = std::move(pending_gguf());
  pending_gguf().clear();
  json models = json::array(), errors = json::array();
  std::vector<GgufHeader> parts;
  std::string first_part, err;
  for (auto& f : files) {
    if (f.header.number("split.count").value_or(1) > 1) {
      if (first_part.empty() || f.header.number("split.no").value_or(1) == 0) first_part = f.name;
      parts.push_back(std::move(f.header));
      continue;
    }
    if (auto e = gguf_to_model(f.header, f.name, &err)) models.push_back(*e);
    else errors.push_back(f.name + ": " + err);
  }
  if (!parts.empty()) {
    auto all = combine_gguf_splits(parts, &err);
    if (!all) errors.push_back(first_part + ": " + err);
    else if (auto e = gguf_to_model(*all, first_part, &err)) models.push_back(*e);
    else errors.push_back(first_part + ": " + err);
  }
  return json{{"models", models}, {"errors", errors}}.dump();
}

// A Hugging Face config.json -> {"model": entry | null, "error": "..."}.
std::string hf_config(const std::string& text, const std::string& name) {
  const auto r = hf_config_to_model(text, name);
  return json{{"model", r.model ? *r.model : json(nullptr)}, {"error", r.error}}.dump();
}

// Pasted llama-bench output -> {"table": the before/after table, "cal": "backend:…" | null,
// "error": "..."}. Fitted against the speed model without the user's earlier calibrations.
std::string calibrate(const std::string& state_json, const std::string& text, const std::string& backend) {
  std::vector<Notice> n;
  ViewState s = state_from_json(state_json, n);
  s.cal.clear();
  const Catalog& c = catalog_for(s, n).cat;
  validate_state(s, c, n);
  const Machine* m = c.machine(s.machine);
  const Backend* b = backend.empty() ? nullptr : c.backend(backend);
  if (!m || (!backend.empty() && !b)) return json{{"table", nullptr}, {"cal", nullptr}, {"error", "unknown machine or backend"}}.dump();
  const auto r = calibrate_from_bench(c, *m, b, text, c.model(s.model));
  return json{{"table", table_json(calibration_table(r, c))},
              {"cal", r.cal ? json(calibrations_text({*r.cal})) : json(nullptr)},
              {"backend", r.cal ? json(r.cal->backend) : json(nullptr)},
              {"error", r.error}}
      .dump();
}

#endif  // HALOPLAN_WASM_TOOLS

// The view's head (pools, machine, backends, the focused model) with the validated state (without
// its custom models: the page keeps its own list; "custom_count" says how many were taken), its
// link, notices and the pickers' catalog info (only when the catalog changed since the last call).
// The tables come from computePart, for this state.
// same_custom: the state carries no "custom" and the last call's models hold, so thousands of
// models are neither sent nor parsed nor rebuilt into a catalog again on every change.
std::string compute(const std::string& state_json, bool same_custom) {
  std::vector<Notice> n;
  ViewState s = state_from_json(state_json, n);
  LastView& last = last_view();
  if (same_custom) s.custom = std::move(last.state.custom);
  else ++last.custom_rev;
  std::string key = "custom:" + std::to_string(last.custom_rev);
  for (const auto& r : s.removed) key += "\n" + r;
  key += "\ncal:" + calibrations_text(s.cal);
  const StateCatalog& sc = catalog_for(s, n, key);
  validate_state(s, sc.cat, n);
  JsonOut o;
  o.obj();
  write_view_head(o, s, sc.cat);
  json custom = std::move(s.custom);
  s.custom = json::array();
  o.key("state").raw(state_to_json(s).dump());
  std::string link = encode_link(s);  // the scenario alone
  s.custom = std::move(custom);
  o.field("custom_count", double(s.custom.size()));
  bool too_big = false;
  if (!s.custom.empty()) {
    if (key == last.catalog_key && last.link_without_custom) {
      too_big = true;  // these models did not fit in a link before; no need to encode them again
    } else {
      auto full = encode_link(s, kMaxLinkBytes);
      too_big = !full;
      if (full) link = std::move(*full);
    }
  }
  if (too_big) {
    // Too many custom models for a URL: the link keeps the scenario, the browser keeps the models.
    n.push_back({"link", "your " + std::to_string(s.custom.size()) +
                             " custom models are too many for a link; the link carries the scenario and this "
                             "browser keeps the models"});
  }
  o.field("link", link).key("notices");
  write_notices(o, n);
  if (sc.key != last.info_key) o.key("info").raw(sc.info);  // else the page keeps the last one
  o.end_obj();
  last.info_key = sc.key;
  last.state = std::move(s);
  last.catalog_key = std::move(key);
  last.link_without_custom = too_big;
  return o.take();
}

// One table part of the last compute()'s view ("fit", "speed", "ceiling", "setup") as
// {"<part>": ...}, with at most max_rows rows of the fit and speed tables (0: all); {} before any
// compute or for an unknown part.
std::string compute_part(const std::string& part, double max_rows) {
  const LastView& v = last_view();
  std::vector<Notice> n;
  const StateCatalog& sc = catalog_for(v.state, n, v.catalog_key);  // rebuilt if another call changed it
  JsonOut o;
  o.obj();
  if (sc.key == v.catalog_key) write_view_part(o, part, v.state, sc.cat, max_rows > 0 ? size_t(max_rows) : 0);
  return o.end_obj().take();
}

}  // namespace

EMSCRIPTEN_BINDINGS(haloplan) {
  emscripten::function("version", &version);
  emscripten::function("shippedModels", &shipped_models);
  emscripten::function("checkModels", &check_models);
  emscripten::function("checkJson", &check_json);
  emscripten::function("decodeLink", &decode_link_json);
  emscripten::function("compute", &compute);  // (stateJson, sameCustom)
  emscripten::function("computePart", &compute_part);
  emscripten::function("renderTable", &render_table);
#ifdef HALOPLAN_WASM_TOOLS
  emscripten::function("calibrate", &calibrate);
  emscripten::function("ggufAdd", &gguf_add);
  emscripten::function("hfConfig", &hf_config);
  emscripten::function("ggufFinish", &gguf_finish);
#endif
}
