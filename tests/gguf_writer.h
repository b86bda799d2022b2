// Writes header-only GGUF files (metadata and tensor infos, no tensor data) for real
// architectures: llama.cpp's key names, the planner's tensor list (which llama.cpp itself
// accepts: bench/conformance loads every one of these files in libllama) and, for F16, the
// converter's per-tensor types. Malformed variants are made by editing the bytes.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "haloplan/catalog/load.h"
#include "haloplan/planner/model.h"
#include "haloplan/planner/quant.h"

namespace haloplan::test {

class GgufWriter {
 public:
  std::string bytes;
  uint64_t n_kv = 0;

  void u32(uint32_t v) { raw(&v, 4); }
  void u64(uint64_t v) { raw(&v, 8); }
  void str(const std::string& s) {
    u64(s.size());
    bytes += s;
  }
  void kv_u32(const std::string& k, uint32_t v) {
    key(k, 4);
    u32(v);
  }
  void kv_f32(const std::string& k, float v) {
    key(k, 6);
    raw(&v, 4);
  }
  void kv_bool(const std::string& k, bool v) {
    key(k, 7);
    bytes += char(v ? 1 : 0);
  }
  void kv_str(const std::string& k, const std::string& v) {
    key(k, 8);
    str(v);
  }
  void kv_u32_array(const std::string& k, const std::vector<uint32_t>& v) {
    key(k, 9);
    u32(4);
    u64(v.size());
    for (auto x : v) u32(x);
  }
  void kv_bool_array(const std::string& k, const std::vector<uint8_t>& v) {
    key(k, 9);
    u32(7);
    u64(v.size());
    for (auto x : v) bytes += char(x ? 1 : 0);
  }
  void kv_f32_array(const std::string& k, const std::vector<float>& v) {
    key(k, 9);
    u32(6);
    u64(v.size());
    raw(v.data(), v.size() * 4);
  }
  void kv_token_array(const std::string& k, uint64_t n) {  // a realistic, large tokenizer list
    key(k, 9);
    u32(8);
    u64(n);
    for (uint64_t i = 0; i < n; ++i) str("tok" + std::to_string(i));
  }

