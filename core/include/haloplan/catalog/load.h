// Layer: catalog. The data catalog loaded from JSON text with validation: models, machines,
// backends and setup facts. Every problem names its JSON path and what was expected.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "haloplan/planner/catalog.h"
#include "haloplan/text/diagnostic.h"

namespace haloplan {

constexpr int kCatalogSchemaVersion = 1;

// Each loader appends what it read to the catalog only if the text has no errors; diagnostics
// (errors and warnings) are returned either way.
std::vector<Diagnostic> load_models(std::string_view json_text, Catalog& into);
std::vector<Diagnostic> load_machines(std::string_view json_text, Catalog& into);
std::vector<Diagnostic> load_backends(std::string_view json_text, Catalog& into);
std::vector<Diagnostic> load_setup(std::string_view json_text, Catalog& into);
// The measured rows behind the speed families (data/measured.json); rows naming a model or a
// family the catalog lacks are errors.
std::vector<Diagnostic> load_measured(std::string_view json_text, Catalog& into);

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
// The rough tables of the guide that started the project (data/guide.json), kept to compare
// against computed numbers; every model it names must be in the catalog `c`.
struct GuideRow {
  std::string model;
  FType quant = FType::Q4_K_M;
  std::optional<double> guide_gb;  // the guide's rough size in decimal GB, if it gave one
  std::string guide_says;
};
struct GuideSpeedClaim {
  double active_b = 0;  // active parameters, billions
  std::string guide_says;
};
struct Guide {
  std::string machine;
  std::vector<GuideRow> rows;
  std::vector<GuideSpeedClaim> speed_claims;
};
std::vector<Diagnostic> load_guide(std::string_view json_text, const Catalog& c, Guide& into);

// Only the JSON syntax and its limits (nesting, duplicate keys, NaN, overflow, UTF-8), as every
// loader checks it first; `what` names the text in the message ("the model catalog").
std::vector<Diagnostic> json_problems(std::string_view json_text, const std::string& what);

}  // namespace haloplan
