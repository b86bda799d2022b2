#include "haloplan/speed.h"

#include <algorithm>

namespace haloplan {

SpeedInputs speed_inputs(const ModelArch& a, const WeightBreakdown& w) {
  SpeedInputs in;
  in.weight_read_bytes = double(w.decode_read_bytes);
  in.all_weight_bytes = double(w.total_bytes);
  in.active_params = double(w.active_params);
  in.n_layer = a.n_layer;
  in.window = a.sliding_window;
  for (int il = 0; il < a.n_layer; ++il) {
    if (a.is_moe_layer(il)) ++in.n_moe_layers;
    const auto k = a.layer_kind(il);
    if (k == LayerKind::Recurrent) ++in.n_recurrent_layers;
    if (k != LayerKind::Full && k != LayerKind::Sliding) continue;
    // QK^T and softmax(QK^T)V: 2 FLOPs per multiply-add, two products.
    const double hk = a.attention == AttentionKind::Mla ? a.mla.kv_lora_rank + a.mla.qk_rope_head_dim
                                                        : a.head_dim_k_for(il);
    const double hv = a.attention == AttentionKind::Mla ? a.mla.kv_lora_rank : a.head_dim_v_for(il);
    const double f = 2.0 * a.n_head * (hk + hv);
    if (k == LayerKind::Sliding) in.attn_flops_per_ctx_swa += f;
    else in.attn_flops_per_ctx += f;
  }
  return in;
}

std::array<double, 5> decode_features(const SpeedInputs& in, double kv_bytes, double bw) {
  return {in.weight_read_bytes / bw, kv_bytes / bw, in.n_layer * 1e-6, in.n_moe_layers * 1e-6,
          in.n_recurrent_layers * 1e-6};
}

std::array<double, 3> prefill_features(const SpeedInputs& in, double mean_ctx, double flops,
                                       double bw, int n_ubatch) {
  const double swa_ctx = in.window > 0 ? std::min<double>(mean_ctx, double(in.window)) : 0.0;
  const double attn = in.attn_flops_per_ctx * mean_ctx + in.attn_flops_per_ctx_swa * swa_ctx;
  return {2.0 * in.active_params / flops, attn / flops,
          in.all_weight_bytes / (double(std::max(1, n_ubatch)) * bw)};
}

double decode_seconds(const SpeedParams& p, const std::array<double, 5>& f) {
  return p.c_weights * f[0] + p.c_kv * f[1] + p.us_per_layer * f[2] + p.us_per_moe_layer * f[3] +
         p.us_per_recurrent_layer * f[4];
}

double prefill_seconds(const SpeedParams& p, const std::array<double, 3>& f) {
  return p.p_compute * f[0] + p.p_attn * f[1] + p.p_weights * f[2];
}

double decode_tps(const Backend& b, const Machine& m, const SpeedInputs& in, const ModelArch& a,
                  const ContextParams& cp, int64_t depth) {
  return decode_tps_at(b, m, in, double(kv_read_bytes(a, cp, depth)));
}

double decode_tps_at(const Backend& b, const Machine& m, const SpeedInputs& in, double kv_bytes) {
  const double bw = m.bandwidth_gbs * 1e9;
  if (bw <= 0) return 0;
  const double s = decode_seconds(b.speed, decode_features(in, kv_bytes, bw));
  return s > 0 ? b.speed_factor / s : 0;
}

double prefill_tps(const Backend& b, const Machine& m, const SpeedInputs& in, int64_t n_prompt,
                   int64_t depth, int n_ubatch) {
  const double bw = m.bandwidth_gbs * 1e9, flops = m.fp16_tflops * 1e12;
  if (bw <= 0 || flops <= 0) return 0;
  const double mean_ctx = double(depth) + double(n_prompt) / 2.0;
  const double s = prefill_seconds(b.speed, prefill_features(in, mean_ctx, flops, bw, n_ubatch));
  return s > 0 ? b.speed_factor / s : 0;
}

}  // namespace haloplan
