// Layer: view. The answers a reader sees first: for the state's machine, setup and backend, the
// best model x file choices ranked, the focused model's verdict in one line, and what would make
// it fit. Every change offered is a state the planner has planned, so applying it gives exactly
// the verdict shown.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "haloplan/text/json_out.h"
#include "haloplan/view/state.h"
#include "haloplan/view/table.h"
#include "haloplan/view/tables.h"

namespace haloplan {

// A ranked choice decodes at least this fast at the state's context (reading speed), or it is
// listed after those that do.
constexpr double kUsableDecodeTps = 10;

// One change to the state and what the planner says with it applied.
struct Change {
  std::string kind;    // gtt, carve, gtt-first, fa, vtype, kv, ctx, slots, quant, vision, draft, mtp, backend,
                       // cluster (several boxes over RPC: the state's nodes)
  std::string label;   // "raise the GTT limit to 80 GiB"
  std::string detail;  // how to do it ("kernel parameter ttm.pages_limit=20971520, then reboot")
  ViewState state;     // the state with the change applied (validated)
  Verdict verdict = Verdict::NoFit;
  double headroom = 0;  // bytes, in the pool the model lands in
};

// A model at one quant or published file on the answer's backend.
struct Choice {
  Cell cell;
  double params = 0;  // parameters (the model card's count when given)
  Verdict verdict = Verdict::NoFit;
  double headroom = 0, gpu_bytes = 0;                   // bytes
  double decode_tps = 0, decode_lo = 0, decode_hi = 0;  // with the state's context full; band as t/s
  double prefill_tps = 0, prefill_lo = 0, prefill_hi = 0;
  bool unmeasured = false, calibrated = false;
  std::string error;             // settings llama.cpp refuses
  std::optional<Change> change;  // the setup change it needs to fit, when it does not as it stands
  bool fits() const { return verdict == Verdict::CarveOut || verdict == Verdict::Gtt; }
  bool usable() const { return decode_tps >= kUsableDecodeTps; }
};

struct Answer {
  const Backend* backend = nullptr;
  MemoryKind kind = MemoryKind::AmdApu;  // the machine's, for its words
  std::vector<Choice> best;              // at most n_best, one per model, ranked
  size_t models = 0;                     // models considered
  size_t fitting = 0;                    // of them, how many have a choice that fits (as set up or with a change)
  bool exhaustive = true;                // false: the ranking was settled before every model was planned, and
                                         // `fitting` counts only the models planned
  Choice focus;
  int64_t max_context = 0;    // the focused choice's largest context that fits (0: none)
  std::vector<Change> fixes;  // what would make the focused choice fit (or start), checked
  std::string line;           // the focused answer in one sentence
};

// s validated against c (its model, quant and backend set).
Answer answer_for(const ViewState& s, const Catalog& c, size_t n_best = 10);

// The setup change (GTT limit, carve-out, GTT-first) the focused model needs on the state's
// backend to fit, if it does not as set up and one exists.
std::optional<Change> focus_setup_change(const ViewState& s, const Catalog& c);

// {"backend", "backend_name", "min_decode_tps", "models", "fitting" (null unless every model was
// planned), "best": [choice], "focus":
// choice + {"line", "max_context", "fixes": [change]}}; a change's "patch" holds the state fields
// (state JSON names) it sets.
void write_answer(JsonOut& o, const ViewState& s, const Answer& a);
// The ranked choices as the CLI prints them.
Table answer_table(const Answer& a, const ViewState& s, const Catalog& c);

}  // namespace haloplan
