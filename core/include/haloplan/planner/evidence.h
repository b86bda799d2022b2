// Layer: planner. What stands behind one backend's speed estimates for a plan: the formula's
// terms with the fitted parameter of each, how many calibration rows back the family, and the
// measured rows nearest to the plan (data/measured.json), each with the fit's figure for it.
#pragma once

#include <string>
#include <vector>

#include "haloplan/planner/catalog.h"
#include "haloplan/planner/plan.h"

namespace haloplan {

// One term of the speed formula: an amount of work, the time it takes at the machine's peak
// (bandwidth for bytes, FP16 FLOPS for FLOPs, 1 µs per layer for per-layer costs) and the fitted
// parameter that time is multiplied by.
struct SpeedTerm {
  std::string param;   // "c_weights"
  std::string what;    // "dense weights read per token"
  double amount = 0;   // in `unit`
  std::string unit;    // "bytes", "FLOP", "layers", "state elements"
  double peak_ms = 0;  // the amount at the machine's peak, ms per token
  double fitted = 0;   // the family's parameter (a multiplier; µs for per-layer terms)
  double ms = 0;       // peak_ms x fitted: this term's share of the time per token
  bool per_layer = false;
};

struct SpeedFormula {
  std::string condition;  // "decode, depth 0", "prefill of 4096 tokens from an empty context"
  std::vector<SpeedTerm> terms;
  double ms_per_token = 0;    // the sum of the terms
  double speed_factor = 1.0;  // the backend's throughput relative to the family's engine
  double tps = 0;             // speed_factor x 1000 / ms_per_token: the figure the tables show
};

// A measured row close to the plan, and why it is close.
struct NearRow {
  const MeasuredRow* row = nullptr;
  std::string source;  // the row's source (commit-pinned file or thread)
  std::string match;   // "same model and quant", "same architecture", "similar size"
  double distance = 0;
};

struct SpeedEvidence {
  std::string family, family_name;  // the calibration family the backend's parameters come from
  std::string fitted_on;
  int family_decode_rows = 0, family_prefill_rows = 0;                  // rows the family was fitted on
  int model_rows = 0;                                                   // of which this model's
  int arch_rows = 0;                                                    // of which this architecture's
  bool unmeasured = false;                                              // no row of this architecture in the family
  double decode_lo = 0, decode_hi = 0, prefill_lo = 0, prefill_hi = 0;  // the bands shown
  SpeedFormula decode, prefill;
  std::vector<NearRow> near_decode, near_prefill;  // nearest first
};

// The evidence for `bp` (a backend of `plan`, made by make_plan with `s`); up to `n_near` rows
// of each kind.
SpeedEvidence speed_evidence(const Catalog& c, const Plan& plan, const BackendPlan& bp, const Scenario& s,
                             size_t n_near = 3);

}  // namespace haloplan
