#include "haloplan/planner/speed.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace haloplan {

// clang-format off
const std::array<const char*, kDecodeParams> kDecodeParamNames = {
    "c_weights", "c_experts", "c_kv", "c_kv_nofa", "c_attn", "us_per_layer", "us_per_moe_layer", "us_per_recurrent_layer"};
const std::array<const char*, kPrefillParams> kPrefillParamNames = {
    "p_dense", "p_experts", "p_attn_fa", "p_attn_nofa", "p_weights", "p_recurrent", "p_attn_vec"};
// clang-format on

SpeedInputs speed_inputs(const ModelArch& a, const WeightBreakdown& w) {
  SpeedInputs in;
  in.weight_read_bytes = double(w.decode_read_bytes);
  in.all_weight_bytes = double(w.total_bytes);
  const double frac = w.n_expert > 0 ? double(w.n_expert_used) / double(w.n_expert) : 1.0;
  in.active_expert_params = double(w.routed_expert_params) * frac;
  in.expert_read_bytes = double(w.routed_expert_bytes) * frac;
  in.active_dense_params = std::max(0.0, double(w.active_params) - in.active_expert_params);
  in.prefill_dense_params = std::max(0.0, in.active_dense_params - double(a.n_embd) * double(a.n_vocab));
  in.n_layer = a.n_layer;
  in.window = a.sliding_window;
  in.gqa = a.attention == AttentionKind::Mla ? double(a.n_head) : std::max(1, a.n_gqa());
  for (int il = 0; il < a.n_layer; ++il) {
    if (a.is_moe_layer(il) && in.n_moe_layers++ == 0) in.first_moe_layer = il;
    const auto k = a.layer_kind(il);
    if (k == LayerKind::Recurrent) {
      ++in.n_recurrent_layers;
      if (a.recurrent) in.recurrent_state_elems += double(recurrent_s_elems(*a.recurrent));
    }
    if (k != LayerKind::Full && k != LayerKind::Sliding) continue;
    // QK^T and softmax(QK^T)V: 2 FLOPs per multiply-add, two products; divided by the square root
    // of the query heads per KV head (see attn_flops_per_ctx).
    const double hk =
        a.attention == AttentionKind::Mla ? a.mla.kv_lora_rank + a.mla.qk_rope_head_dim : a.head_dim_k_for(il);
    const double hv = a.attention == AttentionKind::Mla ? a.mla.kv_lora_rank : a.head_dim_v_for(il);
    const int kv_heads = a.n_head_kv_for(il);
    const double group = a.attention != AttentionKind::Mla && kv_heads > 0 ? double(a.n_head) / kv_heads : 1.0;
    const double q = 2.0 * a.n_head * (hk + hv), f = q / std::sqrt(std::max(1.0, group));
    if (k == LayerKind::Sliding) in.attn_flops_per_ctx_swa += f, in.attn_qflops_per_ctx_swa += q;
    else in.attn_flops_per_ctx += f, in.attn_qflops_per_ctx += q;
  }
  return in;
}

double attention_flops(const SpeedInputs& in, double ctx) {
  const double swa_ctx = in.window > 0 ? std::min<double>(ctx, double(in.window)) : 0.0;
  return in.attn_flops_per_ctx * ctx + in.attn_flops_per_ctx_swa * swa_ctx;
}

DecodeFeatures decode_features(const SpeedInputs& in, double kv_bytes, double depth, bool flash_attn, double flops,
                               double bw) {
  return {(in.weight_read_bytes - in.expert_read_bytes) / bw,
          in.expert_read_bytes / bw,
          flash_attn ? kv_bytes / bw : 0.0,
          flash_attn ? 0.0 : kv_bytes / bw,
          attention_flops(in, depth) / flops,
          in.n_layer * 1e-6,
          in.n_moe_layers * 1e-6,
          in.n_recurrent_layers * 1e-6};
}

