#include "haloplan/catalog/load.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "haloplan/catalog/obj_reader.h"
#include "haloplan/planner/quant.h"
#include "haloplan/planner/speed.h"
#include "haloplan/text/strings.h"

namespace haloplan {

using detail::json;
using detail::ObjReader;

namespace {

// Checks the envelope {"schema": name, "version": 1, key: [...]} and returns the list.
const json* envelope(const char* schema, const char* list_key, ObjReader& top) {
  if (!top.ok()) return nullptr;
  auto s = top.str("schema", true, 64);
  if (s && *s != schema) top.error("schema", "is \"" + *s + "\"; expected \"" + schema + "\"");
  auto v = top.integer("version", true, 1, 1000000);
  if (v && *v > kCatalogSchemaVersion)
    top.error("version", "is " + std::to_string(*v) + ", newer than this haloplan understands (" +
                             std::to_string(kCatalogSchemaVersion) + "); update haloplan");
  const json* list = top.raw(list_key);
  if (!list) {
    top.error(list_key, "missing; expected a list");
    return nullptr;
  }
  if (!list->is_array()) {
    top.error(list_key, "expected a list, found " + detail::type_word(*list));
    return nullptr;
  }
  if (list->size() > 20000) {
    top.error(list_key, "has " + std::to_string(list->size()) + " entries; the limit is 20000");
    return nullptr;
  }
  return list;
}

template <class T>
void set_if(std::optional<T> v, T& dst) {
  if (v) dst = *v;
}
template <class T, class U>
void set_if(std::optional<T> v, U& dst) {
  if (v) dst = static_cast<U>(*v);
}

// A file key's parts: letters, digits and . _ - only, so that "publisher:tag" reads back from
// a link or a flag unchanged.
bool file_word(const std::string& w) {
  return !w.empty() && std::all_of(w.begin(), w.end(), [](char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' ||
           ch == '-';
  });
}

void read_files(const json& j, const std::string& path, CatalogModel& cm, std::vector<Diagnostic>& d) {
  if (!j.is_array()) {
    d.push_back({path, "expected a list, found " + detail::type_word(j), true});
    return;
  }
  if (j.size() > 64) {
    d.push_back({path, "has " + std::to_string(j.size()) + " entries; the limit is 64", true});
    return;
  }
  for (size_t i = 0; i < j.size(); ++i) {
    ObjReader f(j[i], path + "[" + std::to_string(i) + "]", d);
    if (!f.ok()) continue;
    PublishedFile pf;
    set_if(f.str("publisher", true, 64), pf.publisher);
    set_if(f.str("tag", true, 64), pf.tag);
    set_if(f.str("repo", false, 200), pf.repo);
    if (auto q = f.str("mix", true, 32)) {
      if (auto ft = ftype_from_name(*q)) pf.mix = *ft;
      else f.error("mix", "\"" + *q + "\" is not a llama.cpp quantisation preset");
    }
    if (auto g = f.number("weights_gib", true, 0.01, 1e5)) pf.weights_bytes = uint64_t(std::llround(*g * 1073741824.0));
    set_if(f.str("source", true, 1000), pf.source);
    if (!pf.publisher.empty() && !file_word(pf.publisher))
      f.error("publisher", "may hold only letters, digits and . _ -");
    if (!pf.tag.empty() && !file_word(pf.tag)) f.error("tag", "may hold only letters, digits and . _ -");
    if (!pf.tag.empty() && ftype_from_name(pf.tag) && pf.publisher.empty())
      f.error("tag", "names a preset; give the publisher");
    if (cm.published(pf.key())) f.error("tag", "\"" + pf.key() + "\" appears more than once");
    cm.files.push_back(std::move(pf));
  }
}

void read_recurrent(const json& j, const std::string& path, ModelArch& a, std::vector<Diagnostic>& d) {
  ObjReader r(j, path, d);
  if (!r.ok()) return;
  RecurrentParams p;
  auto kind = r.str("kind", true, 32);
  if (kind) {
    if (*kind == "mamba2") p.kind = RecurrentKind::Mamba2;
    else if (*kind == "gated-deltanet") p.kind = RecurrentKind::GatedDeltaNet;
    else if (*kind == "kda") p.kind = RecurrentKind::Kda;
    else r.error("kind", "is \"" + *kind + "\"; expected mamba2, gated-deltanet or kda");
  }
  set_if(r.integer("d_conv", true, 1, 64), p.d_conv);
  set_if(r.integer("n_head", true, 1, 4096), p.n_head);
  set_if(r.integer("head_dim", true, 1, 4096), p.head_dim);
  set_if(r.integer("d_state", p.kind != RecurrentKind::Kda, 1, 4096), p.d_state);
  set_if(r.integer("n_group", p.kind != RecurrentKind::Kda, 1, 4096), p.n_group);
  a.recurrent = p;
}

void read_attention(const json& j, const std::string& path, ModelArch& a, std::vector<Diagnostic>& d) {
  ObjReader r(j, path, d);
  if (!r.ok()) return;
  auto kind = r.str("kind", false, 32);
  if (kind) {
    if (*kind == "standard") a.attention = AttentionKind::Standard;
    else if (*kind == "mla") a.attention = AttentionKind::Mla;
    else r.error("kind", "is \"" + *kind + "\"; expected standard or mla");
  }
  if (auto p = r.str("pattern", false, 4096)) a.pattern = *p;
  set_if(r.integer("sliding_window", false, 1, 1 << 24), a.sliding_window);
  set_if(r.integer("swa_n_kv_heads", false, 1, 4096), a.swa_n_head_kv);
  set_if(r.integer("swa_head_dim", false, 1, 4096), a.swa_head_dim);
  const bool mla = a.attention == AttentionKind::Mla;
  set_if(r.integer("q_lora_rank", false, 0, 1 << 16), a.mla.q_lora_rank);
  set_if(r.integer("kv_lora_rank", mla, 1, 1 << 16), a.mla.kv_lora_rank);
  set_if(r.integer("qk_nope_head_dim", mla, 1, 4096), a.mla.qk_nope_head_dim);
  set_if(r.integer("qk_rope_head_dim", mla, 1, 4096), a.mla.qk_rope_head_dim);
  set_if(r.integer("v_head_dim", mla, 1, 4096), a.mla.v_head_dim);
  if (const json* rec = r.raw("recurrent")) read_recurrent(*rec, r.sub("recurrent"), a, d);
}

void read_moe(const json& j, const std::string& path, ModelArch& a, std::vector<Diagnostic>& d) {
  ObjReader r(j, path, d);
  if (!r.ok()) return;
  auto& m = a.moe;
  set_if(r.integer("n_expert", true, 1, 4096), m.n_expert);
  set_if(r.integer("n_expert_used", true, 1, 4096), m.n_expert_used);
  set_if(r.integer("n_expert_shared", false, 0, 64), m.n_expert_shared);
  set_if(r.integer("expert_ff", true, 1, 1 << 20), m.expert_ff);
  set_if(r.integer("shared_ff", false, 0, 1 << 20), m.shared_ff);
  set_if(r.integer("n_dense_layers", false, 0, 4096), m.n_dense_layers);
  set_if(r.integer("dense_ff", false, 0, 1 << 20), m.dense_ff);
  set_if(r.integer("interleave", false, 1, 64), m.interleave);
  set_if(r.boolean("dense_ff_beside_moe", false), m.dense_ff_beside_moe);
  set_if(r.boolean("expert_bias", false), m.expert_bias);
  if (m.n_expert_shared > 0 && m.shared_ff <= 0) r.error("shared_ff", "must be positive when n_expert_shared > 0");
}

CatalogModel read_model(const json& j, const std::string& path, std::vector<Diagnostic>& d) {
  const size_t first_diag = d.size();
  CatalogModel cm;
  ObjReader r(j, path, d);
  if (!r.ok()) return cm;
  if (auto id = r.str("id", true, 96)) {
    if (!valid_id(*id))
      r.error("id", "\"" + *id + "\" is not a valid id; use lowercase letters, digits, '-', '.', '_'");
    cm.id = *id;
  }
  set_if(r.str("name", true, 200), cm.name);
  auto& a = cm.arch;
  set_if(r.str("arch", true, 64), a.arch);
  set_if(r.integer("n_layers", true, 1, 1024), a.n_layer);
  set_if(r.integer("nextn_layers", false, 0, 8), a.n_nextn);
  set_if(r.integer("hidden_size", true, 1, 1 << 20), a.n_embd);
  set_if(r.integer("n_heads", true, 1, 4096), a.n_head);
  set_if(r.integer("n_kv_heads", false, 0, 4096), a.n_head_kv);
  set_if(r.integer("head_dim", false, 1, 4096), a.head_dim);
  set_if(r.integer("v_head_dim", false, 1, 4096), a.head_dim_v);
  set_if(r.integer("intermediate_size", false, 0, 1 << 22), a.n_ff);
  set_if(r.integer("vocab_size", true, 1, 1 << 24), a.n_vocab);
  set_if(r.integer("max_context", true, 256, int64_t(1) << 26), a.max_context);
  set_if(r.boolean("tied_embeddings", true), a.tied_embeddings);
  set_if(r.boolean("attention_bias", false), a.attention_bias);
  set_if(r.boolean("qk_norm", false), a.qk_norm);
  set_if(r.boolean("attention_sinks", false), a.attention_sinks);
  set_if(r.boolean("attn_output_gate", false), a.attn_output_gate);
  set_if(r.boolean("ffn_gated", false), a.ffn_gated);
  if (a.head_dim == 0 && a.n_head > 0 && a.n_embd % a.n_head == 0) a.head_dim = int(a.n_embd / a.n_head);
  if (a.n_head_kv == 0 && !r.has("n_kv_heads")) a.n_head_kv = a.n_head;
  if (const json* at = r.raw("attention")) read_attention(*at, r.sub("attention"), a, d);
  if (const json* moe = r.raw("moe")) read_moe(*moe, r.sub("moe"), a, d);
  if (const json* pb = r.raw("params_b")) {
    ObjReader p(*pb, r.sub("params_b"), d);
    set_if(p.number("total", false, 0, 1e5), cm.published_total_b);
    set_if(p.number("active", false, 0, 1e5), cm.published_active_b);
  }
  if (const json* g = r.raw("gguf")) {
    ObjReader f(*g, r.sub("gguf"), d);
    FileWeights fw;
    set_if(f.str("file", true, 400), fw.file);
    if (auto q = f.str("quant", true, 32)) {
      if (auto ft = ftype_from_name(*q)) fw.quant = *ft;
      else f.error("quant", "\"" + *q + "\" is not a llama.cpp quantisation preset");
    }
    if (auto b = f.integer("weights_bytes", true, 1, int64_t(1) << 52)) fw.weights_bytes = uint64_t(*b);
    if (auto b = f.integer("token_embd_bytes", false, 0, int64_t(1) << 52)) fw.token_embd_bytes = uint64_t(*b);
    set_if(f.integer("tensors", false, 0, 1 << 20), fw.tensors);
    if (fw.token_embd_bytes > fw.weights_bytes) f.error("token_embd_bytes", "is larger than weights_bytes");
    cm.file = fw;
  }
  if (auto q = r.str("release_quant", false, 32)) {
    if (auto ft = ftype_from_name(*q)) cm.release_quant = *ft;
    else r.error("release_quant", "\"" + *q + "\" is not a llama.cpp quantisation preset");
  }
  if (const json* fl = r.raw("files")) read_files(*fl, r.sub("files"), cm, d);
  if (const json* mp = r.raw("mmproj")) {
    ObjReader f(*mp, r.sub("mmproj"), d);
    if (f.ok()) {
      Projector pj;
      set_if(f.str("file", true, 200), pj.file);
      if (auto b = f.integer("bytes", true, 1, int64_t(1) << 40)) pj.bytes = uint64_t(*b);
      set_if(f.str("source", true, 1000), pj.source);
      cm.mmproj = pj;
    }
  }
  cm.sources = r.str_list("sources", true);
  set_if(r.str("notes", false, 4000), cm.notes);
  set_if(r.boolean("verified", false), cm.verified);
  if (auto role = r.str("role", false, 32)) {
    if (*role == "embedding" || *role == "reranker") cm.role = *role;
    else r.error("role", "is \"" + *role + "\"; expected embedding or reranker (leave it out for a chat model)");
  }
  // Architecture consistency, reported against the model's path: only for fields that read well,
  // where it would otherwise repeat a field's error ("n_layers must be positive" after -16).
  if (std::none_of(d.begin() + std::ptrdiff_t(first_diag), d.end(), [](const Diagnostic& x) { return x.error; }))
    for (const auto& p : check_arch(a)) d.push_back({path, p, true});
  return cm;
}

}  // namespace

namespace {
std::vector<CatalogModel> parse_models(std::string_view text, std::vector<Diagnostic>& d) {
  std::vector<CatalogModel> out;
  auto root = detail::parse_json(text, d, "the model catalog");
  if (!root) return out;
  ObjReader top(*root, "", d);
  const json* list = envelope("haloplan-models", "models", top);
  if (!list) return out;
  std::set<std::string> ids;
  for (size_t i = 0; i < list->size(); ++i) {
    const std::string p = "models[" + std::to_string(i) + "]";
    auto m = read_model((*list)[i], p, d);
    if (!m.id.empty() && !ids.insert(m.id).second)
      d.push_back({p + ".id", "\"" + m.id + "\" appears more than once", true});
    out.push_back(std::move(m));
  }
  return out;
}
}  // namespace

std::vector<Diagnostic> load_models(std::string_view text, Catalog& into) {
  std::vector<Diagnostic> d;
  auto models = parse_models(text, d);
  if (!has_errors(d)) into.models.insert(into.models.end(), models.begin(), models.end());
  return d;
}

std::vector<Diagnostic> json_problems(std::string_view text, const std::string& what) {
  std::vector<Diagnostic> d;
  detail::parse_json(text, d, what);
  return d;
}

namespace {
void merge_into(std::vector<CatalogModel>& models, Catalog& into, ModelIndex& index) {
  if (index.empty())
    for (size_t i = 0; i < into.models.size(); ++i) index.emplace(into.models[i].id, i);
  for (auto& m : models) {
    const auto [it, added] = index.emplace(m.id, into.models.size());
    if (added) into.models.push_back(std::move(m));
    else into.models[it->second] = std::move(m);
  }
}
}  // namespace

std::vector<Diagnostic> merge_models(std::string_view text, Catalog& into, ModelIndex& index) {
  std::vector<Diagnostic> d;
  auto models = parse_models(text, d);
  if (!has_errors(d)) merge_into(models, into, index);
  return d;
}

std::vector<Diagnostic> merge_model(const json& entry, const std::string& path, Catalog& into, ModelIndex& index) {
  std::vector<Diagnostic> d;
  std::vector<CatalogModel> one{read_model(entry, path, d)};
  if (!has_errors(d)) merge_into(one, into, index);
  return d;
}

std::vector<Diagnostic> merge_models(std::string_view text, Catalog& into) {
  ModelIndex index;
  return merge_models(text, into, index);
}

namespace {
const char* kKinds = "amd-apu, apple, unified-nvidia or discrete";
}  // namespace

std::vector<Diagnostic> load_machines(std::string_view text, Catalog& into) {
  std::vector<Diagnostic> d;
  auto root = detail::parse_json(text, d, "the machine list");
  if (!root) return d;
  std::vector<Machine> out;
  {
    ObjReader top(*root, "", d);
    const json* list = envelope("haloplan-machines", "machines", top);
    if (!list) return d;
    for (size_t i = 0; i < list->size(); ++i) {
      ObjReader r((*list)[i], "machines[" + std::to_string(i) + "]", d);
      if (!r.ok()) continue;
      Machine m;
      set_if(r.str("id", true, 96), m.id);
      if (!m.id.empty() && !valid_id(m.id)) r.error("id", "\"" + m.id + "\" is not a valid id");
      set_if(r.str("name", true, 200), m.name);
      if (auto k = r.str("kind", true, 32)) {
        if (auto mk = memory_kind_from(*k)) m.kind = *mk;
        else r.error("kind", "is \"" + *k + "\"; expected " + kKinds);
      }
      set_if(r.number("ram_gib", true, 1, 65536), m.ram_gib);
      set_if(r.number("vram_gib", m.kind == MemoryKind::Discrete, 0, 65536), m.vram_gib);
      set_if(r.number("bandwidth_gbs", true, 1, 100000), m.bandwidth_gbs);
      set_if(r.number("bandwidth_measured_gbs", false, 0, 100000), m.bandwidth_measured_gbs);
      set_if(r.number("fp16_tflops", true, 0.01, 100000), m.fp16_tflops);
      set_if(r.number("ram_bandwidth_gbs", m.kind == MemoryKind::Discrete, 1, 100000), m.ram_bandwidth_gbs);
      set_if(r.number("link_gbs", m.kind == MemoryKind::Discrete, 1, 100000), m.link_gbs);
      m.carve_out_options_gib = r.num_list("carve_out_options_gib", m.kind == MemoryKind::AmdApu, 0, 65536);
      set_if(r.number("default_carve_out_gib", m.kind == MemoryKind::AmdApu, 0, 65536), m.default_carve_out_gib);
      set_if(r.number("gpu_limit_fraction", true, 0.01, 1.0), m.gpu_limit_fraction);
      set_if(r.number("os_reserve_gib", true, 0, 65536), m.default_os_reserve_gib);
      m.sources = r.str_list("sources", true);
      set_if(r.str("notes", false, 4000), m.notes);
      set_if(r.str("focus_model", false, 96), m.focus_model);
      if (!m.focus_model.empty() && !valid_id(m.focus_model))
        r.error("focus_model", "\"" + m.focus_model + "\" is not a valid model id");
      set_if(r.str("dmi_vendor", false, 96), m.dmi_vendor);
      set_if(r.str("dmi_product", false, 96), m.dmi_product);
      if (m.default_carve_out_gib >= m.ram_gib && m.kind == MemoryKind::AmdApu)
        r.error("default_carve_out_gib", "must be smaller than ram_gib");
      out.push_back(std::move(m));
    }
  }
  if (!has_errors(d)) into.machines.insert(into.machines.end(), out.begin(), out.end());
  return d;
}

namespace {

// A speed family's parameters: {"decode": {name: value…}, "prefill": {…}, rows, band, fit date}.
void read_speed_params(ObjReader& r, SpeedParams& p) {
  auto read_block = [&](const char* key, auto& values, const auto& names) {
    const json* blk = r.raw(key);
    if (!blk) return r.error(key, "missing; expected the speed model's parameters");
    ObjReader s(*blk, r.sub(key), r.diagnostics());
    // p_attn_vec came after catalogs were saved without it: absent, the kernel tiles queries (0).
    for (size_t i = 0; i < names.size(); ++i)
      set_if(s.number(names[i], std::string_view(names[i]) != "p_attn_vec", 0, 1e6), values[i]);
  };
  read_block("decode", p.decode, kDecodeParamNames);
  read_block("prefill", p.prefill, kPrefillParamNames);
  set_if(r.integer("decode_rows", true, 0, 1 << 24), p.decode_rows);
  set_if(r.integer("prefill_rows", true, 0, 1 << 24), p.prefill_rows);
  set_if(r.str("fitted_on", true, 400), p.fitted_on);
  set_if(r.number("decode_lo", true, 0.01, 1), p.decode_lo);
  set_if(r.number("decode_hi", true, 1, 100), p.decode_hi);
  set_if(r.number("prefill_lo", true, 0.01, 1), p.prefill_lo);
  set_if(r.number("prefill_hi", true, 1, 100), p.prefill_hi);
  if (r.has("measured_archs")) p.measured_archs = r.str_list("measured_archs", false);
  // An optional band object {"decode_lo", "decode_hi", "prefill_lo", "prefill_hi"}.
  auto read_band = [&](const char* key, double& dlo, double& dhi, double& plo, double& phi) {
    const json* u = r.raw(key);
    if (!u) return;
    ObjReader b(*u, r.sub(key), r.diagnostics());
    set_if(b.number("decode_lo", true, 0.01, 1), dlo);
    set_if(b.number("decode_hi", true, 1, 100), dhi);
    set_if(b.number("prefill_lo", true, 0.01, 1), plo);
    set_if(b.number("prefill_hi", true, 1, 100), phi);
  };
  read_band("unmeasured_band", p.unmeasured_decode_lo, p.unmeasured_decode_hi, p.unmeasured_prefill_lo,
            p.unmeasured_prefill_hi);
  read_band("calibrated_band", p.calibrated_decode_lo, p.calibrated_decode_hi, p.calibrated_prefill_lo,
            p.calibrated_prefill_hi);
}

}  // namespace

std::vector<Diagnostic> load_backends(std::string_view text, Catalog& into) {
  std::vector<Diagnostic> d;
  auto root = detail::parse_json(text, d, "the backend list");
  if (!root) return d;
  std::vector<Backend> out;
  std::vector<SpeedFamily> families;
  {
    ObjReader top(*root, "", d);
    const json* list = envelope("haloplan-backends", "backends", top);
    if (!list) return d;
    if (const json* fl = top.raw("speed_families"); fl && fl->is_array()) {
      for (size_t i = 0; i < fl->size() && i < 64; ++i) {
        ObjReader r((*fl)[i], "speed_families[" + std::to_string(i) + "]", d);
        if (!r.ok()) continue;
        SpeedFamily f;
        set_if(r.str("id", true, 64), f.id);
        set_if(r.str("name", true, 200), f.name);
        read_speed_params(r, f.params);
        families.push_back(std::move(f));
      }
    } else {
      top.error("speed_families", "missing; expected a list of speed families");
    }
    for (size_t i = 0; i < list->size(); ++i) {
      ObjReader r((*list)[i], "backends[" + std::to_string(i) + "]", d);
      if (!r.ok()) continue;
      Backend b;
      set_if(r.str("id", true, 96), b.id);
      if (!b.id.empty() && !valid_id(b.id)) r.error("id", "\"" + b.id + "\" is not a valid id");
      set_if(r.str("name", true, 200), b.name);
      for (const auto& k : r.str_list("runs_on", true, 8)) {
        if (auto mk = memory_kind_from(k)) b.machine_kinds.push_back(*mk);
        else r.error("runs_on", "has \"" + k + "\"; expected " + kKinds);
      }
      set_if(r.boolean("reaches_gtt", true), b.reaches_gtt);
      set_if(r.boolean("hip", false), b.hip);
      set_if(r.number("runtime_overhead_mib", true, 0, 1 << 20), b.runtime_overhead_mib);
      set_if(r.number("gpu_memory_utilization", false, 0.05, 1), b.preallocate_fraction);
      set_if(r.number("speed_factor", false, 0.01, 10), b.speed_factor);
      if (const json* band = r.raw("speed_band")) {
        ObjReader br(*band, r.sub("speed_band"), r.diagnostics());
        set_if(br.number("decode_lo", true, 0.01, 1), b.decode_lo);
        set_if(br.number("decode_hi", true, 1, 100), b.decode_hi);
      }
      set_if(r.str("speed_family", true, 64), b.speed_family);
      b.default_speed_family = b.speed_family;
      const auto fam =
          std::find_if(families.begin(), families.end(), [&](const SpeedFamily& f) { return f.id == b.speed_family; });
      if (fam != families.end()) {
        b.speed = fam->params;
        b.speed_calibrated = b.speed.decode_rows > 0;
      } else if (!b.speed_family.empty()) {
        r.error("speed_family", "\"" + b.speed_family + "\" is not in speed_families");
      }
      b.sources = r.str_list("sources", true);
      set_if(r.str("notes", false, 4000), b.notes);
      out.push_back(std::move(b));
    }
  }
  if (!has_errors(d)) {
    into.backends.insert(into.backends.end(), out.begin(), out.end());
    into.speed_families.insert(into.speed_families.end(), families.begin(), families.end());
  }
  return d;
}

std::vector<Diagnostic> load_setup(std::string_view text, Catalog& into) {
  std::vector<Diagnostic> d;
  auto root = detail::parse_json(text, d, "the setup facts");
  if (!root) return d;
  SetupFacts f;
  {
    ObjReader top(*root, "", d);
    const json* list = envelope("haloplan-setup", "strategies", top);
    if (list) {
      for (size_t i = 0; i < list->size(); ++i) {
        ObjReader r((*list)[i], "strategies[" + std::to_string(i) + "]", d);
        Strategy s;
        set_if(r.str("id", true, 64), s.id);
        set_if(r.str("name", true, 200), s.name);
        set_if(r.str("summary", true, 2000), s.summary);
        s.pros = r.str_list("pros", true);
        s.cons = r.str_list("cons", true);
        s.sources = r.str_list("sources", true);
        f.strategies.push_back(std::move(s));
      }
    }
    if (const json* tl = top.raw("tunings"); tl && tl->is_array()) {
      for (size_t i = 0; i < tl->size(); ++i) {
        ObjReader r((*tl)[i], "tunings[" + std::to_string(i) + "]", d);
        Tuning t;
        set_if(r.str("id", true, 64), t.id);
        set_if(r.str("name", true, 200), t.name);
        set_if(r.str("parameter", true, 400), t.parameter);
        set_if(r.str("effect", true, 2000), t.effect);
        set_if(r.str("side_effect", false, 2000), t.side_effect);
        t.sources = r.str_list("sources", true);
        f.tunings.push_back(std::move(t));
      }
    } else if (top.ok()) {
      top.error("tunings", "missing; expected a list");
    }
    f.gtt_sources = top.str_list("gtt_sources", true);
    f.hip_gtt_sources = top.str_list("hip_gtt_sources", true);
  }
  if (!has_errors(d)) into.setup = std::move(f);
  return d;
}

std::vector<Diagnostic> load_guide(std::string_view text, const Catalog& c, Guide& into) {
  std::vector<Diagnostic> d;
  auto root = detail::parse_json(text, d, "the guide's tables");
  if (!root) return d;
  Guide g;
  {
    ObjReader top(*root, "", d);
    set_if(top.str("machine", true, 96), g.machine);
    if (top.ok() && !g.machine.empty() && !c.machine(g.machine))
      top.error("machine", "\"" + g.machine + "\" is not in the catalog");
    if (const json* list = envelope("haloplan-guide", "rows", top)) {
      for (size_t i = 0; i < list->size(); ++i) {
        ObjReader r((*list)[i], "rows[" + std::to_string(i) + "]", d);
        GuideRow row;
        set_if(r.str("model", true, 96), row.model);
        if (r.ok() && !row.model.empty() && !c.model(row.model))
          r.error("model", "\"" + row.model + "\" is not in the catalog");
        if (auto q = r.str("quant", true, 32)) {
          if (auto f = ftype_from_name(*q)) row.quant = *f;
          else r.error("quant", "\"" + *q + "\" is not a quantisation preset");
        }
        if (const json* gb = r.raw("guide_gb"); gb && !gb->is_null()) {
          if (!gb->is_number() || gb->get<double>() <= 0 || gb->get<double>() > 1e5)
            r.error("guide_gb", "expected null or a size in GB above 0");
          else row.guide_gb = gb->get<double>();
        }
        set_if(r.str("guide_says", true, 400), row.guide_says);
        g.rows.push_back(std::move(row));
      }
    }
    if (const json* cl = top.raw("speed_claims"); cl && cl->is_array()) {
      for (size_t i = 0; i < cl->size(); ++i) {
        ObjReader r((*cl)[i], "speed_claims[" + std::to_string(i) + "]", d);
        GuideSpeedClaim x;
        set_if(r.number("active_b", true, 0.01, 10000), x.active_b);
        set_if(r.str("guide_says", true, 400), x.guide_says);
        g.speed_claims.push_back(std::move(x));
      }
    } else if (top.ok()) {
      top.error("speed_claims", "missing; expected a list");
    }
  }
  if (!has_errors(d)) into = std::move(g);
  return d;
}

}  // namespace haloplan
