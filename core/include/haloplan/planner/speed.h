// Layer: planner. Decode and prefill speed from bytes moved and FLOPs done, with per-backend-family parameters
// fitted against measurements (bench/calibrate). No per-model constants.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "haloplan/planner/memory.h"
#include "haloplan/planner/model.h"
#include "haloplan/planner/platform.h"

namespace haloplan {

// Inputs the speed model needs from a model at a quant.
struct SpeedInputs {
  double weight_read_bytes = 0;    // per generated token
  double expert_read_bytes = 0;    // of which routed experts
  double all_weight_bytes = 0;     // read once per ubatch in prefill
  double active_dense_params = 0;  // per token, outside the routed experts
  // The same without the output head: a prompt batch computes logits for its last token only
  // (llama_batch_allocr::init outputs the last token when the batch names none, as llama-bench's
  // and llama-server's prompt batches do), so prefill multiplies by the head once per batch.
  double prefill_dense_params = 0;
  double active_expert_params = 0;  // routed experts at the experts-used count
  int n_layer = 0, n_moe_layers = 0, n_recurrent_layers = 0;
  int first_moe_layer = 0;  // layers before it are dense (DeepSeek's and GLM's first_k_dense)
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
  // The same FLOPs over every query head (no division): what a kernel pays that reads K/V once
  // per query (see p_attn_vec).
  double attn_qflops_per_ctx = 0;
  double attn_qflops_per_ctx_swa = 0;
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
// A prompt of n_prompt tokens after `depth` tokens, in ubatches of n_ubatch.
PrefillFeatures prefill_features(const SpeedInputs& in, double depth, double n_prompt, bool flash_attn, double flops,
                                 double bandwidth_bps, int n_ubatch);
// The mean number of cache positions a prompt token's ubatch spans: depth plus the end of its
// ubatch (a kernel that does not skip masked positions reads them all).
double mean_ubatch_end(double depth, double n_prompt, int n_ubatch);

double decode_seconds(const SpeedParams& p, const DecodeFeatures& f);
double prefill_seconds(const SpeedParams& p, const PrefillFeatures& f);

// Decode tokens/s with `depth` tokens in context.
double decode_tps(const Backend& b, const Machine& m, const SpeedInputs& in, const ModelArch& a,
                  const ContextParams& cp, int64_t depth);
// The same with the KV bytes read per token already known (one figure serves every backend).
double decode_tps_at(const Backend& b, const Machine& m, const SpeedInputs& in, double kv_bytes, double depth,
                     bool flash_attn);
// The part of a model a discrete GPU leaves in system RAM (llama.cpp --n-cpu-moe, -ngl), chosen so
// VRAM stays full: the routed experts of the first MoE layers go first (attention, the shared part
// and the KV cache stay on the GPU), whole layers with their KV after them.
struct Offload {
  int n_layer = 0;
  int n_cpu_moe = 0;            // --n-cpu-moe N: the experts of the first N layers run on the CPU
  int n_cpu_layers = 0;         // whole layers left off the GPU: -ngl (n_layer - this)
  double ram_weight_bytes = 0;  // weights in system RAM; prefill uploads all of them per ubatch
  double ram_expert_read = 0;   // routed-expert bytes the CPU reads per generated token
  double ram_dense_read = 0;    // other weight bytes the CPU reads per generated token
  double ram_kv_share = 0;      // share of the KV cache with the CPU's layers
  bool any() const { return n_cpu_moe > 0 || n_cpu_layers > 0; }
  // The llama-server flags: "-ngl 999 --n-cpu-moe 24", "-ngl 60", "-ngl 999".
  std::string flags() const;
};

// Weights a discrete GPU must leave in system RAM: `spill` bytes of the GPU side.
Offload offload_for(const WeightBreakdown& w, const SpeedInputs& in, double kv_bytes, double spill);
// The offload of the experts of `moe_layers` MoE layers and of `layers` whole layers.
Offload offload_layers(const WeightBreakdown& w, const SpeedInputs& in, int moe_layers, int layers);
// The VRAM an offload frees: its weights and the KV cache of its layers.
double offload_freed_bytes(const Offload& o, double kv_bytes);

// How fast the CPU reads offloaded weights from system RAM, as a share of its theoretical
// bandwidth: the rule of thumb quantprobe fits to published partial-offload runs (0.62 for dense
// layers, 0.38 for routed experts; reference beyond-one-box.md, section 4).
constexpr double kRamEfficiencyDense = 0.62, kRamEfficiencyExperts = 0.38;
// The band of a speed with part of the model in system RAM (uncalibrated): published runs of one
// box (gpt-oss-120b MXFP4 on an RTX 5090 with 64 GB DDR5, --n-cpu-moe 22 to 36; JordanFableFur/
// llama.cpp BENCHMARKS.md @37d76d9, TECH-REPORT.md @571cffc) decoded at 0.94-1.30x the estimate
// and prefilled at 0.33-0.82x the upload bound (tests/fixtures/offload_runs.json; bench/offload).
constexpr double kOffloadDecodeLo = 0.7, kOffloadDecodeHi = 1.4, kOffloadPrefillLo = 0.2, kOffloadPrefillHi = 1.0;

// Decode with part of the model in system RAM: the GPU's part as decode_tps_at with what stays
// in VRAM, plus the CPU's bytes over the RAM tier's bandwidth at the efficiencies above.
double decode_tps_offload(const Backend& b, const Machine& m, const SpeedInputs& in, const Offload& o, double kv_bytes,
                          double depth, bool flash_attn);
// Prefill with part of the model in system RAM: llama.cpp runs large batches on the GPU, so every
// ubatch uploads the offloaded weights over the host link (theoretical GB/s: an upper bound).
double prefill_tps_offload(const Backend& b, const Machine& m, const SpeedInputs& in, const Offload& o,
                           int64_t n_prompt, int64_t depth, const ContextParams& cp);

// Prefill tokens/s for a prompt of n_prompt tokens after `depth` tokens.
double prefill_tps(const Backend& b, const Machine& m, const SpeedInputs& in, int64_t n_prompt, int64_t depth,
                   const ContextParams& cp);

}  // namespace haloplan
