// The data catalog: models, machines, backends and setup facts, loaded from JSON text with
// validation. Every problem names its JSON path and what was expected.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "haloplan/model.h"
#include "haloplan/platform.h"
#include "haloplan/quant.h"

namespace haloplan {

constexpr int kCatalogSchemaVersion = 1;

namespace detail {
struct WeightMemo;  // weight breakdowns already computed for this model, per preset (plan.cpp)
}

// Exact weights of one GGUF file of the model, read from its header (sum of the tensor rows).
struct FileWeights {
  std::string file;
  FType quant = FType::Q4_K_M;
  uint64_t weights_bytes = 0;
  uint64_t token_embd_bytes = 0;
  int64_t tensors = 0;
};

struct CatalogModel {
  std::string id, name;
  ModelArch arch;
  double published_total_b = 0;   // parameter counts as published (model card), 0 if not given
  double published_active_b = 0;
  std::vector<std::string> sources;
  std::string notes;
  bool verified = true;  // false: some dimensions were not read from the model's own config
  std::optional<FileWeights> file;  // imported from a GGUF header: exact bytes at file->quant
  // Filled by the planner on first use. The weights depend on arch alone, so copies of a model
  // share it; a model is not modified once planned (the loader builds a fresh one).
  mutable std::shared_ptr<detail::WeightMemo> memo;
};

struct Strategy {
  std::string id, name, summary;
  std::vector<std::string> pros, cons, sources;
};

struct Tuning {
  std::string id, name, parameter, effect, side_effect;
  std::vector<std::string> sources;
};

struct SetupFacts {
  std::vector<Strategy> strategies;
  std::vector<Tuning> tunings;
  std::vector<std::string> gtt_sources;  // evidence for pages_limit / gttsize rules
  std::vector<std::string> rocm_gtt_sources;  // evidence for the ROCm GTT switch
};

struct Diagnostic {
  std::string path;     // JSON path, e.g. models[3].attention.kv_lora_rank
  std::string message;  // what was wrong and what was expected
  bool error = true;    // false: a warning (e.g. an unknown field)
  std::string text() const { return (error ? "error: " : "warning: ") + (path.empty() ? "" : path + ": ") + message; }
};

struct Catalog {
  std::vector<CatalogModel> models;
  std::vector<Machine> machines;
  std::vector<Backend> backends;
  std::vector<SpeedFamily> speed_families;
  SetupFacts setup;

  const CatalogModel* model(std::string_view id) const;
  const Machine* machine(std::string_view id) const;
  const Backend* backend(std::string_view id) const;
};

// Each loader appends what it read to the catalog only if the text has no errors; diagnostics
// (errors and warnings) are returned either way.
std::vector<Diagnostic> load_models(std::string_view json_text, Catalog& into);
std::vector<Diagnostic> load_machines(std::string_view json_text, Catalog& into);
std::vector<Diagnostic> load_backends(std::string_view json_text, Catalog& into);
std::vector<Diagnostic> load_setup(std::string_view json_text, Catalog& into);

// Models from a user catalog replace shipped models with the same id and add the rest.
std::vector<Diagnostic> merge_models(std::string_view json_text, Catalog& into);
// The same for many texts merged into one catalog: `index` maps ids to positions in into.models;
// pass an empty map first, and the same map (kept up to date here) with each further text.
using ModelIndex = std::unordered_map<std::string, size_t>;
std::vector<Diagnostic> merge_models(std::string_view json_text, Catalog& into, ModelIndex& index);
// One entry of the models schema, already parsed (a custom model of the page's state), merged the
// same way unless it has errors; diagnostics name their paths under `path` ("custom[3].n_layers").
std::vector<Diagnostic> merge_model(const nlohmann::json& entry, const std::string& path, Catalog& into,
                                    ModelIndex& index);
// Only the JSON syntax and its limits (nesting, duplicate keys, NaN, overflow, UTF-8), as every
// loader checks it first; `what` names the text in the message ("the model catalog").
std::vector<Diagnostic> json_problems(std::string_view json_text, const std::string& what);

bool has_errors(const std::vector<Diagnostic>& d);

}  // namespace haloplan
