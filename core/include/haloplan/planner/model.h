// Layer: planner. Model architecture as the planner needs it, and the tensor list llama.cpp would hold for it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace haloplan {

// What a layer's sequence mixer is. One character per kind in a catalog pattern string.
enum class LayerKind : char {
  Full = 'A',       // attention over the whole context (GQA/MHA, or MLA when attention.kind is mla)
  Sliding = 'S',    // sliding-window (or chunked) attention: cache bounded by the window
  Recurrent = 'R',  // recurrent / linear-attention state (Mamba2, Gated DeltaNet, KDA)
  None = 'F',       // no mixer: an MLP-only block (Nemotron-H '-')
};

enum class AttentionKind { Standard, Mla };
enum class RecurrentKind { Mamba2, GatedDeltaNet, Kda };

struct MlaParams {
  int q_lora_rank = 0;  // 0: plain q projection
  int kv_lora_rank = 0;
  int qk_nope_head_dim = 0;
  int qk_rope_head_dim = 0;
  int v_head_dim = 0;
};

struct RecurrentParams {
  RecurrentKind kind = RecurrentKind::Mamba2;
  int d_conv = 4;
  int d_state = 0;   // Mamba2: ssm state; GDN: key head dim; KDA: head dim
  int n_group = 0;   // Mamba2: groups; GDN: key heads; KDA: heads
  int n_head = 0;    // Mamba2: heads; GDN: value heads; KDA: heads
  int head_dim = 0;  // Mamba2: head dim; GDN: value head dim; KDA: head dim
  int64_t d_inner() const { return int64_t(n_head) * head_dim; }
};

struct MoeParams {
  int n_expert = 0;  // 0: dense model
  int n_expert_used = 0;
  int n_expert_shared = 0;
  int64_t expert_ff = 0;
  int64_t shared_ff = 0;             // width of one shared expert block (total across shared experts)
  int n_dense_layers = 0;            // leading layers with a dense FFN
  int64_t dense_ff = 0;              // FFN width of those dense layers
  int interleave = 1;                // layer il (after the dense ones) is MoE iff (il+1) % interleave == 0
  bool dense_ff_beside_moe = false;  // Gemma-4: every MoE layer also has a dense MLP of width dense_ff
  bool expert_bias = false;          // gpt-oss: biases on expert projections
};

struct ModelArch {
  std::string arch;  // llama.cpp architecture name (general.architecture), e.g. "llama", "qwen3moe"
  int n_layer = 0;
  int64_t n_embd = 0;
  int n_head = 0;
  int n_head_kv = 0;
  int head_dim = 0;    // key head dim
  int head_dim_v = 0;  // value head dim (= head_dim unless given)
  int64_t n_ff = 0;    // dense FFN width (0 for pure MoE)
  int64_t n_vocab = 0;
  int64_t max_context = 0;
  bool tied_embeddings = false;
  bool attention_bias = false;    // q/k/v biases (Qwen2, gpt-oss)
  bool qk_norm = false;           // per-head q/k norms (Qwen3)
  bool attention_sinks = false;   // gpt-oss
  bool ffn_gated = true;          // gate+up+down (SwiGLU/GeGLU); false: up+down (Nemotron-H squared ReLU)
  bool attn_output_gate = false;  // Qwen3-Next/3.5: q projection also yields a gate (2x width)

  AttentionKind attention = AttentionKind::Standard;
  std::string pattern = "A";  // cycled over layers: A full, S sliding, R recurrent, F mlp-only
  int sliding_window = 0;
  int swa_n_head_kv = 0;  // 0: same as n_head_kv
  int swa_head_dim = 0;   // 0: same as head_dim
  MlaParams mla;
  std::optional<RecurrentParams> recurrent;
  MoeParams moe;
  // MTP/NextN blocks the file holds after the n_layer trunk layers (GLM-4.5, Qwen3-Next/3.5):
  // llama.cpp reads nextn_predict_layers and skips them at load unless asked (load_mtp).
  int n_nextn = 0;

  LayerKind layer_kind(int il) const;
  bool is_moe_layer(int il) const;
  bool has_ffn(int il) const;  // false for Nemotron-H mixer-only blocks
  int n_head_kv_for(int il) const;
  int head_dim_k_for(int il) const;
  int head_dim_v_for(int il) const;
  // llama.cpp's LLM_TYPE_70B, which bumps attn_v in several presets.
  bool is_type_70b() const;
  // Groups of query heads per KV head.
  int n_gqa() const { return n_head_kv > 0 ? n_head / n_head_kv : 0; }
  // Whether the file gives the KV heads per layer (head_count_kv as an array, 0 for a layer
  // without attention): the hybrids llama.cpp tells apart by it, and per-layer KV widths.
  bool kv_heads_per_layer() const;
  // What llama-quantize's rules call n_gqa: llama_hparams::n_gqa() of layer 0, which is 0 when
  // the file gives layer 0 no KV heads (a recurrent first layer of Nemotron-H, Granite-H,
  // Kimi-Linear), and n_head for MLA (whose files give one KV head).
  int n_gqa_first_layer() const;
};

// What llama.cpp's quantisation rules look for in a tensor's name (substring tests on names such
// as "blk.3.attn_v.weight"), decided once when the tensor list is built, not per preset.
enum TensorRole : uint32_t {
  kRoleQuantizable = 1u << 0,  // named like a weight llama-quantize may quantise (n_dims apart)
  kRoleOutput = 1u << 1,       // output.weight
  kRoleTokenEmbd = 1u << 2,    // token_embd.weight
  kRoleAttnV = 1u << 3,        // attn_v.weight
  kRoleAttnK = 1u << 4,        // attn_k.weight
  kRoleAttnQ = 1u << 5,        // attn_q.weight
  kRoleAttnOutput = 1u << 6,   // attn_output.weight
  kRoleAttnQkv = 1u << 7,      // attn_qkv.weight
  kRoleAttnKvB = 1u << 8,      // attn_kv_b.weight
  kRoleFfnDown = 1u << 9,      // ffn_down*
  kRoleFfnGate = 1u << 10,     // ffn_gate*
  kRoleFfnUp = 1u << 11,       // ffn_up*
  kRoleExperts = 1u << 12,     // merged routed experts (*_exps)
  kRoleNextn = 1u << 13,       // in an MTP/NextN block: in the file, not loaded by default
};
uint32_t tensor_role(std::string_view name);

struct TensorSpec {
  std::string name;  // GGUF tensor name, e.g. "blk.3.ffn_down_exps.weight"
  int64_t ne[3] = {1, 1, 1};
  int n_dims = 1;
  int layer = -1;     // -1 for non-layer tensors
  uint32_t role = 0;  // TensorRole bits of the name
  int64_t elements() const { return ne[0] * ne[1] * ne[2]; }
};

// The tensor list llama.cpp's converter writes for this architecture (text stack only).
// names=false leaves every TensorSpec::name empty (shapes, layers and roles only): what sizes
// need, without building tens of thousands of strings.
std::vector<TensorSpec> build_tensors(const ModelArch& a, bool names = true);

// Checks the architecture for consistency; returns human-readable problems (empty if fine).
std::vector<std::string> check_arch(const ModelArch& a);

// llama.cpp's per-layer state widths (llama-hparams.cpp n_embd_r / n_embd_s), in F32 elements.
int64_t recurrent_r_elems(const RecurrentParams& r);
int64_t recurrent_s_elems(const RecurrentParams& r);

}  // namespace haloplan