 private:
  void raw(const void* p, size_t n) { bytes.append(static_cast<const char*>(p), n); }
  void key(const std::string& k, uint32_t type) {
    str(k);
    u32(type);
    ++n_kv;
  }
};

struct GgufFile {
  std::string bytes;
  uint64_t weight_bytes = 0;  // what the tensor infos add up to
  size_t tensors = 0;
  uint64_t data_bytes = 0;  // the data section the tensor infos describe (32-byte aligned)
};

inline uint32_t llama_ftype_id(FType f) { return uint32_t(preset(f).llama_ftype); }

// The type llama.cpp's converter (convert_hf_to_gguf.py, conversion/base.py prepare_tensors)
// writes a tensor in for an F16 output file: F32 for 1-D tensors, norms, MoE routers, SSM
// convolutions and anything not named "*.weight"; F16 for the rest.
inline GgmlType converter_type(const TensorSpec& t) {
  const std::string& n = t.name;
  auto has = [&](const char* s) { return n.find(s) != std::string::npos; };
  const bool weight = n.size() >= 7 && n.compare(n.size() - 7, 7, ".weight") == 0;
  if (t.n_dims <= 1 || !weight || has("_norm.weight") || has("ffn_gate_inp") || has("ssm_conv1d")) return GgmlType::F32;
  return GgmlType::F16;
}

// llama.cpp's metadata for the model, with the key names of src/llama-arch.cpp and what each
// architecture's load_arch_hparams (src/models/*.cpp) requires. Sliding-window patterns are
// written only where the converter writes them; elsewhere llama.cpp's per-architecture default
// must agree with the catalog's pattern (the conformance harness checks that it does).
inline void write_metadata(GgufWriter& kv, const CatalogModel& m, FType quant, bool tokens_array) {
  const ModelArch& a = m.arch;
  const std::string p = a.arch + ".";
  kv.kv_str("general.architecture", a.arch);
  kv.kv_str("general.name", m.name);
  kv.kv_u32("general.file_type", llama_ftype_id(quant));
  kv.kv_u32("general.quantization_version", 2);
  kv.kv_u32(p + "block_count", uint32_t(a.n_layer + a.n_nextn));
  if (a.n_nextn > 0) kv.kv_u32(p + "nextn_predict_layers", uint32_t(a.n_nextn));
  kv.kv_u32(p + "context_length", uint32_t(a.max_context));
  kv.kv_u32(p + "embedding_length", uint32_t(a.n_embd));
  kv.kv_u32(p + "attention.head_count", uint32_t(a.n_head));
  kv.kv_f32(p + "attention.layer_norm_rms_epsilon", 1e-5f);
  if (a.arch == "nemotron_h") kv.kv_f32(p + "attention.layer_norm_epsilon", 1e-5f);
  // Hybrids whose recurrent layers llama.cpp finds by a zero KV-head count (Nemotron-H,
  // Granite-H, Kimi-Linear) and Nemotron-H's MLP-only blocks (zero FFN width) get per-layer arrays.
  const bool per_layer_kv = a.kv_heads_per_layer();
  std::vector<uint32_t> kv_heads, ff;
  for (int il = 0; il < a.n_layer; ++il) {
    const LayerKind k = a.layer_kind(il);
    const bool attn = k == LayerKind::Full || k == LayerKind::Sliding;
    kv_heads.push_back(attn ? uint32_t(a.attention == AttentionKind::Mla ? 1 : a.n_head_kv_for(il)) : 0u);
    ff.push_back(a.has_ffn(il) ? uint32_t(a.n_ff) : 0u);
  }
  if (a.arch == "nemotron_h") kv.kv_u32_array(p + "feed_forward_length", ff);
  else if (a.n_ff > 0) kv.kv_u32(p + "feed_forward_length", uint32_t(a.n_ff));
  if (a.attention == AttentionKind::Mla) {
    const auto& x = a.mla;
    if (per_layer_kv) kv.kv_u32_array(p + "attention.head_count_kv", kv_heads);
    else kv.kv_u32(p + "attention.head_count_kv", 1);
    kv.kv_u32(p + "attention.key_length", uint32_t(x.kv_lora_rank + x.qk_rope_head_dim));
    kv.kv_u32(p + "attention.value_length", uint32_t(x.kv_lora_rank));
    kv.kv_u32(p + "attention.key_length_mla", uint32_t(x.qk_nope_head_dim + x.qk_rope_head_dim));
    kv.kv_u32(p + "attention.value_length_mla", uint32_t(x.v_head_dim));
    if (x.q_lora_rank > 0) kv.kv_u32(p + "attention.q_lora_rank", uint32_t(x.q_lora_rank));
    kv.kv_u32(p + "attention.kv_lora_rank", uint32_t(x.kv_lora_rank));
    kv.kv_u32(p + "rope.dimension_count", uint32_t(x.qk_rope_head_dim));
  } else {
    if (per_layer_kv) kv.kv_u32_array(p + "attention.head_count_kv", kv_heads);
    else kv.kv_u32(p + "attention.head_count_kv", uint32_t(a.n_head_kv));
    kv.kv_u32(p + "attention.key_length", uint32_t(a.head_dim));
    kv.kv_u32(p + "attention.value_length", uint32_t(a.head_dim_v ? a.head_dim_v : a.head_dim));
  }
  if (a.sliding_window > 0) kv.kv_u32(p + "attention.sliding_window", uint32_t(a.sliding_window));
  if (a.arch == "gemma4") {
    std::vector<uint8_t> swa;
    for (int il = 0; il < a.n_layer; ++il) swa.push_back(a.layer_kind(il) == LayerKind::Sliding);
    kv.kv_bool_array(p + "attention.sliding_window_pattern", swa);
    kv.kv_u32(p + "attention.key_length_swa", uint32_t(a.swa_head_dim ? a.swa_head_dim : a.head_dim));
    kv.kv_u32(p + "attention.value_length_swa", uint32_t(a.swa_head_dim ? a.swa_head_dim : a.head_dim));
    kv.kv_u32(p + "embedding_length_per_layer_input", 0);
  }
  if (a.moe.n_expert > 0) {
    kv.kv_u32(p + "expert_count", uint32_t(a.moe.n_expert));
    kv.kv_u32(p + "expert_used_count", uint32_t(a.moe.n_expert_used));
    kv.kv_u32(p + "expert_feed_forward_length", uint32_t(a.moe.expert_ff));
    kv.kv_u32(p + "expert_shared_count", uint32_t(a.moe.n_expert_shared));
    if (a.moe.n_expert_shared > 0)
      kv.kv_u32(p + "expert_shared_feed_forward_length", uint32_t(a.moe.shared_ff / a.moe.n_expert_shared));
    if (a.moe.n_dense_layers > 0) kv.kv_u32(p + "leading_dense_block_count", uint32_t(a.moe.n_dense_layers));
    // Without dense layers, llama (Mixtral) and Granite-H size their experts by feed_forward_length.
    if (a.n_ff == 0)
      kv.kv_u32(p + "feed_forward_length", uint32_t(a.moe.dense_ff > 0 ? a.moe.dense_ff : a.moe.expert_ff));
    if (a.moe.interleave > 1 || a.arch == "llama4")
      kv.kv_u32(p + "interleave_moe_layer_step", uint32_t(a.moe.interleave));
    if (a.arch == "kimi-linear" || a.arch == "deepseek2" || a.arch == "glm4moe" || a.arch == "dots1" ||
        a.arch == "minimax-m2")
      kv.kv_u32(p + "expert_gating_func", 2);  // sigmoid, as the converters write it
  }
  if (a.recurrent) {
    const auto& r = *a.recurrent;
    kv.kv_u32(p + "ssm.conv_kernel", uint32_t(r.d_conv));
    if (r.kind == RecurrentKind::Kda) {
      kv.kv_u32(p + "kda.head_dim", uint32_t(r.head_dim));
    } else {
      kv.kv_u32(p + "ssm.inner_size", uint32_t(r.d_inner()));
      kv.kv_u32(p + "ssm.state_size", uint32_t(r.d_state));
      kv.kv_u32(p + "ssm.time_step_rank", uint32_t(r.n_head));
      kv.kv_u32(p + "ssm.group_count", uint32_t(r.n_group));
    }
    if (a.arch == "qwen3next" || a.arch == "qwen35" || a.arch == "qwen35moe")
      kv.kv_u32(p + "full_attention_interval", uint32_t(a.pattern.size()));
  }
  if (a.arch == "qwen35" || a.arch == "qwen35moe") {
    const uint32_t quarter = uint32_t(a.head_dim / 4);
    kv.kv_u32_array(p + "rope.dimension_sections", {quarter, quarter, quarter, 0});
  }
  kv.kv_f32(p + "rope.freq_base", 500000.0f);
  if (tokens_array) {
    // llama.cpp's "test" tokenizer: a token list and scores, no merges (the file is for sizes).
    kv.kv_str("tokenizer.ggml.model", "test");
    kv.kv_token_array("tokenizer.ggml.tokens", uint64_t(a.n_vocab));
    kv.kv_f32_array("tokenizer.ggml.scores", std::vector<float>(size_t(a.n_vocab), 0.0f));
  } else {
    kv.kv_str("tokenizer.ggml.model", "none");
    kv.kv_u32(p + "vocab_size", uint32_t(a.n_vocab));
  }
}

// The header llama.cpp's converter (quant F16) or llama-quantize (any other preset, with the
// planner's per-tensor types) would write for the model's text stack, optionally one part of a
// split (part_no of part_count, tensors dealt round-robin).
// leave_out: a tensor the file does not hold (a damaged file for the harness's planted case).
inline GgufFile write_gguf(const CatalogModel& m, FType quant, bool tokens_array = true, int part_no = -1,
                           int part_count = 0, const std::string& leave_out = "") {
  const ModelArch& a = m.arch;
  GgufWriter kv;
  auto tensors = build_tensors(a);
  std::erase_if(tensors, [&](const TensorSpec& t) { return t.name == leave_out; });
  const auto qt = quantize(a, tensors, quant);
  if (part_no <= 0) write_metadata(kv, m, quant, tokens_array);
  std::vector<size_t> mine;
  for (size_t i = 0; i < qt.size(); ++i)
    if (part_count <= 1 || int(i % size_t(part_count)) == part_no) mine.push_back(i);
  if (part_count > 1) {
    kv.kv_u32("split.no", uint32_t(part_no));
    kv.kv_u32("split.count", uint32_t(part_count));
    kv.kv_u32("split.tensors.count", uint32_t(qt.size()));
  }
  GgufWriter t;
  uint64_t offset = 0;
  GgufFile out;
  for (size_t i : mine) {
    const auto& q = qt[i];
    const GgmlType type = quant == FType::F16 ? converter_type(*q.spec) : q.type;
    const uint64_t bytes =
        type == q.type ? q.bytes : row_bytes(type, uint64_t(q.spec->ne[0])) * uint64_t(q.spec->ne[1] * q.spec->ne[2]);
    t.str(q.spec->name);
    t.u32(uint32_t(q.spec->n_dims));
    for (int d = 0; d < q.spec->n_dims; ++d) t.u64(uint64_t(q.spec->ne[d]));
    t.u32(uint32_t(static_cast<int>(type)));
    t.u64(offset);
    offset += (bytes + 31) / 32 * 32;
    out.weight_bytes += bytes;
  }
  out.tensors = mine.size();
  out.data_bytes = offset;
  GgufWriter head;
  head.bytes = "GGUF";
  head.u32(3);
  head.u64(mine.size());
  head.u64(kv.n_kv);
  out.bytes = head.bytes + kv.bytes + t.bytes;
  return out;
}

}  // namespace haloplan::test
