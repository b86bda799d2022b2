// Layer: view. Two setups side by side: the state (A) and the state with its compare overrides
// (B) — UMA-first against GTT-first, two machines, two backends, two contexts — for the focused
// model, with the rows that differ marked.
#pragma once

#include <string>
#include <vector>

#include "haloplan/text/json_out.h"
#include "haloplan/view/state.h"
#include "haloplan/view/table.h"
#include "haloplan/view/tables.h"

namespace haloplan {

struct Comparison {
  ViewState b;                   // B, validated
  std::vector<Notice> notices;   // what B's validation replaced
  Table table;                   // rows: setup, then the focused model's answer; columns "", A, B
  std::vector<size_t> differ;    // rows whose A and B cells differ
  Table best;                    // the best choices ranked under A and under B, rank by rank
  std::vector<size_t> best_new;  // rows of `best` whose B choice is not among A's
};

// How many ranked choices the comparison lists per setup.
constexpr size_t kCompareBest = 5;

// s validated against c, with s.compare set.
Comparison compare_setups(const ViewState& s, const Catalog& c);

// {"table", "differ": [row], "best", "best_new": [row], "b": B's state fields (state JSON names),
// "notices": [text]}.
void write_comparison(JsonOut& o, const Comparison& cmp);

}  // namespace haloplan