double mean_ubatch_end(double depth, double n_prompt, int n_ubatch) {
  const double ub = std::max(1.0, std::min(double(std::max(1, n_ubatch)), n_prompt));
  const double batches = std::ceil(n_prompt / ub - 1e-9);
  return depth + ub * (batches + 1) / 2;
}

PrefillFeatures prefill_features(const SpeedInputs& in, double depth, double n_prompt, bool flash_attn, double flops,
                                 double bw, int n_ubatch) {
  const double attn = attention_flops(in, depth + n_prompt / 2) / flops;
  // The vec kernel's positions: every cached one up to the end of the ubatch; a sliding-window
  // layer's cache holds the window and one ubatch.
  const double end = mean_ubatch_end(depth, n_prompt, n_ubatch);
  const double swa_end = in.window > 0 ? std::min(end, double(in.window) + std::max(1, n_ubatch)) : 0.0;
  const double vec = (in.attn_qflops_per_ctx * end + in.attn_qflops_per_ctx_swa * swa_end) / flops;
  return {2.0 * in.prefill_dense_params / flops,
          2.0 * in.active_expert_params / flops,
          flash_attn ? attn : 0.0,
          flash_attn ? 0.0 : attn,
          in.all_weight_bytes / (double(std::max(1, n_ubatch)) * bw),
          2.0 * in.recurrent_state_elems / flops,
          flash_attn ? vec : 0.0};
}

namespace {
template <size_t N>
double dot(const std::array<double, N>& p, const std::array<double, N>& f) {
  double s = 0;
  for (size_t i = 0; i < N; ++i) s += p[i] * f[i];
  return s;
}
}  // namespace

double decode_seconds(const SpeedParams& p, const DecodeFeatures& f) { return dot(p.decode, f); }
double prefill_seconds(const SpeedParams& p, const PrefillFeatures& f) { return dot(p.prefill, f); }

double decode_tps(const Backend& b, const Machine& m, const SpeedInputs& in, const ModelArch& a,
                  const ContextParams& cp, int64_t depth) {
  return decode_tps_at(b, m, in, double(kv_read_bytes(a, cp, depth)), double(depth), cp.flash_attn);
}

double decode_tps_at(const Backend& b, const Machine& m, const SpeedInputs& in, double kv_bytes, double depth,
                     bool flash_attn) {
  const double bw = m.bandwidth_gbs * 1e9, flops = m.fp16_tflops * 1e12;
  if (bw <= 0 || flops <= 0) return 0;
  const double s = decode_seconds(b.speed, decode_features(in, kv_bytes, depth, flash_attn, flops, bw));
  return s > 0 ? b.speed_factor / s : 0;
}

double prefill_tps(const Backend& b, const Machine& m, const SpeedInputs& in, int64_t n_prompt, int64_t depth,
                   const ContextParams& cp) {
  const double bw = m.bandwidth_gbs * 1e9, flops = m.fp16_tflops * 1e12;
  if (bw <= 0 || flops <= 0) return 0;
  const double s = prefill_seconds(
      b.speed, prefill_features(in, double(depth), double(n_prompt), cp.flash_attn, flops, bw, cp.n_ubatch));
  return s > 0 ? b.speed_factor / s : 0;
}

std::string Offload::flags() const {
  std::string f = "-ngl " + std::to_string(n_cpu_layers > 0 ? n_layer - n_cpu_layers : 999);
  if (n_cpu_moe > 0) f += " --n-cpu-moe " + std::to_string(n_cpu_moe);
  return f;
}

