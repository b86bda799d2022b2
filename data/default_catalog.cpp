#include "haloplan/default_catalog.h"

namespace haloplan {

void add_shipped_diagnostics(std::vector<Diagnostic>& all, std::vector<Diagnostic> d, const char* file) {
  for (auto& x : d) {
    x.path = std::string(file) + (x.path.empty() ? "" : ": " + x.path);
    all.push_back(std::move(x));
  }
}

std::vector<Diagnostic> load_default_catalog_without_measured(Catalog& into) {
  std::vector<Diagnostic> all;
  add_shipped_diagnostics(all, load_models(embedded::models_json(), into), "data/models.json");
  add_shipped_diagnostics(all, load_machines(embedded::machines_json(), into), "data/machines.json");
  add_shipped_diagnostics(all, load_backends(embedded::backends_json(), into), "data/backends.json");
  add_shipped_diagnostics(all, load_setup(embedded::setup_json(), into), "data/setup.json");
  return all;
}

}  // namespace haloplan
