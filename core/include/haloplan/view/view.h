// Layer: view. Every table of a view state as JSON for the page: the head (pools, machine,
// backends, the focused model) and the parts (fit, speed, ceiling, setup), plus the pickers'
// catalog info. The shapes are described in docs/ARCHITECTURE.md.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>

#include "haloplan/text/json_out.h"
#include "haloplan/view/scenario.h"

namespace haloplan {

// Every table of the view, as JSON: fit, speed, ceiling, setup, the focused model's breakdown,
// placement per backend and decode speed against depth. s validated against c. write_view writes
// these members into the object `o` has open; compute_view returns them as one object.
void write_view(JsonOut& o, const ViewState& s, const Catalog& c);
nlohmann::json compute_view(const ViewState& s, const Catalog& c);
// The same in pieces, for a page that draws the parts out of view later: the head (pools, machine,
// backends, the focused model) and each of kViewParts; write_view_part is false for an unknown part.
// The fit table's rows come filtered and sorted as the state says; "fit" and "speed" carry at most
// max_rows rows (0: all) with "matching" (rows that pass the filter) and "total".
inline constexpr const char* kViewParts[] = {"answer", "compare", "resident", "cluster", "map",
                                             "fit",    "speed",   "evidence", "ceiling", "setup"};
void write_view_head(JsonOut& o, const ViewState& s, const Catalog& c);
bool write_view_part(JsonOut& o, std::string_view part, const ViewState& s, const Catalog& c, size_t max_rows = 0);

// Machines, backends, models, quant presets and cache types for the page's pickers (JSON text).
std::string catalog_info(const Catalog& c);

}  // namespace haloplan