Offload offload_layers(const WeightBreakdown& w, const SpeedInputs& in, int moe_layers, int layers) {
  Offload o;
  o.n_layer = in.n_layer;
  if (in.n_layer <= 0) return o;
  moe_layers = std::clamp(moe_layers, 0, in.n_moe_layers);
  layers = std::clamp(layers, 0, in.n_layer);
  if (moe_layers > 0 && w.routed_expert_bytes > 0) {
    // --n-cpu-moe counts layers from the first: the dense ones before the first MoE layer hold
    // no experts, so the flag's N covers them too.
    const double per = double(w.routed_expert_bytes) / in.n_moe_layers;
    o.n_cpu_moe = in.first_moe_layer + moe_layers;
    o.ram_weight_bytes = moe_layers * per;
    o.ram_expert_read = moe_layers * in.expert_read_bytes / in.n_moe_layers;
  }
  if (layers > 0) {
    // Whole layers from the first on (-ngl keeps the last ones on the GPU), with their share of
    // the KV cache; every dense weight of a layer is read per token.
    const double dense = double(w.dense_layer_bytes) / in.n_layer;
    o.n_cpu_layers = layers;
    o.ram_weight_bytes += layers * dense;
    o.ram_dense_read = layers * dense;
    o.ram_kv_share = double(layers) / in.n_layer;
  }
  return o;
}

Offload offload_for(const WeightBreakdown& w, const SpeedInputs& in, double kv_bytes, double spill) {
  if (spill <= 0 || in.n_layer <= 0) return offload_layers(w, in, 0, 0);
  int moe = 0;
  double left = spill;
  if (in.n_moe_layers > 0 && w.routed_expert_bytes > 0) {
    const double per = double(w.routed_expert_bytes) / in.n_moe_layers;
    moe = std::min(in.n_moe_layers, int(std::ceil(left / per - 1e-9)));
    left -= moe * per;
  }
  int layers = 0;
  if (left > 0) {
    const double per = double(w.dense_layer_bytes) / in.n_layer + kv_bytes / in.n_layer;
    layers = std::min(in.n_layer, int(std::ceil(left / std::max(1.0, per) - 1e-9)));
  }
  return offload_layers(w, in, moe, layers);
}

// The VRAM an offload frees: its weights and the KV of its layers.
double offload_freed_bytes(const Offload& o, double kv_bytes) { return o.ram_weight_bytes + kv_bytes * o.ram_kv_share; }

double decode_tps_offload(const Backend& b, const Machine& m, const SpeedInputs& in, const Offload& o, double kv_bytes,
                          double depth, bool flash_attn) {
  const double ram = m.ram_bandwidth_gbs * 1e9, bw = m.bandwidth_gbs * 1e9, flops = m.fp16_tflops * 1e12;
  if (!o.any() || ram <= 0) return decode_tps_at(b, m, in, kv_bytes, depth, flash_attn);
  if (bw <= 0 || flops <= 0) return 0;
  SpeedInputs gpu = in;
  gpu.expert_read_bytes = std::max(0.0, in.expert_read_bytes - o.ram_expert_read);
  gpu.weight_read_bytes = std::max(0.0, in.weight_read_bytes - o.ram_expert_read - o.ram_dense_read);
  const double kv_ram = kv_bytes * o.ram_kv_share;
  double s = decode_seconds(b.speed, decode_features(gpu, kv_bytes - kv_ram, depth, flash_attn, flops, bw));
  s += o.ram_expert_read / (kRamEfficiencyExperts * ram) + (o.ram_dense_read + kv_ram) / (kRamEfficiencyDense * ram);
  return s > 0 ? b.speed_factor / s : 0;
}

double prefill_tps_offload(const Backend& b, const Machine& m, const SpeedInputs& in, const Offload& o,
                           int64_t n_prompt, int64_t depth, const ContextParams& cp) {
  const double link = m.link_gbs * 1e9, bw = m.bandwidth_gbs * 1e9, flops = m.fp16_tflops * 1e12;
  if (!o.any() || link <= 0) return prefill_tps(b, m, in, n_prompt, depth, cp);
  if (bw <= 0 || flops <= 0) return 0;
  const double ubatch = double(std::max<int64_t>(1, std::min<int64_t>(cp.n_ubatch, std::max<int64_t>(1, n_prompt))));
  const double s = prefill_seconds(b.speed, prefill_features(in, double(depth), double(n_prompt), cp.flash_attn, flops,
                                                             bw, cp.n_ubatch)) +
                   o.ram_weight_bytes / (ubatch * link);
  return s > 0 ? b.speed_factor / s : 0;
}

}  // namespace haloplan
