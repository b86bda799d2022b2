#include "haloplan/default_catalog.h"

namespace haloplan {

std::vector<Diagnostic> load_default_catalog(Catalog& into) {
  std::vector<Diagnostic> all;
  auto add = [&all](std::vector<Diagnostic> d, const char* file) {
    for (auto& x : d) {
      x.path = std::string(file) + (x.path.empty() ? "" : ": " + x.path);
      all.push_back(std::move(x));
    }
  };
  add(load_models(embedded::models_json(), into), "data/models.json");
  add(load_machines(embedded::machines_json(), into), "data/machines.json");
  add(load_backends(embedded::backends_json(), into), "data/backends.json");
  add(load_setup(embedded::setup_json(), into), "data/setup.json");
  add(load_measured(embedded::measured_json(), into), "data/measured.json");
  return all;
}

}  // namespace haloplan
