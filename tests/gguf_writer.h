// Writes header-only GGUF files (metadata and tensor infos, no tensor data) for real
// architectures, from the same tensor list and quantisation rules the planner uses. The tests
// parse them back; malformed variants are made by editing the bytes.
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
};

inline uint32_t llama_ftype_id(FType f) {
  switch (f) {
    case FType::F16: return 1;
    case FType::Q8_0: return 7;
    case FType::Q4_K_M: return 15;
    case FType::Q6_K: return 18;
    case FType::MXFP4_MOE: return 38;
    default: return 0;
  }
}

// The header llama.cpp's converter and llama-quantize would write for the model (text stack),
// optionally one part of a split (part_no of part_count, tensors dealt round-robin).
inline GgufFile write_gguf(const CatalogModel& m, FType quant, bool tokens_array = true, int part_no = -1,
                           int part_count = 0) {
  const ModelArch& a = m.arch;
  GgufWriter kv;
  const std::string p = a.arch + ".";
  const auto tensors = build_tensors(a);
  const auto qt = quantize(a, tensors, quant);
  if (part_no <= 0) {
    kv.kv_str("general.architecture", a.arch);
    kv.kv_str("general.name", m.name);
    kv.kv_u32("general.file_type", llama_ftype_id(quant));
    kv.kv_u32("general.quantization_version", 2);
    kv.kv_u32(p + "block_count", uint32_t(a.n_layer));
    kv.kv_u32(p + "context_length", uint32_t(a.max_context));
    kv.kv_u32(p + "embedding_length", uint32_t(a.n_embd));
    kv.kv_u32(p + "attention.head_count", uint32_t(a.n_head));
    if (a.n_ff > 0) kv.kv_u32(p + "feed_forward_length", uint32_t(a.n_ff));
    if (a.attention == AttentionKind::Mla) {
      const auto& x = a.mla;
      kv.kv_u32(p + "attention.head_count_kv", 1);
      kv.kv_u32(p + "attention.key_length", uint32_t(x.kv_lora_rank + x.qk_rope_head_dim));
      kv.kv_u32(p + "attention.value_length", uint32_t(x.kv_lora_rank));
      kv.kv_u32(p + "attention.key_length_mla", uint32_t(x.qk_nope_head_dim + x.qk_rope_head_dim));
      kv.kv_u32(p + "attention.value_length_mla", uint32_t(x.v_head_dim));
      kv.kv_u32(p + "attention.q_lora_rank", uint32_t(x.q_lora_rank));
      kv.kv_u32(p + "attention.kv_lora_rank", uint32_t(x.kv_lora_rank));
      kv.kv_u32(p + "rope.dimension_count", uint32_t(x.qk_rope_head_dim));
    } else {
      kv.kv_u32(p + "attention.head_count_kv", uint32_t(a.n_head_kv));
      kv.kv_u32(p + "attention.key_length", uint32_t(a.head_dim));
      kv.kv_u32(p + "attention.value_length", uint32_t(a.head_dim_v ? a.head_dim_v : a.head_dim));
    }
    if (a.sliding_window > 0) kv.kv_u32(p + "attention.sliding_window", uint32_t(a.sliding_window));
    if (a.moe.n_expert > 0) {
      kv.kv_u32(p + "expert_count", uint32_t(a.moe.n_expert));
      kv.kv_u32(p + "expert_used_count", uint32_t(a.moe.n_expert_used));
      kv.kv_u32(p + "expert_feed_forward_length", uint32_t(a.moe.expert_ff));
      if (a.moe.n_expert_shared > 0) {
        kv.kv_u32(p + "expert_shared_count", uint32_t(a.moe.n_expert_shared));
        kv.kv_u32(p + "expert_shared_feed_forward_length", uint32_t(a.moe.shared_ff / a.moe.n_expert_shared));
      }
      if (a.moe.n_dense_layers > 0) {
        kv.kv_u32(p + "leading_dense_block_count", uint32_t(a.moe.n_dense_layers));
        kv.kv_u32(p + "feed_forward_length", uint32_t(a.moe.dense_ff));
      }
    }
    if (a.recurrent) {
      const auto& r = *a.recurrent;
      kv.kv_u32(p + "ssm.conv_kernel", uint32_t(r.d_conv));
      kv.kv_u32(p + "ssm.inner_size", uint32_t(r.d_inner()));
      kv.kv_u32(p + "ssm.state_size", uint32_t(r.d_state));
      kv.kv_u32(p + "ssm.time_step_rank", uint32_t(r.n_head));
      kv.kv_u32(p + "ssm.group_count", uint32_t(r.n_group));
    }
    kv.kv_f32(p + "rope.freq_base", 500000.0f);
    if (tokens_array) kv.kv_token_array("tokenizer.ggml.tokens", uint64_t(a.n_vocab));
    else kv.kv_u32(p + "vocab_size", uint32_t(a.n_vocab));
  }
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
    t.str(q.spec->name);
    t.u32(uint32_t(q.spec->n_dims));
    for (int d = 0; d < q.spec->n_dims; ++d) t.u64(uint64_t(q.spec->ne[d]));
    t.u32(uint32_t(static_cast<int>(q.type)));
    t.u64(offset);
    offset += (q.bytes + 31) / 32 * 32;
    out.weight_bytes += q.bytes;
  }
  out.tensors = mine.size();
  GgufWriter head;
  head.bytes = "GGUF";
  head.u32(3);
  head.u64(mine.size());
  head.u64(kv.n_kv);
  out.bytes = head.bytes + kv.bytes + t.bytes;
  return out;
}

}  // namespace haloplan::test
