// The page's only door into the planner: adapters from Embind to haloplan::Session (JSON text in
// and out; the page holds no handles and frees nothing). The module keeps one Session over the
// shipped catalog. The page's module leaves the measured rows out (the evidence's nearest
// measurements, a fifth of its download): the page hands them over on first use (addMeasured).
#include <emscripten/bind.h>

#include <string>

#include "haloplan/default_catalog.h"
#include "haloplan/view/session.h"

using haloplan::Session;

namespace {

Session& session() {
  static Session s = [] {
    haloplan::Catalog c;
#ifdef HALOPLAN_WASM_TOOLS
    haloplan::load_default_catalog(c);
#else
    haloplan::load_default_catalog_without_measured(c);
#endif
    return Session(std::move(c));
  }();
  return s;
}

std::string version() { return HALOPLAN_VERSION; }
std::string shipped_models() { return std::string(haloplan::embedded::models_json()); }

std::string compute(const std::string& state_json, bool same_custom) {
  return session().compute(state_json, same_custom);
}
std::string compute_part(const std::string& part, double max_rows) {
  return session().compute_part(part, max_rows > 0 ? size_t(max_rows) : 0);
}
bool has_measured() { return session().has_measured(); }
std::string add_measured(const std::string& text) { return session().add_measured(text); }
std::string decode_link(const std::string& fragment) { return session().decode_link(fragment); }
std::string check_models(const std::string& text) { return session().check_models(text); }
// The bytes of a file as the core reads them (so broken UTF-8 is named, not replaced): Embind
// copies a Uint8Array into a std::string byte for byte (a JS string would be encoded as UTF-8).
std::string check_json(const std::string& bytes) { return session().check_json(bytes); }
std::string render_table(const std::string& table_json, const std::string& format) {
  return session().render_table(table_json, format);
}

#ifdef HALOPLAN_WASM_TOOLS
// The tools module only (haloplan-tools, loaded on first use): GGUF and config.json import and
// paste-back calibration.
std::string gguf_add(const std::string& name, const std::string& bytes, double file_size) {
  return session().gguf_add(name, bytes, file_size < 0 ? 0 : uint64_t(file_size));
}
std::string gguf_finish() { return session().gguf_finish(); }
std::string hf_config(const std::string& text, const std::string& name) { return session().hf_config(text, name); }
std::string calibrate(const std::string& state_json, const std::string& text, const std::string& backend) {
  return session().calibrate(state_json, text, backend);
}
#endif

}  // namespace

EMSCRIPTEN_BINDINGS(haloplan) {
  emscripten::function("version", &version);
  emscripten::function("shippedModels", &shipped_models);
  emscripten::function("checkModels", &check_models);
  emscripten::function("checkJson", &check_json);
  emscripten::function("decodeLink", &decode_link);
  emscripten::function("compute", &compute);  // (stateJson, sameCustom)
  emscripten::function("computePart", &compute_part);
  emscripten::function("hasMeasured", &has_measured);
  emscripten::function("addMeasured", &add_measured);
  emscripten::function("renderTable", &render_table);
#ifdef HALOPLAN_WASM_TOOLS
  emscripten::function("calibrate", &calibrate);
  emscripten::function("ggufAdd", &gguf_add);  // (name, Uint8Array, fileSize)
  emscripten::function("hfConfig", &hf_config);
  emscripten::function("ggufFinish", &gguf_finish);
#endif
}
