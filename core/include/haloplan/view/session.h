// Layer: view. What the page asks of the core, as one object with JSON text in and out, so the
// page's calls (wasm/bindings.cpp only adapts them) can be tested natively. A Session keeps the
// shipped catalog, the catalog built for the last state's custom models, removals and
// calibrations (rebuilt only when they change), and the last state for the view's parts.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "haloplan/catalog/gguf_import.h"
#include "haloplan/view/view.h"

namespace haloplan {

class Session {
 public:
  explicit Session(Catalog shipped);

  // The view's head for a state (JSON text): pools, machine, backends and the focused model, with
  // the validated state without its custom models ("custom_count" says how many were taken), its
  // link, notices and the pickers' catalog info (only when the catalog changed since the last
  // call). Custom models that do not fit in a link of kMaxLinkBytes stay with the page: the link
  // carries the scenario alone, with a notice. same_custom: the state carries no custom models and the last call's
  // hold, so thousands of models are neither sent nor parsed nor built into a catalog again on every change.
  std::string compute(std::string_view state_json, bool same_custom);
  // One table part of the last compute()'s view ("fit", "speed", "ceiling", "setup") as
  // {"<part>": ...}, with at most max_rows rows of the fit and speed tables (0: all); {} before
  // any compute and for an unknown part.
  std::string compute_part(std::string_view part, size_t max_rows);

  // A link's fragment -> {"state": ..., "notices": [{key, message}]}.
  std::string decode_link(std::string_view fragment) const;
  // A models file (the data/models.json schema) -> its diagnostics [{path, message, error}].
  std::string check_models(std::string_view text) const;
  // A file's bytes -> the JSON syntax problems the model-catalog loader would report.
  std::string check_json(std::string_view bytes) const;
  // A table as the page shows it (JSON) -> Markdown, CSV ("csv") or an SVG picture ("svg"); "" if
  // it is not a table.
  std::string render_table(std::string_view table_json, std::string_view format) const;

  // GGUF import in two steps, so the page reads only what each header needs:
  //   gguf_add -> {"status": "ok" | "need" | "error", "need": N, "error": "..."}; "need": call
  //   again with at least N bytes of the file; "ok": the header is kept for gguf_finish.
  //   gguf_finish -> {"models": [catalog entries], "errors": ["file: message"]}; forgets them.
  std::string gguf_add(const std::string& name, std::string_view bytes, uint64_t file_size);
  std::string gguf_finish();
  // A Hugging Face config.json -> {"model": entry | null, "error": "..."}.
  std::string hf_config(std::string_view text, const std::string& name) const;
  // Pasted llama-bench output -> {"table", "cal": "backend:…" | null, "cal_merged": the state's
  // calibrations with this one in place of the backend's old one | null, "backend", "error"},
  // fitted against the speed model without the state's own calibrations.
  std::string calibrate(std::string_view state_json, std::string_view text, const std::string& backend);

  // The measured rows behind the evidence (data/measured.json's text), for a session whose shipped
  // catalog came without them (the page fetches them on first use) -> the diagnostics as JSON,
  // [{path, message, error}]; the rows are kept only when there is no error.
  std::string add_measured(std::string_view text);
  bool has_measured() const { return shipped_.measured != nullptr; }

  // How many catalogs have been built (a rebuild happens only when custom models, removals or
  // calibrations change): for tests and benchmarks.
  uint64_t catalog_builds() const { return builds_; }

 private:
  struct StateCatalog {
    std::string key = "\x01";  // the custom models, removals and calibrations it was built from
    Catalog cat;
    std::vector<Notice> notices;
    std::string info;  // the pickers' JSON for it
  };
  const StateCatalog& catalog_for(const ViewState& s, std::vector<Notice>& notices, std::string key);

  Catalog shipped_;
  StateCatalog built_;
  uint64_t builds_ = 0;
  // The state of the last compute(), validated, for compute_part() and for the next compute()
  // when the page's custom models are unchanged.
  ViewState last_;
  std::string last_key_;
  uint64_t custom_rev_ = 0;           // counts the custom-model lists the page has sent
  std::string info_key_;              // the catalog whose pickers' info the page has
  bool link_without_custom_ = false;  // the link for this catalog had to leave the custom models out
  GgufImport gguf_;
};

}  // namespace haloplan
