// Layer: planner. Memory terms of one model at one context: weights, KV cache, recurrent state,
// buffers.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "haloplan/planner/ggml_types.h"
#include "haloplan/planner/model.h"
#include "haloplan/planner/quant.h"

namespace haloplan {

struct WeightBreakdown {
  uint64_t total_bytes = 0;
  uint64_t total_params = 0;
  uint64_t token_embd_bytes = 0;  // llama.cpp keeps token_embd in host memory
  uint64_t output_bytes = 0;      // the output head (token_embd when tied)
  // Tied embeddings: llama.cpp loads token_embd a second time, into the output layer's buffer on
  // the GPU, as the output head (llama-model-loader.cpp create_tensor, TENSOR_DUPLICATED with
  // another buffer type than the input layer's CPU one). 0 for untied models.
  uint64_t output_copy_bytes = 0;
  // MTP/NextN blocks: in the file but not loaded (llama.cpp load_mtp is off by default); not in
  // total_bytes. file_bytes() is what the GGUF holds.
  uint64_t nextn_bytes = 0;
  uint64_t file_bytes() const { return total_bytes + nextn_bytes; }
  uint64_t routed_expert_bytes = 0;  // merged 3-D expert tensors
  uint64_t routed_expert_params = 0;
  uint64_t dense_layer_bytes = 0;  // everything else inside the layers
  uint64_t active_params = 0;      // parameters used per token (routed experts at k/n)
  uint64_t decode_read_bytes = 0;  // bytes read per generated token (see speed model)
  int n_expert = 0, n_expert_used = 0;
  std::array<uint64_t, 48> bytes_by_type{};  // indexed by ggml type id (a plain array: plans copy it)
  double bits_per_weight() const { return total_params ? 8.0 * double(total_bytes) / double(total_params) : 0.0; }
};

WeightBreakdown weight_breakdown(const ModelArch& arch, FType ftype);
// The same from a tensor list already built for the architecture (build_tensors).
WeightBreakdown weight_breakdown(const ModelArch& arch, const std::vector<TensorSpec>& tensors, FType ftype);
// Same layout, every byte term scaled so the total equals a known file size (custom quant mixes
// such as Unsloth "UD-Q4_K_XL", or a GGUF whose size is known but whose tensor list is not).
WeightBreakdown scale_to_file_size(const WeightBreakdown& w, uint64_t file_bytes);
// The same file size reached by resizing only the routed experts: for a file whose experts are
// stored in a different type than its label's (falls back to scale_to_file_size when the rest
// alone exceeds the file).
WeightBreakdown experts_take_rest(const WeightBreakdown& w, uint64_t file_bytes);

struct ContextParams {
  int64_t n_ctx = 4096;  // requested context (llama.cpp -c); padded to 256
  int n_seq = 1;         // parallel slots (-np)
  bool kv_unified = true;
  GgmlType type_k = GgmlType::F16;
  GgmlType type_v = GgmlType::F16;
  bool flash_attn = true;
  int n_ubatch = 512;
  int n_batch = 2048;
  bool swa_full = false;
  bool mla_vless = true;  // llama.cpp PR #19067 (2026-01): MLA caches K only
  // llama-server's host-side stores (common.h defaults): context checkpoints per slot for models
  // whose memory cannot roll back (recurrent or SWA layers), and the prompt cache cap in MiB
  // (-1: no limit, 0: off).
  int ctx_checkpoints = 32;
  int64_t cache_ram_mib = 8192;
  // Recurrent-state snapshots per sequence kept for rollback (llama_context_params.n_rs_seq):
  // llama-server asks for the MTP draft's n_max (3) when it self-speculates (common.cpp).
  int n_rs_seq = 0;
};

// Whether llama.cpp keeps n_rs_seq snapshots for this architecture (llama-arch.cpp
// llm_arch_supports_rs_rollback); it clamps the request to 0 for the others.
bool supports_rs_rollback(const ModelArch& arch);

// The K/V cache types llama.cpp accepts (-ctk / -ctv), in the pickers' order (f16 first), and a
// name of one of them ("q8_0", case-insensitive) read as its ggml type; nullopt for any other.
const std::vector<GgmlType>& kv_cache_types();
std::optional<GgmlType> kv_cache_type(std::string_view name);
std::string kv_cache_type_name(GgmlType t);  // "q8_0": the name llama.cpp's flags take

struct KvBreakdown {
  int64_t n_ctx = 0;      // after padding, all streams
  int64_t n_ctx_seq = 0;  // cells per stream
  int n_stream = 1;
  int64_t swa_cells = 0;  // cells per stream of the sliding-window cache
  int n_full_layers = 0, n_swa_layers = 0, n_recurrent_layers = 0;
  uint64_t full_bytes = 0;                              // full-attention (and MLA) layers
  uint64_t swa_bytes = 0;                               // sliding-window layers
  uint64_t state_bytes = 0;                             // recurrent state, F32, per sequence
  uint64_t k_row_bytes_full = 0, v_row_bytes_full = 0;  // one cell of all full layers
  uint64_t kv_bytes() const { return full_bytes + swa_bytes; }
  std::string error;  // non-empty if llama.cpp would refuse these settings
};

int64_t pad_to(int64_t x, int64_t n);
KvBreakdown kv_cache(const ModelArch& arch, const ContextParams& cp);
// The MTP context's cache (llama-model.cpp create_memory, ctx_type MTP): a plain attention cache
// of the n_nextn NextN layers alone, at cp's size and types.
KvBreakdown mtp_kv_cache(const ModelArch& arch, const ContextParams& cp);

// Bytes of KV cache and state read to generate one token with `depth` tokens already in the
// context (llama.cpp touches PAD(depth, 256) cells of each full layer, the window of SWA layers).
uint64_t kv_read_bytes(const ModelArch& arch, const ContextParams& cp, int64_t depth);

struct BufferEstimate {
  uint64_t compute_bytes = 0;       // device compute buffer (estimate)
  uint64_t host_compute_bytes = 0;  // host-side compute buffer (estimate)
  uint64_t output_bytes = 0;        // logits buffer, host (exact at start-up)
  // llama-server, host, upper bounds: every slot's context checkpoints full (each one is the
  // memory that cannot roll back: one sequence's recurrent state and its SWA cells), and the
  // prompt cache at its --cache-ram cap (0 when there is no limit: it then grows with use).
  uint64_t checkpoint_bytes = 0;
  uint64_t prompt_cache_bytes = 0;
  std::string dominant_phase;  // which graph phase sets the compute buffer
};

BufferEstimate buffers(const ModelArch& arch, const ContextParams& cp, const KvBreakdown& kv);

}  // namespace haloplan
