// Layer: view. A view state applied to the shipped catalog (the user's removals, custom models and
// calibrations), checked against it, and turned into the planner's Scenario.
#pragma once

#include <vector>

#include "haloplan/planner/plan.h"
#include "haloplan/view/state.h"

namespace haloplan {

// The shipped catalog with the state's removals, custom models and calibrations applied. Custom
// models with errors are left out (with notices); the rest of the state is unaffected.
Catalog apply_custom(const Catalog& shipped, const ViewState& s, std::vector<Notice>& notices);

// A speed family's engine: the first word of its id ("vulkan-amdvlk" -> "vulkan", "rocm" -> "rocm").
std::string engine_of(std::string_view family_id);
// Each named family replaces the default family of llama.cpp's backend of its engine (unknown ids
// are skipped: validate_state reports them).
void apply_builds(Catalog& c, const std::vector<std::string>& builds);

// Replaces references the catalog cannot satisfy (unknown machine, backend not on the machine,
// impossible carve-out, unknown quant or cache type) with defaults, each with a notice.
void validate_state(ViewState& s, const Catalog& c, std::vector<Notice>& notices);
// The part of validate_state that checks the memory knobs against the machine: a carve-out among
// its BIOS options, a GTT limit within the RAM the OS sees, an OS reserve below its RAM.
void validate_memory_knobs(ViewState& s, const Machine& m, std::vector<Notice>& notices);

Scenario scenario_for(const ViewState& s, const Catalog& c);  // s validated against c

}  // namespace haloplan
