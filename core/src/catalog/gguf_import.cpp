// A GGUF header as a catalog entry: the architecture numbers from its metadata, the layer kinds
// from the tensors each block holds, and the file's exact weight bytes. Each concern reads the
// header through one Meta and writes its part of the entry.
#include "haloplan/catalog/gguf_import.h"

#include <algorithm>
#include <map>

#include "haloplan/planner/quant.h"
#include "haloplan/text/strings.h"

namespace haloplan {

using nlohmann::json;

namespace {

// The header's metadata under its architecture's prefix, and its tensors by name.
struct Meta {
  const GgufHeader& h;
  std::string arch;
  std::map<std::string, const GgufTensor*> tensors;
  int n_layer = 0;

  Meta(const GgufHeader& header, std::string a) : h(header), arch(std::move(a)) {
    for (const auto& t : h.tensors) tensors[t.name] = &t;
  }
  std::string key(const std::string& k) const { return arch + "." + k; }
  std::optional<double> num(const std::string& k) const { return h.number(key(k)); }
  // A per-layer value: a scalar, or an array with one entry per layer.
  std::optional<double> per_layer(const std::string& k, int il) const {
    const GgufValue* v = h.find(key(k));
    if (!v) return std::nullopt;
    if (v->is_number()) return v->num;
    if (v->type == GgufType::Array && size_t(il) < v->nums.size()) return v->nums[size_t(il)];
    return std::nullopt;
  }
  std::optional<double> max_over_layers(const std::string& k) const {
    std::optional<double> best;
    for (int il = 0; il < n_layer; ++il)
      if (auto v = per_layer(k, il); v && (!best || *v > *best)) best = v;
    return best;
  }
  const GgufTensor* tensor(const std::string& name) const {
    auto it = tensors.find(name);
    return it == tensors.end() ? nullptr : it->second;
  }
  bool has(const std::string& name) const { return tensors.count(name) > 0; }
  bool layer_has(int il, const char* suffix) const { return has("blk." + std::to_string(il) + "." + suffix); }
  bool any_layer_has(const char* suffix) const {
    for (int il = 0; il < n_layer; ++il)
      if (layer_has(il, suffix)) return true;
    return false;
  }
  // The first dimension of a layer tensor, from the first layer that holds it; 0 if none does.
  double first_dim(const char* suffix) const {
    for (int il = 0; il < n_layer; ++il)
      if (const GgufTensor* t = tensor("blk." + std::to_string(il) + "." + suffix)) return double(t->ne[0]);
    return 0;
  }
};

// Sizes every model has: layers, width, heads, head sizes, vocabulary, context. "" or what is missing.
std::string read_dims(const Meta& x, const std::string& file_name, json& m) {
  const auto n_embd = x.num("embedding_length");
  if (!n_embd || *n_embd < 1) return x.key("embedding_length") + " is missing";
  const auto n_head = x.max_over_layers("attention.head_count");
  if (!n_head || *n_head < 1) return x.key("attention.head_count") + " is missing";
  const auto n_head_kv = x.max_over_layers("attention.head_count_kv").value_or(*n_head);
  const std::string name = x.h.string("general.name").value_or(gguf_file_stem(file_name));
  m["id"] = slug(gguf_file_stem(file_name), "gguf-model");
  m["name"] = name.substr(0, 200);
  m["arch"] = x.arch;
  m["n_layers"] = x.n_layer;
  m["hidden_size"] = int64_t(*n_embd);
  m["n_heads"] = int64_t(*n_head);
  m["n_kv_heads"] = int64_t(n_head_kv);
  const auto key_len = x.num("attention.key_length");
  const auto val_len = x.num("attention.value_length");
  m["head_dim"] = int64_t(key_len.value_or(*n_embd / *n_head));
  if (val_len && key_len && *val_len != *key_len) m["v_head_dim"] = int64_t(*val_len);
  if (auto ff = x.max_over_layers("feed_forward_length"); ff && *ff > 0) m["intermediate_size"] = int64_t(*ff);
  int64_t vocab = 0;
  if (auto v = x.num("vocab_size")) vocab = int64_t(*v);
  else if (const GgufValue* t = x.h.find("tokenizer.ggml.tokens"); t && t->type == GgufType::Array)
    vocab = int64_t(t->count);
  else if (const GgufTensor* te = x.tensor("token_embd.weight")) vocab = int64_t(te->ne[1]);
  if (vocab < 1) return "the vocabulary size is missing (no " + x.key("vocab_size") + ", tokenizer or token_embd)";
  m["vocab_size"] = vocab;
  m["max_context"] = int64_t(std::max(256.0, x.num("context_length").value_or(4096)));
  m["tied_embeddings"] = !x.has("output.weight");
  return "";
}

// Layer kinds from the tensors each block holds: 'A' attention, 'R' recurrent (SSM), 'F' MLP only.
struct LayerKinds {
  std::string pattern;
  bool any_recurrent = false, any_mlp_only = false;
};
LayerKinds layer_kinds(const Meta& x) {
  LayerKinds k;
  for (int il = 0; il < x.n_layer; ++il) {
    // A block with SSM tensors is recurrent even when it also holds attention-named projections:
    // Qwen3-Next/3.5 gated DeltaNet layers keep attn_qkv, Kimi-Linear's KDA layers attn_q/k/v.
    const bool ssm = x.layer_has(il, "ssm_in.weight") || x.layer_has(il, "ssm_conv1d.weight") ||
                     x.layer_has(il, "ssm_conv1d_q.weight") || x.layer_has(il, "ssm_a");
    const bool attn = !ssm && (x.layer_has(il, "attn_q.weight") || x.layer_has(il, "attn_qkv.weight") ||
                               x.layer_has(il, "attn_kv_a_mqa.weight") || x.layer_has(il, "attn_k.weight"));
    k.pattern += ssm ? 'R' : (attn ? 'A' : 'F');
    k.any_recurrent |= ssm;
    k.any_mlp_only |= !attn && !ssm;
  }
  return k;
}

// Sliding-window layers: the per-layer flags when the file has them, else llama.cpp's rule.
void mark_sliding_window(const Meta& x, std::string& pattern, json& att) {
  const auto window = x.num("attention.sliding_window");
  if (!window || *window <= 0) return;
  att["sliding_window"] = int64_t(*window);
  const GgufValue* swa = x.h.find(x.key("attention.sliding_window_pattern"));
  int period = 0;
  if (x.arch == "gemma2" || x.arch == "gpt-oss") period = 2;
  else if (x.arch == "gemma3") period = 6;
  else if (x.arch == "llama4" || x.arch == "cohere2") period = 4;
  for (int il = 0; il < x.n_layer; ++il) {
    if (pattern[size_t(il)] != 'A') continue;
    bool is_swa = false;
    if (swa && swa->type == GgufType::Array && size_t(il) < swa->nums.size()) is_swa = swa->nums[size_t(il)] != 0;
    else if (swa && swa->is_number() && swa->num > 1) is_swa = il % int(swa->num) < int(swa->num) - 1;
    else if (period > 0) is_swa = il % period < period - 1;
    if (is_swa) pattern[size_t(il)] = 'S';
  }
}

// Multi-head latent attention (DeepSeek-V2/V3, Kimi-K2): the latent's sizes replace the heads'.
void read_mla(const Meta& x, json& m, json& att) {
  const auto kv_lora = x.num("attention.kv_lora_rank");
  if (!kv_lora || *kv_lora <= 0) return;
  const auto key_len = x.num("attention.key_length"), val_len = x.num("attention.value_length");
  const double rope = x.num("rope.dimension_count").value_or(64);
  const double k_mla = x.num("attention.key_length_mla").value_or(key_len.value_or(rope + 128));
  const double v_mla = x.num("attention.value_length_mla").value_or(val_len.value_or(128));
  att["kind"] = "mla";
  att["q_lora_rank"] = int64_t(x.num("attention.q_lora_rank").value_or(0));
  att["kv_lora_rank"] = int64_t(*kv_lora);
  att["qk_rope_head_dim"] = int64_t(rope);
  att["qk_nope_head_dim"] = int64_t(k_mla - rope);
  att["v_head_dim"] = int64_t(v_mla);
  m["head_dim"] = int64_t(k_mla);
  m["n_kv_heads"] = m["n_heads"];  // the latent is shared; heads as the catalog counts them
  m.erase("v_head_dim");
}

bool gated_deltanet(const std::string& arch) { return arch == "qwen3next" || arch == "qwen35" || arch == "qwen35moe"; }

// Per-layer attention sizes (Gemma 4): the sliding layers' head size (key_length_swa) and KV
// heads (head_count_kv per layer) differ from the full layers'.
void read_swa_dims(const Meta& x, const std::string& pattern, json& m, json& att) {
  const auto k_swa = x.num("attention.key_length_swa");
  if (k_swa && *k_swa > 0 && int64_t(*k_swa) != m["head_dim"].get<int64_t>()) att["swa_head_dim"] = int64_t(*k_swa);
  std::optional<double> kv_full, kv_swa;
  for (int il = 0; il < x.n_layer; ++il) {
    const auto kv = x.per_layer("attention.head_count_kv", il);
    if (!kv || *kv <= 0) continue;
    auto& slot = pattern[size_t(il)] == 'S' ? kv_swa : kv_full;
    if (!slot) slot = kv;
  }
  if (kv_full) m["n_kv_heads"] = int64_t(*kv_full);
  if (kv_swa && kv_full && *kv_swa != *kv_full) att["swa_n_kv_heads"] = int64_t(*kv_swa);
}

// The recurrent layers' state sizes (Mamba-2, Gated DeltaNet, KDA). "" or what is missing.
std::string read_recurrent(const Meta& x, json& att) {
  if (x.arch == "kimi-linear") {  // KDA: one head size (kda.head_dim) for the attention heads
    const auto d_conv = x.num("ssm.conv_kernel"), head = x.num("kda.head_dim");
    const auto n_head = x.max_over_layers("attention.head_count");
    if (!d_conv || !head || !n_head) return "the KDA layers' sizes are incomplete (" + x.key("kda.head_dim") + ")";
    att["recurrent"] = {
        {"kind", "kda"}, {"d_conv", int64_t(*d_conv)}, {"n_head", int64_t(*n_head)}, {"head_dim", int64_t(*head)}};
    return "";
  }
  const auto d_conv = x.num("ssm.conv_kernel"), d_inner = x.num("ssm.inner_size"), d_state = x.num("ssm.state_size");
  const auto n_rh = x.num("ssm.time_step_rank"), n_group = x.num("ssm.group_count");
  if (!d_conv || !d_inner || !d_state || !n_rh || *n_rh < 1)
    return "the recurrent layers' sizes are incomplete (" + x.key("ssm.*") + ")";
  json rec;
  rec["kind"] = gated_deltanet(x.arch) ? "gated-deltanet" : "mamba2";
  rec["d_conv"] = int64_t(*d_conv);
  rec["n_head"] = int64_t(*n_rh);
  rec["head_dim"] = int64_t(*d_inner / *n_rh);
  rec["d_state"] = int64_t(*d_state);
  rec["n_group"] = int64_t(n_group.value_or(1));
  att["recurrent"] = rec;
  return "";
}

// Tensors that change the weight count: norms, biases, sinks, gates, an ungated MLP.
void read_flags(const Meta& x, json& m) {
  if (x.layer_has(0, "attn_q_norm.weight") || x.layer_has(x.n_layer - 1, "attn_q_norm.weight")) m["qk_norm"] = true;
  if (x.any_layer_has("attn_q.bias") || x.any_layer_has("attn_qkv.bias")) m["attention_bias"] = true;
  if (x.any_layer_has("attn_sinks.weight") || x.any_layer_has("attn_sinks")) m["attention_sinks"] = true;
  if (gated_deltanet(x.arch)) m["attn_output_gate"] = true;
  if (x.any_layer_has("ffn_up.weight") && !x.any_layer_has("ffn_gate.weight")) m["ffn_gated"] = false;
}

// Mixture of experts: counts, widths of routed and shared experts, leading dense layers. "" or
// what is missing.
std::string read_moe(const Meta& x, json& m) {
  const auto n_exp = x.num("expert_count");
  if (!n_exp || *n_exp <= 0) return "";
  json moe;
  moe["n_expert"] = int64_t(*n_exp);
  moe["n_expert_used"] = int64_t(x.num("expert_used_count").value_or(1));
  double eff = x.num("expert_feed_forward_length").value_or(0);
  if (eff <= 0) eff = x.first_dim("ffn_down_exps.weight");
  if (eff <= 0) return x.key("expert_feed_forward_length") + " is missing";
  moe["expert_ff"] = int64_t(eff);
  const double shexp_rows = x.first_dim("ffn_down_shexp.weight");
  if (auto sh = x.num("expert_shared_count"); sh && *sh > 0) {
    moe["n_expert_shared"] = int64_t(*sh);
    // The catalog counts the width of all shared experts together (the tensor's rows).
    double sff = x.num("expert_shared_feed_forward_length").value_or(0) * *sh;
    if (sff <= 0) sff = shexp_rows;
    moe["shared_ff"] = int64_t(sff > 0 ? sff : eff);
  } else if (shexp_rows > 0) {
    moe["n_expert_shared"] = 1;
    moe["shared_ff"] = int64_t(shexp_rows);
  }
  if (auto dense = x.num("leading_dense_block_count"); dense && *dense > 0) {
    moe["n_dense_layers"] = int64_t(*dense);
    if (auto ff = x.num("feed_forward_length")) moe["dense_ff"] = int64_t(*ff);
  }
  if (auto step = x.num("interleave_moe_layer_step"); step && *step > 1) moe["interleave"] = int64_t(*step);
  if (x.any_layer_has("ffn_up_exps.bias")) moe["expert_bias"] = true;
  // Gemma 4: every MoE layer also runs a dense MLP of feed_forward_length.
  for (int il = 0; il < x.n_layer; ++il)
    if (x.layer_has(il, "ffn_gate_inp.weight") && x.layer_has(il, "ffn_down.weight")) {
      moe["dense_ff_beside_moe"] = true;
      moe["dense_ff"] = int64_t(x.first_dim("ffn_down.weight"));
      break;
    }
  m["moe"] = moe;
  return "";
}

// The file's quant: general.file_type, or the type holding most bytes when it is absent.
std::optional<std::string> file_quant(const GgufHeader& h, std::string& why_not) {
  if (auto ft = h.number("general.file_type")) {
    for (const auto& p : all_presets())
      if (p.llama_ftype == int(*ft)) return p.name;
    why_not = "general.file_type " + std::to_string(int64_t(*ft)) + " is not a llama.cpp preset this version knows";
    return std::nullopt;
  }
  std::map<GgmlType, uint64_t> by_type;
  for (const auto& t : h.tensors) by_type[t.type] += t.bytes;
  GgmlType top = GgmlType::F16;
  uint64_t most = 0;
  for (const auto& [t, b] : by_type)
    if (b > most) most = b, top = t;
  for (const auto& p : all_presets())
    if (p.default_type == top) return p.name;
  return "F16";
}

}  // namespace

std::string gguf_file_stem(std::string f) {
  const auto slash = f.find_last_of("/\\");
  if (slash != std::string::npos) f = f.substr(slash + 1);
  if (f.size() > 5 && f.compare(f.size() - 5, 5, ".gguf") == 0) f.resize(f.size() - 5);
  const auto split = f.find("-00001-of-");
  if (split != std::string::npos) f.resize(split);
  return f;
}

std::optional<json> gguf_to_model(const GgufHeader& h, const std::string& file_name, std::string* error) {
  auto fail = [&](const std::string& msg) -> std::optional<json> {
    if (error) *error = msg;
    return std::nullopt;
  };
  const auto arch = h.string("general.architecture");
  if (!arch || arch->empty() || arch->size() > 64) return fail("general.architecture is missing");
  Meta x(h, *arch);
  const auto n_layer = x.num("block_count");
  if (!n_layer || *n_layer < 1 || *n_layer > 1024) return fail(x.key("block_count") + " is missing or out of range");
  x.n_layer = int(*n_layer);
  // MTP/NextN blocks follow the trunk in the file (block_count counts them); llama.cpp's n_layer
  // leaves them out and does not load them unless asked.
  const int nextn = int(x.num("nextn_predict_layers").value_or(0));
  if (nextn < 0 || nextn >= x.n_layer) return fail(x.key("nextn_predict_layers") + " is out of range");
  x.n_layer -= nextn;

  json m;
  if (auto e = read_dims(x, file_name, m); !e.empty()) return fail(e);
  if (nextn > 0) m["nextn_layers"] = nextn;
  LayerKinds kinds = layer_kinds(x);
  if (kinds.any_mlp_only && !kinds.any_recurrent && kinds.pattern.find('A') == std::string::npos)
    return fail("no layer of this model holds attention or SSM tensors; is the tensor table complete?");
  json att = json::object();
  mark_sliding_window(x, kinds.pattern, att);
  if (kinds.pattern.find_first_not_of('A') != std::string::npos) att["pattern"] = kinds.pattern;
  read_swa_dims(x, kinds.pattern, m, att);
  read_mla(x, m, att);
  if (kinds.any_recurrent)
    if (auto e = read_recurrent(x, att); !e.empty()) return fail(e);
  if (!att.empty()) m["attention"] = att;
  read_flags(x, m);
  if (auto e = read_moe(x, m); !e.empty()) return fail(e);

  std::string why_not;
  const auto quant = file_quant(h, why_not);
  if (!quant) return fail(why_not);
  const std::string base = gguf_file_stem(file_name);
  const GgufTensor* te = x.tensor("token_embd.weight");
  m["gguf"] = {{"file", base + ".gguf"},
               {"quant", *quant},
               {"weights_bytes", h.weight_bytes()},
               {"token_embd_bytes", te ? te->bytes : 0},
               {"tensors", h.tensors.size()}};
  m["sources"] = json::array({"GGUF header: " + base + ".gguf"});
  m["notes"] = "from GGUF header: " + base + ".gguf";
  return m;
}

ImportKind import_kind(std::string_view first_bytes) {
  if (first_bytes.substr(0, 4) == "GGUF") return ImportKind::Gguf;
  const auto t = trim(first_bytes.substr(0, 4096));
  if (!t.empty() && t.front() == '{') return ImportKind::HfConfig;
  return ImportKind::Unknown;
}

std::string hf_config_name(std::string path) {
  const std::string tail = "config.json";
  if (path.size() > tail.size() && path.compare(path.size() - tail.size(), tail.size(), tail) == 0 &&
      (path[path.size() - tail.size() - 1] == '/' || path[path.size() - tail.size() - 1] == '\\')) {
    path.resize(path.size() - tail.size() - 1);  // the model's folder names it
  }
  const auto slash = path.find_last_of("/\\");
  if (slash != std::string::npos) path = path.substr(slash + 1);
  if (path.size() > 5 && path.compare(path.size() - 5, 5, ".json") == 0) path.resize(path.size() - 5);
  return path;
}

void GgufImport::add(std::string name, GgufHeader header) {
  if (header.number("split.count").value_or(1) > 1) {
    if (first_part_.empty() || header.number("split.no").value_or(1) == 0) first_part_ = name;
    parts_.push_back(std::move(header));
  } else {
    singles_.push_back({std::move(name), std::move(header)});
  }
}

GgufImport::Result GgufImport::finish() {
  Result r;
  std::string err;
  for (const auto& [name, header] : singles_) {
    if (auto e = gguf_to_model(header, name, &err)) r.models.push_back(std::move(*e));
    else r.errors.push_back(name + ": " + err);
  }
  if (!parts_.empty()) {
    auto all = combine_gguf_splits(parts_, &err);
    if (!all) r.errors.push_back(first_part_ + ": " + err);
    else if (auto e = gguf_to_model(*all, first_part_, &err)) r.models.push_back(std::move(*e));
    else r.errors.push_back(first_part_ + ": " + err);
  }
  *this = GgufImport();
  return r;
}

}  // namespace haloplan
