#include "haloplan/view/session.h"

#include "haloplan/catalog/calib.h"
#include "haloplan/catalog/hf_config.h"
#include "haloplan/catalog/load.h"
#include "haloplan/text/json_out.h"
#include "haloplan/text/strings.h"
#include "haloplan/view/tables.h"

namespace haloplan {

using nlohmann::json;

namespace {

void write_notices(JsonOut& o, const std::vector<Notice>& n) {
  o.arr();
  for (const auto& x : n) o.obj().field("key", x.key).field("message", x.message).end_obj();
  o.end_arr();
}

// Diagnostics as the page shows them: [{path, message, error}].
std::string diagnostics_json(const std::vector<Diagnostic>& diags) {
  JsonOut o;
  o.arr();
  for (const auto& d : diags)
    o.obj().field("path", d.path).field("message", d.message).field("error", d.error).end_obj();
  return o.end_arr().take();
}

// What a state's catalog is built from besides the shipped one: its custom models (their text, or
// the page's revision number for them), removals and calibrations.
std::string catalog_key(std::string custom, const ViewState& s) {
  for (const auto& r : s.removed) custom += "\n" + r;
  return custom + "\ncal:" + calibrations_text(s.cal) + "\nbuilds:" + join(s.builds);
}

}  // namespace

Session::Session(Catalog shipped) : shipped_(std::move(shipped)) {}

const Session::StateCatalog& Session::catalog_for(const ViewState& s, std::vector<Notice>& notices, std::string key) {
  if (key != built_.key) {
    built_.notices.clear();
    built_.cat = apply_custom(shipped_, s, built_.notices);
    built_.info = catalog_info(built_.cat);
    built_.key = std::move(key);
    ++builds_;
  }
  notices.insert(notices.end(), built_.notices.begin(), built_.notices.end());
  return built_;
}

std::string Session::add_measured(std::string_view text) {
  std::vector<Diagnostic> d = load_measured(text, shipped_);
  for (auto& x : d) x.path = "measured.json" + (x.path.empty() ? "" : ": " + x.path);
  // The catalog built for the state shares the rows (they name only shipped models and families).
  if (shipped_.measured) built_.cat.measured = shipped_.measured;
  return diagnostics_json(d);
}

std::string Session::compute(std::string_view state_json, bool same_custom) {
  std::vector<Notice> n;
  ViewState s = state_from_json(state_json, n);
  if (same_custom) s.custom = std::move(last_.custom);
  else ++custom_rev_;
  std::string key = catalog_key("custom:" + std::to_string(custom_rev_), s);
  const StateCatalog& sc = catalog_for(s, n, key);
  validate_state(s, sc.cat, n);
  JsonOut o;
  o.obj();
  // The view is written from the state without its custom models: the catalog holds them, and
  // the parts copy the state to try changes on it.
  json custom = std::move(s.custom);
  s.custom = json::array();
  write_view_head(o, s, sc.cat);
  o.key("state").raw(state_to_json(s).dump());
  std::string link = encode_link(s);  // the scenario alone
  s.custom = std::move(custom);
  o.field("custom_count", double(s.custom.size()));
  bool too_big = false;
  if (!s.custom.empty()) {
    if (key == last_key_ && link_without_custom_) {
      too_big = true;  // these models did not fit in a link before; no need to encode them again
    } else {
      auto full = encode_link(s, kMaxLinkBytes);
      too_big = !full;
      if (full) link = std::move(*full);
    }
  }
  if (too_big) {
    n.push_back({"link", "your " + std::to_string(s.custom.size()) +
                             " custom models are too many for a link; the link carries the scenario and this "
                             "browser keeps the models"});
  }
  o.field("link", link).key("notices");
  write_notices(o, n);
  if (sc.key != info_key_) o.key("info").raw(sc.info);  // else the page keeps the last one
  o.end_obj();
  info_key_ = sc.key;
  last_ = std::move(s);
  last_key_ = std::move(key);
  link_without_custom_ = too_big;
  return o.take();
}

std::string Session::compute_part(std::string_view part, size_t max_rows) {
  JsonOut o;
  o.obj();
  if (!last_key_.empty()) {
    std::vector<Notice> n;
    const StateCatalog& sc = catalog_for(last_, n, last_key_);  // rebuilt if calibrate() changed it
    json custom = std::move(last_.custom);                      // in the catalog already; not copied with the state
    last_.custom = json::array();
    write_view_part(o, part, last_, sc.cat, max_rows);
    last_.custom = std::move(custom);
  }
  return o.end_obj().take();
}

std::string Session::decode_link(std::string_view fragment) const {
  std::vector<Notice> n;
  const ViewState s = haloplan::decode_link(fragment, n);
  JsonOut o;
  o.obj().key("state").raw(state_to_json(s).dump()).key("notices");
  write_notices(o, n);
  return o.end_obj().take();
}

std::string Session::check_models(std::string_view text) const {
  Catalog scratch;
  return diagnostics_json(load_models(text, scratch));
}

std::string Session::check_json(std::string_view bytes) const {
  return diagnostics_json(json_problems(bytes, "the model catalog"));
}

std::string Session::render_table(std::string_view table_json, std::string_view format) const {
  const auto t = table_from_json_text(table_json);
  if (!t) return "";
  return t->render(format == "csv" ? Format::Csv : format == "svg" ? Format::Svg : Format::Markdown);
}

std::string Session::gguf_add(const std::string& name, std::string_view bytes, uint64_t file_size) {
  auto r = parse_gguf({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()}, file_size);
  switch (r.status) {
    case GgufParse::Status::NeedMore: return json{{"status", "need"}, {"need", r.need_bytes}}.dump();
    case GgufParse::Status::Error: return json{{"status", "error"}, {"error", r.error}}.dump();
    case GgufParse::Status::Ok: break;
  }
  gguf_.add(name, std::move(r.header));
  return json{{"status", "ok"}}.dump();
}

std::string Session::gguf_finish() {
  auto r = gguf_.finish();
  return json{{"models", r.models}, {"errors", r.errors}}.dump();
}

std::string Session::hf_config(std::string_view text, const std::string& name) const {
  const auto r = hf_config_to_model(text, name);
  return json{{"model", r.model ? *r.model : json(nullptr)}, {"error", r.error}}.dump();
}

std::string Session::calibrate(std::string_view state_json, std::string_view text, const std::string& backend) {
  std::vector<Notice> n;
  ViewState s = state_from_json(state_json, n);
  std::vector<Calibration> kept = std::move(s.cal);  // the state's own, for the merged value
  s.cal.clear();
  const Catalog& c = catalog_for(s, n, catalog_key(s.custom.dump(), s)).cat;
  validate_state(s, c, n);
  const Machine* m = c.machine(s.machine);
  const Backend* b = backend.empty() ? nullptr : c.backend(backend);
  if (!m || (!backend.empty() && !b))
    return json{{"table", nullptr}, {"cal", nullptr}, {"error", "unknown machine or backend"}}.dump();
  const auto r = calibrate_from_bench(c, *m, b, text, c.model(s.model));
  if (r.cal) {  // this backend's new calibration replaces its old one; the others stay
    std::erase_if(kept, [&](const Calibration& k) { return k.backend == r.cal->backend; });
    kept.push_back(*r.cal);
  }
  return json{{"table", table_json(calibration_table(r, c))},
              {"cal", r.cal ? json(calibrations_text({*r.cal})) : json(nullptr)},
              {"cal_merged", r.cal ? json(calibrations_text(kept)) : json(nullptr)},
              {"backend", r.cal ? json(r.cal->backend) : json(nullptr)},
              {"error", r.error}}
      .dump();
}

}  // namespace haloplan
