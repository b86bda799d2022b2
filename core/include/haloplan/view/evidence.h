// Layer: view. The evidence behind a backend's speed estimates (planner/evidence.h) as the CLI
// prints it (`haloplan plan`) and as the page opens it beside each figure.
#pragma once

#include <string>
#include <vector>

#include "haloplan/planner/evidence.h"
#include "haloplan/view/table.h"

namespace haloplan {

class JsonOut;

// Two tables: the formula's terms for decode and prefill, and the nearest measured rows.
std::vector<Table> evidence_tables(const SpeedEvidence& e, const Backend& b);
// {"family", "family_name", "fitted_on", "rows": {...}, "decode": formula, "prefill": formula,
//  "near_decode": [rows], "near_prefill": [rows]}
void write_evidence(JsonOut& o, const SpeedEvidence& e);
std::string evidence_json(const SpeedEvidence& e);

// An amount of work as people read it: "9.31 GB", "14.2 GFLOP", "36 layers".
std::string amount_text(const SpeedTerm& t);

}  // namespace haloplan
