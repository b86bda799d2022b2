// Weights (sum of row sizes), KV cache and recurrent state as llama.cpp allocates them, and the
// compute/output buffer estimates. References are to the shared llama-cpp-memory notes.
#include "haloplan/planner/memory.h"

#include <algorithm>
#include <array>
#include <cmath>

#include "haloplan/text/strings.h"

namespace haloplan {

const std::vector<GgmlType>& kv_cache_types() {
  static const std::vector<GgmlType> types = {GgmlType::F16,  GgmlType::BF16,   GgmlType::Q8_0,
                                              GgmlType::Q5_1, GgmlType::Q5_0,   GgmlType::Q4_1,
                                              GgmlType::Q4_0, GgmlType::IQ4_NL, GgmlType::F32};
  return types;
}

std::optional<GgmlType> kv_cache_type(std::string_view name) {
  const auto t = type_from_name(name);
  if (!t) return std::nullopt;
  const auto& ok = kv_cache_types();
  if (std::find(ok.begin(), ok.end(), *t) == ok.end()) return std::nullopt;
  return t;
}

std::string kv_cache_type_name(GgmlType t) { return lower(type_name(t)); }

WeightBreakdown weight_breakdown(const ModelArch& arch, FType ftype) {
  return weight_breakdown(arch, build_tensors(arch), ftype);
}

WeightBreakdown weight_breakdown(const ModelArch& arch, const std::vector<TensorSpec>& tensors, FType ftype) {
  const auto q = quantize(arch, tensors, ftype);
  WeightBreakdown w;
  w.n_expert = arch.moe.n_expert;
  w.n_expert_used = arch.moe.n_expert_used;
  uint64_t embd_row = 0;
  for (const auto& qt : q) {
    const auto& t = *qt.spec;
    if (t.role & kRoleNextn) {
      w.nextn_bytes += qt.bytes;
      continue;
    }
    const uint64_t n = uint64_t(t.elements());
    w.total_bytes += qt.bytes;
    w.total_params += n;
    w.bytes_by_type[size_t(static_cast<int>(qt.type)) % w.bytes_by_type.size()] += qt.bytes;
    if (t.role & kRoleTokenEmbd) {
      w.token_embd_bytes = qt.bytes;
      embd_row = qt.bytes / uint64_t(std::max<int64_t>(1, t.ne[1]));
      if (arch.tied_embeddings) w.output_bytes = w.output_copy_bytes = qt.bytes;
    } else if (t.role & kRoleOutput) {
      w.output_bytes = qt.bytes;
    } else if (t.layer >= 0 && (t.role & kRoleExperts)) {
      w.routed_expert_bytes += qt.bytes;
      w.routed_expert_params += n;
    } else {
      w.dense_layer_bytes += qt.bytes;  // includes output_norm (tiny)
    }
  }
  const double frac = w.n_expert > 0 ? double(w.n_expert_used) / double(w.n_expert) : 1.0;
  const uint64_t embd_params = uint64_t(arch.n_embd) * uint64_t(arch.n_vocab);
  w.active_params =
      w.total_params - w.routed_expert_params + uint64_t(std::llround(double(w.routed_expert_params) * frac));
  if (!arch.tied_embeddings) w.active_params -= embd_params;  // only one row of the embedding
  // Bytes read per generated token: every non-expert layer tensor, the routed experts actually
  // used, the whole output head, and one embedding row.
  w.decode_read_bytes =
      w.dense_layer_bytes + uint64_t(std::llround(double(w.routed_expert_bytes) * frac)) + w.output_bytes + embd_row;
  return w;
}

WeightBreakdown experts_take_rest(const WeightBreakdown& w, uint64_t file_bytes) {
  const uint64_t rest = w.total_bytes - w.routed_expert_bytes;
  if (w.routed_expert_bytes == 0 || file_bytes <= rest) return scale_to_file_size(w, file_bytes);
  const double f = double(file_bytes - rest) / double(w.routed_expert_bytes);
  const double frac = w.n_expert > 0 ? double(w.n_expert_used) / double(w.n_expert) : 1.0;
  WeightBreakdown r = w;
  r.total_bytes = file_bytes;
  r.routed_expert_bytes = file_bytes - rest;
  r.decode_read_bytes =
      uint64_t(std::llround(double(w.decode_read_bytes) - double(w.routed_expert_bytes) * frac * (1.0 - f)));
  // bytes_by_type keeps the preset's split scaled to the file: which type the experts are in is
  // not known here.
  const double g = double(file_bytes) / double(w.total_bytes);
  for (auto& v : r.bytes_by_type) v = uint64_t(std::llround(double(v) * g));
  return r;
}

WeightBreakdown scale_to_file_size(const WeightBreakdown& w, uint64_t file_bytes) {
  if (w.total_bytes == 0) return w;
  const double f = double(file_bytes) / double(w.total_bytes);
  auto s = [f](uint64_t x) { return uint64_t(std::llround(double(x) * f)); };
  WeightBreakdown r = w;
  r.total_bytes = file_bytes;
  r.token_embd_bytes = s(w.token_embd_bytes);
  r.output_bytes = s(w.output_bytes);
  r.output_copy_bytes = s(w.output_copy_bytes);
  r.routed_expert_bytes = s(w.routed_expert_bytes);
  r.dense_layer_bytes = s(w.dense_layer_bytes);
  r.decode_read_bytes = s(w.decode_read_bytes);
  for (auto& v : r.bytes_by_type) v = s(v);
  return r;
}

int64_t pad_to(int64_t x, int64_t n) { return (x + n - 1) / n * n; }

namespace {

struct LayerRows {
  uint64_t k = 0, v = 0;
};

// Bytes of one cache cell of layer il (llama-hparams n_embd_k_gqa / n_embd_v_gqa).
LayerRows layer_rows(const ModelArch& a, const ContextParams& cp, int il, int64_t v_width_pad) {
  LayerRows r;
  if (a.attention == AttentionKind::Mla && a.layer_kind(il) == LayerKind::Full) {
    // MLA caches the compressed latent plus the RoPE part as one KV head (section 2.4).
    r.k = row_bytes(cp.type_k, a.mla.kv_lora_rank + a.mla.qk_rope_head_dim);
    r.v = cp.mla_vless ? 0 : row_bytes(cp.type_v, v_width_pad > 0 ? v_width_pad : a.mla.kv_lora_rank);
    return r;
  }
  const int64_t kw = int64_t(a.n_head_kv_for(il)) * a.head_dim_k_for(il);
  const int64_t vw = int64_t(a.n_head_kv_for(il)) * a.head_dim_v_for(il);
  r.k = row_bytes(cp.type_k, kw);
  r.v = row_bytes(cp.type_v, v_width_pad > 0 ? v_width_pad : vw);
  return r;
}

int64_t v_width(const ModelArch& a, int il) {
  if (a.attention == AttentionKind::Mla && a.layer_kind(il) == LayerKind::Full) return a.mla.kv_lora_rank;
  return int64_t(a.n_head_kv_for(il)) * a.head_dim_v_for(il);
}

bool has_kv(const ModelArch& a, int il) {
  const auto k = a.layer_kind(il);
  return k == LayerKind::Full || k == LayerKind::Sliding;
}

// Every per-layer cache term depends on the layer's kind alone, so the loops run over kinds:
// how many layers of each, and the first (the representative, and the one an error names).
struct KindLayers {
  LayerKind kind;
  int n = 0, first = -1;
};
struct LayerKinds {
  std::array<KindLayers, 4> k{};  // the kinds present, in order of their first layer
  int size = 0;
  const KindLayers* begin() const { return k.data(); }
  const KindLayers* end() const { return k.data() + size; }
};

LayerKinds layer_kinds(const ModelArch& a) {
  LayerKinds out;
  auto add = [&](LayerKind kind, int n, int first) {
    if (n <= 0) return;
    for (int i = 0; i < out.size; ++i)
      if (out.k[size_t(i)].kind == kind) {
        out.k[size_t(i)].n += n;
        return;
      }
    if (out.size < int(out.k.size())) out.k[size_t(out.size++)] = {kind, n, first};
  };
  const int p = int(a.pattern.size());
  if (p == 0) {
    add(LayerKind::Full, a.n_layer, 0);
    return out;
  }
  for (int j = 0; j < p && j < a.n_layer; ++j)  // layer il has pattern[il % p]
    add(static_cast<LayerKind>(a.pattern[size_t(j)]), a.n_layer / p + (j < a.n_layer % p ? 1 : 0), j);
  return out;
}

}  // namespace

KvBreakdown kv_cache(const ModelArch& a, const ContextParams& cp) {
  KvBreakdown kv;
  const int n_seq = std::max(1, cp.n_seq);
  // llama-context.cpp: n_ctx padded to 256; per-stream size when the cache is not unified.
  int64_t n_ctx = pad_to(std::max<int64_t>(1, cp.n_ctx), 256);
  if (cp.kv_unified) {
    kv.n_ctx_seq = n_ctx;
    kv.n_stream = 1;
  } else {
    kv.n_ctx_seq = pad_to(n_ctx / n_seq, 256);
    n_ctx = kv.n_ctx_seq * n_seq;
    kv.n_stream = n_seq;
  }
  kv.n_ctx = n_ctx;
  const int64_t n_ubatch = std::min<int64_t>(cp.n_ubatch, std::min<int64_t>(cp.n_batch, n_ctx));
  // llama-kv-cache-iswa.cpp: the SWA cache holds the window (per sequence when unified) plus a ubatch.
  int64_t swa =
      pad_to(std::min<int64_t>(kv.n_ctx_seq, int64_t(a.sliding_window) * (cp.kv_unified ? n_seq : 1) + n_ubatch), 256);
  if (cp.swa_full) swa = kv.n_ctx_seq;
  kv.swa_cells = swa;

  const LayerKinds kinds = layer_kinds(a);
  // Without flash attention V is stored transposed and padded to the widest layer.
  int64_t v_pad = 0;
  if (!cp.flash_attn) {
    int64_t vmin = INT64_MAX, vmax = 0;
    for (const auto& k : kinds) {
      if (!has_kv(a, k.first)) continue;
      vmin = std::min(vmin, v_width(a, k.first));
      vmax = std::max(vmax, v_width(a, k.first));
    }
    if (vmax > 0 && vmin != vmax) v_pad = vmax;
  }
  for (const auto& k : kinds) {
    const int il = k.first;
    const uint64_t n = uint64_t(k.n);
    if (k.kind == LayerKind::Recurrent && a.recurrent) {
      kv.n_recurrent_layers += k.n;
      // llama-memory-recurrent.cpp: r and s are F32, one cell per sequence, independent of n_ctx.
      // Rollback snapshots are more rows of the same tensors.
      const uint64_t rows =
          uint64_t(n_seq) * (1u + (supports_rs_rollback(a) ? uint64_t(std::max(0, cp.n_rs_seq)) : 0u));
      kv.state_bytes += n * uint64_t(recurrent_r_elems(*a.recurrent) + recurrent_s_elems(*a.recurrent)) * 4u * rows;
      continue;
    }
    if (!has_kv(a, il)) continue;
    if (!row_divisible(cp.type_k, k.kind == LayerKind::Full && a.attention == AttentionKind::Mla
                                      ? a.mla.kv_lora_rank + a.mla.qk_rope_head_dim
                                      : int64_t(a.n_head_kv_for(il)) * a.head_dim_k_for(il))) {
      kv.error = std::string("K cache type ") + type_name(cp.type_k) + " does not divide the key width of layer " +
                 std::to_string(il);
      return kv;
    }
    const auto rows = layer_rows(a, cp, il, v_pad);
    if (k.kind == LayerKind::Sliding) {
      kv.n_swa_layers += k.n;
      kv.swa_bytes += n * (rows.k + rows.v) * uint64_t(swa) * uint64_t(kv.n_stream);
    } else {
      kv.n_full_layers += k.n;
      kv.k_row_bytes_full += n * rows.k;
      kv.v_row_bytes_full += n * rows.v;
      kv.full_bytes += n * (rows.k + rows.v) * uint64_t(kv.n_ctx_seq) * uint64_t(kv.n_stream);
    }
  }
  // llama-context.cpp llama_init_from_model (release of bench/oracle/VERSION): both refusals hold
  // for every architecture, MLA included, whether or not its cache stores V.
  if (!cp.flash_attn && traits(cp.type_v).quantized)
    kv.error = "a quantized V cache requires flash attention (llama.cpp refuses to start)";
  else if (a.attention == AttentionKind::Mla && cp.type_k != cp.type_v)
    kv.error = "MLA models take one type for the K and V caches (llama.cpp refuses different ones)";
  return kv;
}

bool supports_rs_rollback(const ModelArch& a) {
  static const char* const kArchs[] = {"qwen35", "qwen35moe", "nemotron_h", "nemotron_h_moe", "lfm2", "lfm2moe"};
  return std::any_of(std::begin(kArchs), std::end(kArchs), [&](const char* x) { return a.arch == x; });
}

KvBreakdown mtp_kv_cache(const ModelArch& a, const ContextParams& cp) {
  if (a.n_nextn <= 0) return {};
  ModelArch m = a;  // the NextN layers as a model of their own: full attention, nothing else
  m.n_layer = a.n_nextn;
  m.n_nextn = 0;
  m.pattern = "A";
  m.recurrent.reset();
  m.sliding_window = 0;
  ContextParams c = cp;
  c.n_rs_seq = 0;
  return kv_cache(m, c);
}

uint64_t kv_read_bytes(const ModelArch& a, const ContextParams& cp, int64_t depth) {
  ContextParams one = cp;
  one.n_seq = 1;
  const int64_t cells = std::max<int64_t>(256, pad_to(std::max<int64_t>(1, depth), 256));
  uint64_t bytes = 0;
  const int64_t window = std::min<int64_t>(cells, pad_to(std::max(1, a.sliding_window), 256));
  for (const auto& k : layer_kinds(a)) {
    const uint64_t n = uint64_t(k.n);
    if (k.kind == LayerKind::Recurrent && a.recurrent) {
      // the state is read and written once per token
      bytes += n * 2u * uint64_t(recurrent_r_elems(*a.recurrent) + recurrent_s_elems(*a.recurrent)) * 4u;
      continue;
    }
    if (!has_kv(a, k.first)) continue;
    const auto rows = layer_rows(a, one, k.first, 0);
    // MLA reads the latent once for K and V (V is a view of it).
    const uint64_t per_cell = rows.k + rows.v;
    bytes += n * per_cell * uint64_t(k.kind == LayerKind::Sliding ? window : cells);
  }
  return bytes;
}

BufferEstimate buffers(const ModelArch& a, const ContextParams& cp, const KvBreakdown& kv) {
  // Closed-form peak of the pp reserve graph (llama-cpp-memory.md section 3.2): the largest of the
  // output, attention and FFN phases, plus the scheduler's few MiB. An estimate, labelled as such.
  BufferEstimate b;
  const uint64_t ub = uint64_t(std::min<int64_t>(cp.n_ubatch, kv.n_ctx));
  const uint64_t E = uint64_t(a.n_embd), V = uint64_t(a.n_vocab), H = uint64_t(a.n_head);
  // The KQ mask covers one stream's cells for every token of the ubatch (each stream's tokens see
  // their own stream): per-stream cells, not all streams'.
  const uint64_t n_kv = uint64_t(kv.n_full_layers > 0 ? kv.n_ctx_seq : kv.swa_cells);
  const uint64_t hd =
      uint64_t(a.attention == AttentionKind::Mla ? a.mla.kv_lora_rank + a.mla.qk_rope_head_dim : a.head_dim);
  const uint64_t hkv = uint64_t(a.attention == AttentionKind::Mla ? 1 : std::max(1, a.n_head_kv));

  const uint64_t output = 4 * V * ub + 4 * E * ub * 2;
  const uint64_t proj = 4 * ub * (2 * E + H * hd + 2 * hkv * hd);
  // With flash attention llama-graph.cpp builds the mask in F32 and casts it to F16: both live
  // in the compute buffer.
  uint64_t attn = proj + (cp.flash_attn ? (4 + 2) * n_kv * ub : 4 * n_kv * ub * H + 4 * n_kv * ub);
  if (kv.n_full_layers == 0 && kv.n_swa_layers == 0) attn = 0;
  uint64_t ffn = 0;
  if (a.moe.n_expert > 0)
    ffn = 4 * ub * (E + uint64_t(a.moe.n_expert) + uint64_t(a.moe.n_expert_used) * (2 * uint64_t(a.moe.expert_ff) + E));
  const uint64_t dense_ff = uint64_t(std::max<int64_t>(a.n_ff, a.moe.dense_ff));
  ffn = std::max(ffn, 4 * ub * (E + 2 * dense_ff));
  const uint64_t sched = 4ull << 20;
  b.compute_bytes = std::max({output, attn, ffn}) + sched;
  b.dominant_phase = output >= attn && output >= ffn ? "output logits" : (attn >= ffn ? "attention" : "FFN");
  // Host side holds the graph inputs: token ids, positions, the KQ mask and the embeddings of a ubatch.
  b.host_compute_bytes = 4 * E * ub + 4 * n_kv * ub + sched;
  // llama-context.cpp output_reserve: logits for max(n_outputs, n_seq_max) rows at start-up.
  b.output_bytes = 4 * V * uint64_t(std::max(1, cp.n_seq));
  // tools/server/server-context.cpp: a checkpoint is llama_state_seq_get_size_ext(...,
  // LLAMA_STATE_SEQ_FLAGS_PARTIAL_ONLY) of one slot, made when the memory cannot roll back.
  const int n_seq = std::max(1, cp.n_seq);
  if (cp.ctx_checkpoints > 0 && (kv.n_recurrent_layers > 0 || (kv.n_swa_layers > 0 && !cp.swa_full))) {
    // One sequence's state, without the rollback snapshots (a checkpoint saves the live cell).
    const uint64_t snapshots = 1u + (supports_rs_rollback(a) ? uint64_t(std::max(0, cp.n_rs_seq)) : 0u);
    uint64_t one = kv.state_bytes / uint64_t(n_seq) / snapshots;
    if (kv.n_swa_layers > 0 && kv.swa_cells > 0) {
      const uint64_t row = kv.swa_bytes / (uint64_t(kv.swa_cells) * uint64_t(std::max(1, kv.n_stream)));
      one += row * uint64_t(std::min<int64_t>(kv.n_ctx_seq, int64_t(a.sliding_window) + cp.n_ubatch));
    }
    b.checkpoint_bytes = one * uint64_t(cp.ctx_checkpoints) * uint64_t(n_seq);
  }
  if (cp.cache_ram_mib > 0) b.prompt_cache_bytes = uint64_t(cp.cache_ram_mib) << 20;
  return b;
}

}  // namespace haloplan
