#include "haloplan/planner/model.h"

#include <algorithm>

namespace haloplan {

LayerKind ModelArch::layer_kind(int il) const {
  if (pattern.empty()) return LayerKind::Full;
  return static_cast<LayerKind>(pattern[static_cast<size_t>(il) % pattern.size()]);
}

bool ModelArch::has_ffn(int il) const {
  // Nemotron-H style layouts: blocks are mixer-only or MLP-only ('F'); elsewhere every layer
  // carries an FFN.
  if (pattern.find('F') != std::string::npos) return layer_kind(il) == LayerKind::None;
  return true;
}

bool ModelArch::is_moe_layer(int il) const {
  if (moe.n_expert <= 0 || !has_ffn(il)) return false;
  if (il < moe.n_dense_layers) return false;
  const int step = std::max(1, moe.interleave);
  return (il + 1) % step == 0;
}

int ModelArch::n_head_kv_for(int il) const {
  if (layer_kind(il) == LayerKind::Sliding && swa_n_head_kv > 0) return swa_n_head_kv;
  return n_head_kv;
}

int ModelArch::head_dim_k_for(int il) const {
  if (layer_kind(il) == LayerKind::Sliding && swa_head_dim > 0) return swa_head_dim;
  return head_dim;
}

int ModelArch::head_dim_v_for(int il) const {
  if (layer_kind(il) == LayerKind::Sliding && swa_head_dim > 0) return swa_head_dim;
  return head_dim_v > 0 ? head_dim_v : head_dim;
}

bool ModelArch::kv_heads_per_layer() const {
  return arch == "nemotron_h" || arch == "granitehybrid" || arch == "kimi-linear" || swa_n_head_kv > 0;
}

int ModelArch::n_gqa_first_layer() const {
  const LayerKind k = layer_kind(0);
  const bool mixer_is_attention = k == LayerKind::Full || k == LayerKind::Sliding;
  if (kv_heads_per_layer() && !mixer_is_attention) return 0;
  if (attention == AttentionKind::Mla) return n_head;
  const int kv = kv_heads_per_layer() ? n_head_kv_for(0) : n_head_kv;
  return kv > 0 ? n_head / kv : 0;
}

bool ModelArch::is_type_70b() const {
  // llama.cpp load_hparams: LLM_ARCH_LLAMA and LLM_ARCH_QWEN2 with 80 layers are LLM_TYPE_70B.
  return moe.n_expert == 0 && n_layer == 80 && (arch == "llama" || arch == "qwen2");
}

int64_t recurrent_r_elems(const RecurrentParams& r) {
  // llama-hparams.cpp n_embd_r(): conv state of the causal conv1d.
  if (r.kind == RecurrentKind::Kda) return 3LL * (r.d_conv - 1) * r.n_head * r.head_dim;
  return int64_t(r.d_conv - 1) * (r.d_inner() + 2LL * r.n_group * r.d_state);
}

int64_t recurrent_s_elems(const RecurrentParams& r) {
  // llama-hparams.cpp n_embd_s(): the SSM / delta-rule state.
  if (r.kind == RecurrentKind::Kda) return int64_t(r.head_dim) * r.head_dim * r.n_head;
  return int64_t(r.d_state) * r.d_inner();
}

namespace {

struct Builder {
  std::vector<TensorSpec>& out;
  bool names = true;
  // Layer tensors repeat their names in every layer: the role of "attn_v.weight" is decided once
  // (no role pattern can match across the "blk.N." prefix, and none equals a whole layer name).
  std::vector<std::pair<const char*, uint32_t>> roles = {};
  uint32_t layer_role(const char* name) {
    for (const auto& [n, r] : roles)
      if (n == name) return r;
    roles.emplace_back(name, tensor_role(name));
    return roles.back().second;
  }
  void add(const char* name, int layer, int64_t ne0, int64_t ne1 = 1, int64_t ne2 = 1) {
    TensorSpec t;
    if (layer >= 0) {
      if (names) t.name.append("blk.").append(std::to_string(layer)).append(".").append(name);
      t.role = layer_role(name);
    } else {
      if (names) t.name = name;
      t.role = tensor_role(name);
    }
    t.ne[0] = ne0;
    t.ne[1] = ne1;
    t.ne[2] = ne2;
    t.n_dims = ne2 > 1 ? 3 : (ne1 > 1 ? 2 : 1);
    t.layer = layer;
    out.push_back(std::move(t));
  }
};

// Where llama.cpp's tensor layout depends on the architecture rather than on the catalog's
// hyperparameters: src/models/<arch>.cpp load_arch_tensors of the release bench/oracle/VERSION
// pins, as the current converter writes the file (bench/conformance loads every catalog model's
// file in that llama.cpp, which refuses a missing, unknown or misshapen tensor).
struct Layout {
  bool ffn_norm = true;              // blk.N.ffn_norm (gpt-oss, GLM-4.5, Qwen3-Next: post_attention_norm)
  bool post_attention_norm = false;  // blk.N.post_attention_norm
  bool post_ffw_norm = false;        // blk.N.post_ffw_norm (Gemma 3/4)
  bool attn_out_bias = false;        // blk.N.attn_output.bias (gpt-oss)
  bool fused_qkv = false;            // attn_qkv instead of attn_q/k/v (Phi-3/4)
  bool fused_gate_up = false;        // ffn_up holds gate and up (Phi-3/4)
  bool qk_norm = false;              // q/k norms whatever the catalog says
  bool qk_norm_all_heads = false;    // q/k norms over all heads, not one head (MiniMax-M2)
  bool exp_probs_bias = false;       // blk.N.exp_probs_b.bias, the router's score correction
  bool shexp_gate = false;           // blk.N.ffn_gate_inp_shexp (Qwen3-Next/3.5)
  bool gdn_split_ba = false;         // ssm_beta + ssm_alpha instead of ssm_ba (Qwen3.5)
  bool mixer_only = false;           // a block is a mixer or an MLP, with attn_norm only (Nemotron-H)
  bool gemma4_moe = false;           // Gemma 4: router scale, expert scales, three more norms
  bool rope_freqs = false;           // one rope_freqs.weight for the full layers (Gemma 4)
};

Layout layout_of(const std::string& arch) {
  Layout l;
  if (arch == "gemma3" || arch == "gemma4") l.post_attention_norm = l.post_ffw_norm = l.qk_norm = true;
  if (arch == "gemma4") l.gemma4_moe = l.rope_freqs = true;
  if (arch == "gpt-oss") l.ffn_norm = false, l.post_attention_norm = l.attn_out_bias = true;
  if (arch == "glm4moe") l.ffn_norm = false, l.post_attention_norm = l.exp_probs_bias = true;
  if (arch == "phi3") l.fused_qkv = l.fused_gate_up = true;
  if (arch == "minimax-m2") l.qk_norm = l.qk_norm_all_heads = l.exp_probs_bias = true;
  if (arch == "hunyuan-moe" || arch == "dots1") l.qk_norm = true;
  if (arch == "dots1" || arch == "deepseek2" || arch == "kimi-linear") l.exp_probs_bias = true;
  if (arch == "qwen3next" || arch == "qwen35moe" || arch == "qwen35") {
    l.ffn_norm = false, l.post_attention_norm = l.shexp_gate = true;
    l.gdn_split_ba = arch != "qwen3next";
  }
  if (arch == "nemotron_h") l.mixer_only = true, l.ffn_norm = false;
  return l;
}

void add_mla(Builder& b, const ModelArch& a, int il) {
  const int64_t E = a.n_embd;
  const auto& m = a.mla;
  const int64_t qk = m.qk_nope_head_dim + m.qk_rope_head_dim;
  if (m.q_lora_rank > 0) {
    b.add("attn_q_a.weight", il, E, m.q_lora_rank);
    b.add("attn_q_a_norm.weight", il, m.q_lora_rank);
    b.add("attn_q_b.weight", il, m.q_lora_rank, a.n_head * qk);
  } else {
    b.add("attn_q.weight", il, E, a.n_head * qk);
  }
  b.add("attn_kv_a_mqa.weight", il, E, m.kv_lora_rank + m.qk_rope_head_dim);
  b.add("attn_kv_a_norm.weight", il, m.kv_lora_rank);
  b.add("attn_k_b.weight", il, m.qk_nope_head_dim, m.kv_lora_rank, a.n_head);
  b.add("attn_v_b.weight", il, m.kv_lora_rank, m.v_head_dim, a.n_head);
  b.add("attn_output.weight", il, int64_t(a.n_head) * m.v_head_dim, E);
}

void add_attention(Builder& b, const ModelArch& a, const Layout& l, int il) {
  if (a.attention == AttentionKind::Mla) return add_mla(b, a, il);
  const int64_t E = a.n_embd;
  const int64_t hk = a.head_dim_k_for(il), hv = a.head_dim_v_for(il);
  const int64_t kv = a.n_head_kv_for(il);
  const int64_t q = a.n_head * hk * (a.attn_output_gate ? 2 : 1);
  if (l.fused_qkv) {
    b.add("attn_qkv.weight", il, E, q + kv * hk + kv * hv);
  } else {
    b.add("attn_q.weight", il, E, q);
    b.add("attn_k.weight", il, E, kv * hk);
    b.add("attn_v.weight", il, E, kv * hv);
  }
  b.add("attn_output.weight", il, a.n_head * hv, E);
  if (a.attention_bias) {
    b.add("attn_q.bias", il, a.n_head * hk);
    b.add("attn_k.bias", il, kv * hk);
    b.add("attn_v.bias", il, kv * hv);
  }
  if (l.attn_out_bias) b.add("attn_output.bias", il, E);
  if (a.qk_norm || l.qk_norm) {
    b.add("attn_q_norm.weight", il, l.qk_norm_all_heads ? a.n_head * hk : hk);
    b.add("attn_k_norm.weight", il, l.qk_norm_all_heads ? kv * hk : hk);
  }
  if (a.attention_sinks) b.add("attn_sinks.weight", il, a.n_head);
}

void add_recurrent(Builder& b, const ModelArch& a, const Layout& l, int il) {
  const auto& r = *a.recurrent;
  const int64_t E = a.n_embd;
  const int64_t d_inner = r.d_inner();
  switch (r.kind) {
    case RecurrentKind::Mamba2: {
      const int64_t conv_dim = d_inner + 2LL * r.n_group * r.d_state;
      b.add("ssm_in.weight", il, E, d_inner + conv_dim + r.n_head);
      b.add("ssm_conv1d.weight", il, r.d_conv, conv_dim);
      b.add("ssm_conv1d.bias", il, conv_dim);
      b.add("ssm_dt.bias", il, r.n_head);
      b.add("ssm_a", il, 1, r.n_head);
      b.add("ssm_d", il, 1, r.n_head);
      b.add("ssm_norm.weight", il, d_inner / std::max(1, r.n_group), r.n_group);
      b.add("ssm_out.weight", il, d_inner, E);
      break;
    }
    case RecurrentKind::GatedDeltaNet: {
      // The converter splits HF's in_proj_qkvz into the q/k/v projection and the output gate z.
      const int64_t key_dim = int64_t(r.n_group) * r.d_state;
      b.add("attn_qkv.weight", il, E, 2 * key_dim + d_inner);
      b.add("attn_gate.weight", il, E, d_inner);
      b.add("ssm_conv1d.weight", il, r.d_conv, 2 * key_dim + d_inner);
      b.add("ssm_dt.bias", il, r.n_head);
      b.add("ssm_a", il, r.n_head);
      if (l.gdn_split_ba) {
        b.add("ssm_beta.weight", il, E, r.n_head);
        b.add("ssm_alpha.weight", il, E, r.n_head);
      } else {
        b.add("ssm_ba.weight", il, E, 2LL * r.n_head);
      }
      b.add("ssm_norm.weight", il, r.head_dim);
      b.add("ssm_out.weight", il, d_inner, E);
      break;
    }
    case RecurrentKind::Kda: {
      // Kimi-Linear: the KDA projections carry attention names; the convolutions are 3-D.
      b.add("attn_q.weight", il, E, d_inner);
      b.add("attn_k.weight", il, E, d_inner);
      b.add("attn_v.weight", il, E, d_inner);
      for (const char* p : {"ssm_conv1d_q.weight", "ssm_conv1d_k.weight", "ssm_conv1d_v.weight"})
        b.add(p, il, r.d_conv, 1, d_inner);
      b.add("ssm_f_a.weight", il, E, r.head_dim);
      b.add("ssm_f_b.weight", il, r.head_dim, d_inner);
      b.add("ssm_beta.weight", il, E, r.n_head);
      b.add("ssm_a", il, 1, r.n_head);
      b.add("ssm_dt.bias", il, d_inner);
      b.add("ssm_g_a.weight", il, E, r.head_dim);
      b.add("ssm_g_b.weight", il, r.head_dim, d_inner);
      b.add("ssm_norm.weight", il, r.head_dim);
      b.add("attn_output.weight", il, d_inner, E);
      break;
    }
  }
}

void add_dense_ffn(Builder& b, const ModelArch& a, const Layout& l, int il, int64_t ff) {
  if (l.fused_gate_up) {
    b.add("ffn_up.weight", il, a.n_embd, 2 * ff);
  } else {
    if (a.ffn_gated) b.add("ffn_gate.weight", il, a.n_embd, ff);
    b.add("ffn_up.weight", il, a.n_embd, ff);
  }
  b.add("ffn_down.weight", il, ff, a.n_embd);
}

void add_ffn(Builder& b, const ModelArch& a, const Layout& l, int il) {
  const int64_t E = a.n_embd;
  if (l.ffn_norm) b.add("ffn_norm.weight", il, E);
  if (!a.is_moe_layer(il)) {
    const int64_t ff = (a.moe.n_expert > 0 && a.moe.dense_ff > 0) ? a.moe.dense_ff : a.n_ff;
    add_dense_ffn(b, a, l, il, ff);
    return;
  }
  const auto& m = a.moe;
  if (m.dense_ff_beside_moe) add_dense_ffn(b, a, l, il, m.dense_ff);
  if (l.post_ffw_norm) b.add("post_ffw_norm.weight", il, E);
  b.add("ffn_gate_inp.weight", il, E, m.n_expert);
  if (l.gemma4_moe) {
    b.add("ffn_gate_inp.scale", il, E);
    b.add("pre_ffw_norm_2.weight", il, E);
    b.add("post_ffw_norm_1.weight", il, E);
    b.add("post_ffw_norm_2.weight", il, E);
    b.add("ffn_down_exps.scale", il, m.n_expert);
  }
  if (l.exp_probs_bias) b.add("exp_probs_b.bias", il, m.n_expert);
  b.add("ffn_gate_exps.weight", il, E, m.expert_ff, m.n_expert);
  b.add("ffn_up_exps.weight", il, E, m.expert_ff, m.n_expert);
  b.add("ffn_down_exps.weight", il, m.expert_ff, E, m.n_expert);
  if (m.expert_bias) {
    b.add("ffn_gate_inp.bias", il, m.n_expert);
    b.add("ffn_gate_exps.bias", il, m.expert_ff, m.n_expert);
    b.add("ffn_up_exps.bias", il, m.expert_ff, m.n_expert);
    b.add("ffn_down_exps.bias", il, E, m.n_expert);
  }
  if (m.n_expert_shared > 0 && m.shared_ff > 0) {
    if (l.shexp_gate) b.add("ffn_gate_inp_shexp.weight", il, E);
    b.add("ffn_gate_shexp.weight", il, E, m.shared_ff);
    b.add("ffn_up_shexp.weight", il, E, m.shared_ff);
    b.add("ffn_down_shexp.weight", il, m.shared_ff, E);
  }
}

}  // namespace

uint32_t tensor_role(std::string_view n) {
  auto has = [&](const char* sub) { return n.find(sub) != std::string_view::npos; };
  // llama_model_quantize_impl's quantize flag, by name.
  bool q = n.size() >= 6 && n.substr(n.size() - 6) == "weight";
  q = q && !has("_norm.weight") && !has("ffn_gate_inp.weight") && !has("ssm_conv1d");
  q = q && !has("shortconv.conv.weight") && !has("pos_embd") && !has("token_types") && !has("attn_rel_b.weight");
  q = q && !has("altup") && !has("laurel") && !has("per_layer_model_proj");
  uint32_t r = q ? uint32_t(kRoleQuantizable) : 0u;
  if (n == "output.weight") r |= kRoleOutput;
  if (n == "token_embd.weight") r |= kRoleTokenEmbd;
  if (has("attn_v.weight")) r |= kRoleAttnV;
  if (has("attn_k.weight")) r |= kRoleAttnK;
  if (has("attn_q.weight")) r |= kRoleAttnQ;
  if (has("attn_output.weight")) r |= kRoleAttnOutput;
  if (has("attn_qkv.weight")) r |= kRoleAttnQkv;
  if (has("attn_kv_b.weight")) r |= kRoleAttnKvB;
  if (has("ffn_down")) r |= kRoleFfnDown;
  if (has("ffn_gate")) r |= kRoleFfnGate;
  if (has("ffn_up")) r |= kRoleFfnUp;
  if (has("_exps")) r |= kRoleExperts;
  return r;
}

std::vector<TensorSpec> build_tensors(const ModelArch& a, bool names) {
  std::vector<TensorSpec> out;
  Builder b{out, names};
  const Layout l = layout_of(a.arch);
  b.add("token_embd.weight", -1, a.n_embd, a.n_vocab);
  for (int il = 0; il < a.n_layer; ++il) {
    b.add("attn_norm.weight", il, a.n_embd);
    const LayerKind kind = a.layer_kind(il);
    switch (kind) {
      case LayerKind::Full:
      case LayerKind::Sliding: add_attention(b, a, l, il); break;
      case LayerKind::Recurrent:
        if (a.recurrent) add_recurrent(b, a, l, il);
        break;
      case LayerKind::None: break;
    }
    if (l.post_attention_norm) b.add("post_attention_norm.weight", il, a.n_embd);
    if (a.has_ffn(il)) add_ffn(b, a, l, il);
    if (l.post_ffw_norm && !a.is_moe_layer(il)) b.add("post_ffw_norm.weight", il, a.n_embd);
  }
  // MTP/NextN blocks: a full-attention layer with the trunk's FFN and the block's own
  // projection and norms (glm4-moe.cpp, qwen3next.cpp, qwen35moe.cpp load_block_mtp).
  for (int il = a.n_layer; il < a.n_layer + a.n_nextn; ++il) {
    const size_t first = out.size();
    b.add("attn_norm.weight", il, a.n_embd);
    ModelArch full = a;
    full.pattern = "A";
    add_attention(b, full, l, il);
    if (l.post_attention_norm) b.add("post_attention_norm.weight", il, a.n_embd);
    add_ffn(b, a, l, il);
    b.add("nextn.eh_proj.weight", il, 2 * a.n_embd, a.n_embd);
    b.add("nextn.enorm.weight", il, a.n_embd);
    b.add("nextn.hnorm.weight", il, a.n_embd);
    b.add("nextn.shared_head_norm.weight", il, a.n_embd);
    for (size_t i = first; i < out.size(); ++i) out[i].role |= kRoleNextn;
  }
  if (l.rope_freqs) {
    for (int il = 0; il < a.n_layer; ++il)
      if (a.layer_kind(il) == LayerKind::Full) {
        b.add("rope_freqs.weight", -1, a.head_dim_k_for(il) / 2);
        break;
      }
  }
  b.add("output_norm.weight", -1, a.n_embd);
  if (!a.tied_embeddings) b.add("output.weight", -1, a.n_embd, a.n_vocab);
  return out;
}

std::vector<std::string> check_arch(const ModelArch& a) {
  std::vector<std::string> p;
  if (a.n_layer <= 0) p.push_back("n_layers must be positive");
  if (a.n_embd <= 0) p.push_back("hidden_size must be positive");
  if (a.n_vocab <= 0) p.push_back("vocab_size must be positive");
  if (a.n_head <= 0) p.push_back("n_heads must be positive");
  if (a.attention == AttentionKind::Standard) {
    if (a.n_head_kv <= 0) p.push_back("n_kv_heads must be positive");
    else if (a.n_head % a.n_head_kv != 0) p.push_back("n_heads must be a multiple of n_kv_heads");
    if (a.head_dim <= 0) p.push_back("head_dim must be positive");
  } else {
    if (a.mla.kv_lora_rank <= 0) p.push_back("attention.kv_lora_rank must be positive for MLA");
    if (a.mla.qk_rope_head_dim <= 0) p.push_back("attention.qk_rope_head_dim must be positive");
    if (a.mla.v_head_dim <= 0) p.push_back("attention.v_head_dim must be positive");
  }
  for (char c : a.pattern) {
    if (c != 'A' && c != 'S' && c != 'R' && c != 'F') {
      p.push_back(std::string("attention.pattern has '") + c + "'; use A, S, R or F");
      break;
    }
  }
  if (a.pattern.empty()) p.push_back("attention.pattern must not be empty");
  if (a.pattern.find('S') != std::string::npos && a.sliding_window <= 0)
    p.push_back("attention.sliding_window must be positive when the pattern has S layers");
  if (a.pattern.find('R') != std::string::npos && !a.recurrent)
    p.push_back("attention.recurrent is required when the pattern has R layers");
  if (a.recurrent) {
    const auto& r = *a.recurrent;
    if (r.d_conv < 1 || r.n_head <= 0 || r.head_dim <= 0)
      p.push_back("attention.recurrent needs positive d_conv, n_head and head_dim");
    if (r.kind != RecurrentKind::Kda && (r.n_group <= 0 || r.d_state <= 0))
      p.push_back("attention.recurrent needs positive n_group and d_state");
  }
  bool any_ffn = false;
  for (int il = 0; il < a.n_layer && !any_ffn; ++il) any_ffn = a.has_ffn(il);
  if (any_ffn) {
    if (a.moe.n_expert > 0) {
      if (a.moe.n_expert_used <= 0 || a.moe.n_expert_used > a.moe.n_expert)
        p.push_back("moe.n_expert_used must be between 1 and moe.n_expert");
      if (a.moe.expert_ff <= 0) p.push_back("moe.expert_ff must be positive");
      if ((a.moe.n_dense_layers > 0 || a.moe.interleave > 1 || a.moe.dense_ff_beside_moe) && a.moe.dense_ff <= 0 &&
          a.n_ff <= 0)
        p.push_back("moe.dense_ff must be positive when some layers are dense");
    } else if (a.n_ff <= 0) {
      p.push_back("intermediate_size must be positive for a dense model");
    }
  }
  return p;
}

}  // namespace haloplan
