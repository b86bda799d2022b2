// Decode and prefill speed from bytes moved and FLOPs done, with per-backend parameters fitted
// against measurements (bench/calibrate). No per-model constants.
#pragma once

#include <array>
#include <cstdint>

#include "haloplan/memory.h"
#include "haloplan/model.h"
#include "haloplan/platform.h"

namespace haloplan {

// Inputs the speed model needs from a model at a quant.
struct SpeedInputs {
  double weight_read_bytes = 0;   // per generated token
  double all_weight_bytes = 0;    // read once per ubatch in prefill
  double active_params = 0;
  int n_layer = 0, n_moe_layers = 0, n_recurrent_layers = 0;
  // Attention FLOPs per token per context position (4 * head_dim * heads over attention layers,
  // windowed layers capped at the window).
  double attn_flops_per_ctx = 0;
  int64_t window = 0;             // sliding window, 0 if none
  double attn_flops_per_ctx_swa = 0;
};

SpeedInputs speed_inputs(const ModelArch& a, const WeightBreakdown& w);

// Feature vectors, shared by the predictor and the calibration fit (seconds, as multiplied by the
// parameters in SpeedParams order).
std::array<double, 5> decode_features(const SpeedInputs& in, double kv_bytes, double bandwidth_bps);
std::array<double, 3> prefill_features(const SpeedInputs& in, double mean_ctx, double flops,
                                       double bandwidth_bps, int n_ubatch);

double decode_seconds(const SpeedParams& p, const std::array<double, 5>& f);
double prefill_seconds(const SpeedParams& p, const std::array<double, 3>& f);

struct SpeedEstimate {
  double decode_tps = 0;  // at the given depth
  double decode_lo = 0, decode_hi = 0;
  double prefill_tps = 0;
  double prefill_lo = 0, prefill_hi = 0;
};

// Decode tokens/s with `depth` tokens in context; prefill tokens/s for a prompt of n_prompt tokens
// after `depth` tokens.
double decode_tps(const Backend& b, const Machine& m, const SpeedInputs& in, const ModelArch& a,
                  const ContextParams& cp, int64_t depth);
// The same with the KV bytes read per token already known (one figure serves every backend).
double decode_tps_at(const Backend& b, const Machine& m, const SpeedInputs& in, double kv_bytes);
double prefill_tps(const Backend& b, const Machine& m, const SpeedInputs& in, int64_t n_prompt,
                   int64_t depth, int n_ubatch);

}  // namespace haloplan
