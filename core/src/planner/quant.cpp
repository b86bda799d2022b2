// Per-tensor type choice of llama-quantize. Source: llama.cpp src/llama-quant.cpp,
// llama_tensor_get_type() and the quantize flags of llama_model_quantize_impl(), upstream
// ec98e2002 (see the shared reference llama-cpp-memory.md section 1.2). Falcon-specific
// branches are left out: no Falcon model is in the catalog.
#include "haloplan/planner/quant.h"

#include <cctype>
#include <cstdio>
#include <stdexcept>

namespace haloplan {

namespace {
using G = GgmlType;
using F = FType;

// LLAMA_FTYPE_* ids as llama.h numbers them (general.file_type, llama_model_quantize_params.ftype).
const std::vector<Preset> kPresets = {
    // clang-format off
    {F::F32, "F32", G::F32, 0}, {F::F16, "F16", G::F16, 1}, {F::BF16, "BF16", G::BF16, 32},
    {F::Q4_0, "Q4_0", G::Q4_0, 2}, {F::Q4_1, "Q4_1", G::Q4_1, 3}, {F::Q5_0, "Q5_0", G::Q5_0, 8},
    {F::Q5_1, "Q5_1", G::Q5_1, 9}, {F::Q8_0, "Q8_0", G::Q8_0, 7}, {F::Q2_K, "Q2_K", G::Q2_K, 10},
    {F::Q2_K_S, "Q2_K_S", G::Q2_K, 21}, {F::Q3_K_S, "Q3_K_S", G::Q3_K, 11}, {F::Q3_K_M, "Q3_K_M", G::Q3_K, 12},
    {F::Q3_K_L, "Q3_K_L", G::Q3_K, 13}, {F::Q4_K_S, "Q4_K_S", G::Q4_K, 14}, {F::Q4_K_M, "Q4_K_M", G::Q4_K, 15},
    {F::Q5_K_S, "Q5_K_S", G::Q5_K, 16}, {F::Q5_K_M, "Q5_K_M", G::Q5_K, 17}, {F::Q6_K, "Q6_K", G::Q6_K, 18},
    {F::IQ1_S, "IQ1_S", G::IQ1_S, 24}, {F::IQ1_M, "IQ1_M", G::IQ1_M, 31}, {F::IQ2_XXS, "IQ2_XXS", G::IQ2_XXS, 19},
    {F::IQ2_XS, "IQ2_XS", G::IQ2_XS, 20}, {F::IQ2_S, "IQ2_S", G::IQ2_XS, 28}, {F::IQ2_M, "IQ2_M", G::IQ2_S, 29},
    {F::IQ3_XXS, "IQ3_XXS", G::IQ3_XXS, 23}, {F::IQ3_XS, "IQ3_XS", G::IQ3_S, 22}, {F::IQ3_S, "IQ3_S", G::IQ3_S, 26},
    {F::IQ3_M, "IQ3_M", G::IQ3_S, 27}, {F::IQ4_NL, "IQ4_NL", G::IQ4_NL, 25}, {F::IQ4_XS, "IQ4_XS", G::IQ4_XS, 30},
    {F::TQ1_0, "TQ1_0", G::TQ1_0, 36}, {F::TQ2_0, "TQ2_0", G::TQ2_0, 37}, {F::MXFP4_MOE, "MXFP4_MOE", G::MXFP4, 38},
    // clang-format on
};

const std::vector<FType> kLadder = {F::BF16,    F::Q8_0,   F::Q6_K,   F::Q5_K_M, F::Q5_K_S,  F::Q4_K_M,
                                    F::Q4_K_S,  F::IQ4_XS, F::Q3_K_L, F::Q3_K_M, F::IQ3_M,   F::Q3_K_S,
                                    F::IQ3_XXS, F::Q2_K,   F::IQ2_M,  F::IQ2_XS, F::IQ2_XXS, F::IQ1_M};

bool any_of(F f, std::initializer_list<F> l) {
  for (F x : l)
    if (x == f) return true;
  return false;
}

bool use_more_bits(int i, int n) { return i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2; }

// The quantize flags of llama_model_quantize_impl: which tensors keep their source type.
bool is_quantizable(const TensorSpec& t) { return (t.role & kRoleQuantizable) && t.n_dims >= 2; }

struct State {
  const ModelArch& arch;
  FType ftype;
  bool has_output;
  int n_expert;
  int n_gqa;
  int n_attention_wv = 0;
  int i_attention_wv = 0;
  int i_ffn_down = 0, i_ffn_gate = 0, i_ffn_up = 0;
  int n_layer;
};

int layer_of(const State& s, int running, const TensorSpec& t) {
  // For MoE models llama.cpp parses the layer index from the name; otherwise a running counter.
  return s.n_expert > 1 ? t.layer : running;
}

GgmlType tensor_type(State& s, GgmlType new_type, const TensorSpec& t) {
  const uint32_t role = t.role;
  const F ft = s.ftype;
  const bool iq_low = any_of(ft, {F::IQ2_XXS, F::IQ2_XS, F::IQ1_S, F::IQ2_S, F::IQ2_M, F::IQ1_M});
  // llama-quant.cpp category_is_attn_v: the fused QKV and MLA's kv_b take attn_v's rules (the
  // separate ATTENTION_QKV branch after it is never reached).
  const bool attn_v_like = role & (kRoleAttnV | kRoleAttnQkv | kRoleAttnKvB);

  if ((role & kRoleOutput) || (!s.has_output && (role & kRoleTokenEmbd))) {
    const int64_t nx = t.ne[0];
    if (ft == F::MXFP4_MOE) new_type = G::Q8_0;
    else if (nx % traits(new_type).block_size != 0) new_type = G::Q8_0;
    else if (any_of(ft, {F::IQ2_XXS, F::IQ2_XS, F::IQ3_XXS, F::IQ1_S, F::IQ2_S, F::IQ2_M, F::IQ1_M}))
      new_type = G::Q5_K;
    else if (new_type != G::Q8_0) new_type = G::Q6_K;
  } else if (ft == F::MXFP4_MOE) {
    new_type = t.ne[2] > 1 ? G::MXFP4 : G::Q8_0;
  } else if (role & kRoleTokenEmbd) {
    if (any_of(ft, {F::IQ2_XXS, F::IQ2_XS, F::IQ1_S, F::IQ1_M})) new_type = G::Q2_K;
    else if (any_of(ft, {F::IQ2_S, F::IQ2_M, F::IQ3_XXS})) new_type = G::IQ3_S;
    else if (any_of(ft, {F::TQ1_0, F::TQ2_0})) new_type = G::Q4_K;
  } else if (iq_low) {
    if (attn_v_like) {
      if (s.n_gqa >= 4 || s.n_expert >= 4) new_type = G::Q4_K;
      else new_type = any_of(ft, {F::IQ2_S, F::IQ2_M}) ? G::IQ3_S : G::Q2_K;
      ++s.i_attention_wv;
    } else if (s.n_expert == 8 && (role & kRoleAttnK)) {
      new_type = G::Q4_K;
    } else if ((role & kRoleFfnDown)) {
      if (s.i_ffn_down < s.n_layer / 8) new_type = any_of(ft, {F::IQ2_S, F::IQ2_M}) ? G::IQ3_S : G::Q2_K;
      ++s.i_ffn_down;
    } else if ((role & kRoleAttnOutput)) {
      if (s.n_expert == 8) new_type = G::Q5_K;
      else if (any_of(ft, {F::IQ1_S, F::IQ1_M})) new_type = G::IQ2_XXS;
      else if (any_of(ft, {F::IQ2_S, F::IQ2_M})) new_type = G::IQ3_S;
    }
  } else if (attn_v_like) {
    const int i = s.i_attention_wv, n = s.n_attention_wv;
    if (ft == F::Q2_K) new_type = s.n_gqa >= 4 ? G::Q4_K : G::Q3_K;
    else if (ft == F::Q2_K_S && s.n_gqa >= 4) new_type = G::Q4_K;
    else if (ft == F::IQ3_XXS) new_type = s.n_gqa >= 4 ? G::Q4_K : G::IQ3_S;  // no imatrix
    else if (any_of(ft, {F::IQ3_XS, F::IQ3_S}) && s.n_gqa >= 4) new_type = G::Q4_K;
    else if (ft == F::IQ3_M) new_type = G::Q4_K;
    else if (ft == F::Q3_K_M) new_type = i < 2 ? G::Q5_K : G::Q4_K;
    else if (ft == F::Q3_K_L) new_type = G::Q5_K;
    else if (any_of(ft, {F::IQ4_NL, F::IQ4_XS}) && s.n_gqa >= 4) new_type = G::Q5_K;
    else if (any_of(ft, {F::Q4_K_M, F::Q5_K_M}) && use_more_bits(i, n)) new_type = G::Q6_K;
    else if (ft == F::Q4_K_S && i < 4) new_type = G::Q5_K;
    if (s.arch.is_type_70b() && (new_type == G::Q3_K || new_type == G::Q4_K)) new_type = G::Q5_K;
    if (s.n_expert == 8) new_type = G::Q8_0;
    ++s.i_attention_wv;
  } else if ((role & kRoleAttnK)) {
    if (s.n_expert == 8) new_type = G::Q8_0;
    else if (ft == F::IQ3_XS) new_type = G::IQ3_XXS;
    else if (ft == F::IQ3_XXS) new_type = G::IQ2_S;
  } else if ((role & kRoleAttnQ)) {
    if (ft == F::IQ3_XS) new_type = G::IQ3_XXS;
    else if (ft == F::IQ3_XXS) new_type = G::IQ2_S;
  } else if ((role & kRoleFfnDown)) {
    const int il = layer_of(s, s.i_ffn_down, t), n = s.n_layer;
    if (ft == F::Q2_K) new_type = G::Q3_K;
    else if (ft == F::Q2_K_S) {
      if (il < n / 8) new_type = G::Q4_K;
    } else if (ft == F::IQ3_XXS) new_type = il < n / 8 ? G::Q4_K : G::Q3_K;
    else if (ft == F::Q3_K_M) new_type = il < n / 16 ? G::Q5_K : G::Q4_K;
    else if (ft == F::IQ3_M && (il < n / 8 || (s.n_expert == 8 && use_more_bits(il, n)))) new_type = G::Q4_K;
    else if (ft == F::Q3_K_L) new_type = G::Q5_K;
    else if (ft == F::Q4_K_M) {
      if (use_more_bits(il, n)) new_type = G::Q6_K;
    } else if (il < n / 8 && any_of(ft, {F::IQ4_NL, F::IQ4_XS})) new_type = G::Q5_K;
    else if (ft == F::Q5_K_M && use_more_bits(il, n)) new_type = G::Q6_K;
    else if (ft == F::Q4_K_S && il < n / 8) new_type = G::Q5_K;
    ++s.i_ffn_down;
  } else if ((role & kRoleAttnOutput)) {
    if (s.n_expert == 8) {
      if (any_of(ft, {F::Q2_K, F::IQ3_XS, F::IQ3_XXS, F::Q3_K_S, F::Q3_K_M, F::IQ4_NL, F::Q4_K_S, F::Q4_K_M, F::IQ3_S,
                      F::IQ3_M, F::IQ4_XS}))
        new_type = G::Q5_K;
    } else {
      if (ft == F::Q2_K) new_type = G::Q3_K;
      else if (ft == F::IQ3_XXS) new_type = G::IQ3_S;
      else if (ft == F::Q3_K_M) new_type = G::Q4_K;
      else if (ft == F::Q3_K_L) new_type = G::Q5_K;
      else if (ft == F::IQ3_M) new_type = G::Q4_K;
    }
  } else if ((role & kRoleFfnGate)) {
    const int il = layer_of(s, s.i_ffn_gate, t), n = s.n_layer;
    if (ft == F::IQ3_XS && il >= n / 8 && il < 7 * n / 8) new_type = G::IQ3_XXS;
    ++s.i_ffn_gate;
  } else if ((role & kRoleFfnUp)) {
    const int il = layer_of(s, s.i_ffn_up, t), n = s.n_layer;
    if (ft == F::IQ3_XS && il >= n / 8 && il < 7 * n / 8) new_type = G::IQ3_XXS;
    ++s.i_ffn_up;
  }

  // Fallback when a row does not split into whole blocks (llama-quant.cpp tensor_type_fallback).
  if (t.ne[0] % traits(new_type).block_size != 0) {
    switch (new_type) {
      // clang-format off
      case G::TQ1_0: case G::TQ2_0: case G::Q2_K: case G::Q3_K: new_type = G::Q4_0; break;
      case G::IQ2_XXS: case G::IQ2_XS: case G::IQ2_S: case G::IQ3_XXS: case G::IQ3_S:
      case G::IQ1_S: case G::IQ1_M: case G::IQ4_XS:
        // clang-format on
        new_type = G::IQ4_NL;
        break;
      case G::Q4_K: new_type = G::Q5_0; break;
      case G::Q5_K: new_type = G::Q5_1; break;
      case G::Q6_K: new_type = G::Q8_0; break;
      default: break;
    }
    if (t.ne[0] % traits(new_type).block_size != 0) new_type = G::F16;
  }
  return new_type;
}

}  // namespace

const std::vector<Preset>& all_presets() { return kPresets; }
const std::vector<FType>& quant_ladder() { return kLadder; }

const std::vector<FType>& picker_quants() {
  static const std::vector<FType> k = {F::F16,    F::BF16,    F::Q8_0,   F::Q6_K,      F::Q5_K_M, F::Q5_K_S,  F::Q4_K_M,
                                       F::Q4_K_S, F::Q4_0,    F::IQ4_XS, F::MXFP4_MOE, F::Q3_K_L, F::Q3_K_M,  F::IQ3_M,
                                       F::Q3_K_S, F::IQ3_XXS, F::Q2_K,   F::IQ2_M,     F::IQ2_XS, F::IQ2_XXS, F::IQ1_M};
  return k;
}

const Preset& preset(FType f) {
  for (const auto& p : kPresets)
    if (p.ftype == f) return p;
  throw std::logic_error("unknown preset");
}

std::optional<FType> ftype_from_name(std::string_view name) {
  for (const auto& p : kPresets) {
    std::string_view pn = p.name;
    if (pn.size() != name.size()) continue;
    bool eq = true;
    for (size_t i = 0; i < pn.size() && eq; ++i)
      eq = std::toupper(static_cast<unsigned char>(pn[i])) == std::toupper(static_cast<unsigned char>(name[i]));
    if (eq) return p.ftype;
  }
  return std::nullopt;
}

std::vector<QuantizedTensor> quantize(const ModelArch& arch, const std::vector<TensorSpec>& tensors, FType ftype) {
  // llama-quant.cpp counts FFN tensors over n_layer_all: the trunk and the NextN blocks.
  State s{arch, ftype, false, arch.moe.n_expert, 0, 0, 0, 0, 0, 0, arch.n_layer + arch.n_nextn};
  s.n_gqa = arch.n_gqa_first_layer();
  for (const auto& t : tensors) {
    if (t.role & kRoleOutput) s.has_output = true;
    if (t.role & (kRoleAttnV | kRoleAttnQkv | kRoleAttnKvB)) ++s.n_attention_wv;
  }
  const Preset& p = preset(ftype);
  const bool rules = traits(p.default_type).quantized;
  std::vector<QuantizedTensor> out;
  out.reserve(tensors.size());
  for (const auto& t : tensors) {
    GgmlType type = G::F32;  // converters keep non-quantized tensors (norms, biases, router) in F32
    if (ftype == F::F32) type = G::F32;
    else if (is_quantizable(t)) type = rules ? tensor_type(s, p.default_type, t) : p.default_type;
    out.push_back({&t, type, row_bytes(type, t.ne[0]) * uint64_t(t.ne[1]) * uint64_t(t.ne[2])});
  }
  return out;
}

}  // namespace haloplan
