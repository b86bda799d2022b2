// In a file of its own so that a binary that never calls load_default_catalog (the page's wasm)
// links neither this nor the measured rows' text.
#include "haloplan/default_catalog.h"

namespace haloplan {

std::vector<Diagnostic> load_default_catalog(Catalog& into) {
  std::vector<Diagnostic> all = load_default_catalog_without_measured(into);
  add_shipped_diagnostics(all, load_measured(embedded::measured_json(), into), "data/measured.json");
  return all;
}

}  // namespace haloplan
