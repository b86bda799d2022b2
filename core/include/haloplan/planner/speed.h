// Layer: planner. Decode and prefill speed from bytes moved and FLOPs done, with per-backend-family parameters
// fitted against measurements (bench/calibrate). No per-model constants.
#pragma once

#include <array>
#include <cstdint>

#include "haloplan/planner/memory.h"
#include "haloplan/planner/model.h"
#include "haloplan/planner/platform.h"

namespace haloplan {

// Inputs the speed model needs from a model at a quant.
struct SpeedInputs {
  double weight_read_bytes = 0;     // per generated token
  double expert_read_bytes = 0;     // of which routed experts
  double all_weight_bytes = 0;      // read once per ubatch in prefill
  double active_dense_params = 0;   // per token, outside the routed experts
  double active_expert_params = 0;  // routed experts at the experts-used count
  int n_layer = 0, n_moe_layers = 0, n_recurrent_layers = 0;
  // Elements of the recurrent state (SSM or delta-rule matrix) over the recurrent layers: each
  // prompt token updates all of it.
  double recurrent_state_elems = 0;
  // Attention work per token per context position: the FLOPs, 2 * heads * (head_dim_k +
  // head_dim_v), divided by the square root of the query heads per KV head (1 for MLA), over
  // full-attention layers, and separately over sliding-window layers (capped at the window).
  // Flash attention reads each K/V tile once for the query heads that share it, so its time lies
  // between FLOP-bound (all query heads) and KV-bound (KV heads only); of the three, held out by
  // model the geometric mean predicts best (README, "Attention and grouped queries").
  double attn_flops_per_ctx = 0;
  double attn_flops_per_ctx_swa = 0;
  int64_t window = 0;  // sliding window, 0 if none
  // Query heads per KV head (1 for multi-head attention). Without flash attention llama.cpp
  // multiplies each KV head by its group of query heads: one matrix-vector product per head in
  // multi-head attention, a small matrix product when the group is large.
  double gqa = 1;
};

SpeedInputs speed_inputs(const ModelArch& a, const WeightBreakdown& w);

// Feature vectors, shared by the predictor and the calibration fit: each is seconds per token
// once multiplied by the matching parameter of SpeedParams.
using DecodeFeatures = std::array<double, kDecodeParams>;
using PrefillFeatures = std::array<double, kPrefillParams>;
// Attention FLOPs per token attending to ctx positions (windowed layers capped at the window).
double attention_flops(const SpeedInputs& in, double ctx);
DecodeFeatures decode_features(const SpeedInputs& in, double kv_bytes, double depth, bool flash_attn, double flops,
                               double bandwidth_bps);
// mean_ctx: the mean number of positions each prompt token attends to.
PrefillFeatures prefill_features(const SpeedInputs& in, double mean_ctx, bool flash_attn, double flops,
                                 double bandwidth_bps, int n_ubatch);

double decode_seconds(const SpeedParams& p, const DecodeFeatures& f);
double prefill_seconds(const SpeedParams& p, const PrefillFeatures& f);

// Decode tokens/s with `depth` tokens in context.
double decode_tps(const Backend& b, const Machine& m, const SpeedInputs& in, const ModelArch& a,
                  const ContextParams& cp, int64_t depth);
// The same with the KV bytes read per token already known (one figure serves every backend).
double decode_tps_at(const Backend& b, const Machine& m, const SpeedInputs& in, double kv_bytes, double depth,
                     bool flash_attn);
// Prefill tokens/s for a prompt of n_prompt tokens after `depth` tokens.
double prefill_tps(const Backend& b, const Machine& m, const SpeedInputs& in, int64_t n_prompt, int64_t depth,
                   const ContextParams& cp);

}  // namespace haloplan
