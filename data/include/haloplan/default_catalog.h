// The catalog shipped in data/, embedded at build time.
#pragma once

#include <string_view>
#include <vector>

#include "haloplan/catalog/load.h"

namespace haloplan {

namespace embedded {
std::string_view models_json();
std::string_view machines_json();
std::string_view backends_json();
std::string_view setup_json();
std::string_view guide_json();
std::string_view measured_json();
}  // namespace embedded

// Loads the shipped catalog; the diagnostics are empty unless data/ itself is broken.
std::vector<Diagnostic> load_default_catalog(Catalog& into);
// The same without the measured rows (data/measured.json), which only the evidence reads: the
// page's wasm, which fetches them on first use (Session::add_measured).
std::vector<Diagnostic> load_default_catalog_without_measured(Catalog& into);
// Appends d to all with each path prefixed by the file it came from.
void add_shipped_diagnostics(std::vector<Diagnostic>& all, std::vector<Diagnostic> d, const char* file);

}  // namespace haloplan
