#include "haloplan/view/exports.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "haloplan/view/evidence.h"

namespace haloplan {

using nlohmann::json;

std::optional<std::string> llama_server_command(const Plan& p, const Scenario& s, const Backend& b) {
  if (b.id.rfind("llamacpp-", 0) != 0 || !p.model || !s.machine) return std::nullopt;
  if (!p.error.empty()) return std::nullopt;  // llama.cpp would not start with these settings
  // A published file by its Hugging Face name (llama-server downloads it, with its projector);
  // a preset as the file llama-quantize would write.
  const bool hf = p.file && !p.file->repo.empty();
  std::string cmd = hf ? "llama-server -hf " + p.file->repo + ":" + p.file->tag
                       : "llama-server -m " + p.model->id + "-" + preset(p.quant).name + ".gguf";
  if (p.projector_bytes > 0 && !hf)
    cmd += " --mmproj " + (p.model->mmproj ? p.model->mmproj->file : std::string("mmproj.gguf"));
  if (p.projector_bytes == 0 && hf && p.model->mmproj) cmd += " --no-mmproj";
  if (p.draft) cmd += " -md " + p.draft->model->id + "-" + preset(p.draft->quant).name + ".gguf -ngld 999";
  if (p.mtp) cmd += " --spec-type draft-mtp";
  if (p.model->role == "embedding") cmd += " --embeddings";
  if (p.model->role == "reranker") cmd += " --reranking";
  cmd += " -c " + std::to_string(s.ctx.n_ctx);
  if (s.ctx.n_seq > 1) {
    cmd += " -np " + std::to_string(s.ctx.n_seq);
    if (s.ctx.kv_unified) cmd += " --kv-unified";
  }
  if (s.ctx.type_k != GgmlType::F16) cmd += " -ctk " + kv_cache_type_name(s.ctx.type_k);
  if (s.ctx.type_v != GgmlType::F16) cmd += " -ctv " + kv_cache_type_name(s.ctx.type_v);
  cmd += s.ctx.flash_attn ? " -fa on" : " -fa off";
  ContextParams server;  // llama-server's defaults for what it keeps on the host
  if (s.ctx.ctx_checkpoints != server.ctx_checkpoints)
    cmd += " --ctx-checkpoints " + std::to_string(s.ctx.ctx_checkpoints);
  if (s.ctx.cache_ram_mib != server.cache_ram_mib) cmd += " --cache-ram " + std::to_string(s.ctx.cache_ram_mib);
  // A discrete GPU keeps VRAM full and runs the rest from system RAM.
  const BackendPlan* bp = p.find(b.id);
  cmd += " " + (bp ? bp->offload.flags() : std::string("-ngl 999"));
  // On unified memory mmap keeps a second copy in the page cache (and makes ROCm loads crawl).
  if (s.machine->kind != MemoryKind::Discrete) cmd += " --no-mmap";
  return cmd;
}

namespace {

// The model's Hugging Face repository, from its catalog source "config: org/name/config.json ...".
std::string hf_repo(const CatalogModel& m) {
  const std::string pre = "config: ", post = "/config.json";
  for (const auto& src : m.sources) {
    if (src.rfind(pre, 0) != 0) continue;
    const std::string path = src.substr(pre.size(), src.find(' ', pre.size()) - pre.size());
    if (path.size() <= post.size() || path.compare(path.size() - post.size(), post.size(), post) != 0) continue;
    const std::string repo = path.substr(0, path.size() - post.size());
    if (std::count(repo.begin(), repo.end(), '/') == 1) return repo;
  }
  return "";
}

// The GGUF a preset names, as llama-quantize would write it.
std::string gguf_name(const Plan& p) { return p.model->id + "-" + preset(p.quant).name + ".gguf"; }

// Ollama: its server's environment for this scenario (envconfig: OLLAMA_CONTEXT_LENGTH,
// OLLAMA_FLASH_ATTENTION, OLLAMA_KV_CACHE_TYPE, OLLAMA_NUM_PARALLEL; OLLAMA_VULKAN=1 opts in to the
// Vulkan runner since 0.12.11, ollama/ollama#12673), then the model: a published file pulled by its
// Hugging Face name, or a local GGUF made into an Ollama model.
std::string ollama_command(const Plan& p, const Scenario& s, const Backend& b) {
  std::string env;
  if (b.id == "ollama") env += "OLLAMA_VULKAN=1 ";
  env += "OLLAMA_CONTEXT_LENGTH=" + std::to_string(s.ctx.n_ctx);
  if (s.ctx.flash_attn) env += " OLLAMA_FLASH_ATTENTION=1";
  if (s.ctx.type_k == s.ctx.type_v && s.ctx.type_k != GgmlType::F16)
    env += " OLLAMA_KV_CACHE_TYPE=" + kv_cache_type_name(s.ctx.type_k);
  if (s.ctx.n_seq > 1) env += " OLLAMA_NUM_PARALLEL=" + std::to_string(s.ctx.n_seq);
  std::string cmd = env + " ollama serve &\n";
  if (p.file && !p.file->repo.empty()) {
    cmd += "ollama run hf.co/" + p.file->repo + ":" + p.file->tag;
  } else {
    cmd += "printf 'FROM ./" + gguf_name(p) + "\\n' > Modelfile\n";
    cmd += "ollama create " + p.model->id + " -f Modelfile && ollama run " + p.model->id;
  }
  if (s.ctx.type_k != s.ctx.type_v) cmd += "\n# Ollama takes one cache type for K and V; this plan has two";
  return cmd;
}

// vLLM serving the GGUF (its GGUF loader wants the original repository's tokenizer), with the
// context, sequences and the share of memory it pre-allocates.
std::string vllm_command(const Plan& p, const Scenario& s, const Backend& b) {
  const std::string repo = hf_repo(*p.model);
  std::string cmd = "vllm serve ./" + (p.file ? p.model->id + "-" + p.file->tag + ".gguf" : gguf_name(p));
  cmd += " --tokenizer " + (repo.empty() ? std::string("<the model's Hugging Face repo>") : repo);
  cmd += " --max-model-len " + std::to_string(s.ctx.n_ctx) + " --max-num-seqs " + std::to_string(s.ctx.n_seq);
  char frac[16];
  std::snprintf(frac, sizeof frac, "%.2f", b.preallocate_fraction > 0 ? b.preallocate_fraction : 0.9);
  cmd += std::string(" --gpu-memory-utilization ") + frac;
  return cmd;
}

}  // namespace

std::optional<std::string> launch_command(const Plan& p, const Scenario& s, const Backend& b) {
  if (!p.model || !s.machine || !p.error.empty()) return std::nullopt;
  if (b.id.rfind("llamacpp-", 0) == 0) return llama_server_command(p, s, b);
  if (b.id.rfind("ollama", 0) == 0) return ollama_command(p, s, b);
  if (b.id.rfind("vllm", 0) == 0) return vllm_command(p, s, b);
  return std::nullopt;
}

std::string plan_json(const Catalog& c, const Scenario& s, const Plan& p, const Selection& sel) {
  json j;
  j["model"] = p.model->id;
  j["quant"] = p.file ? p.file->key() : std::string(preset(p.quant).name);
  if (p.file) {
    j["file"] = {{"publisher", p.file->publisher},
                 {"tag", p.file->tag},
                 {"repo", p.file->repo},
                 {"mix", preset(p.file->mix).name},
                 {"source", p.file->source}};
  }
  j["mmproj_bytes"] = p.projector_bytes;
  if (p.mtp) {
    j["mtp"] = {{"weights_bytes", p.mtp->weights_bytes},
                {"kv_bytes", p.mtp->kv.kv_bytes()},
                {"compute_bytes", p.mtp->compute_bytes},
                {"rollback_snapshots", p.mtp->n_rs_seq}};
  }
  if (p.draft) {
    j["draft"] = {{"model", p.draft->model->id},
                  {"quant", preset(p.draft->quant).name},
                  {"weights_bytes", p.draft->weights.total_bytes},
                  {"kv_bytes", p.draft->kv.kv_bytes() + p.draft->kv.state_bytes},
                  {"buffer_bytes", p.draft->buffers.compute_bytes + p.draft->buffers.output_bytes +
                                       p.draft->buffers.host_compute_bytes}};
  }
  j["machine"] = s.machine->id;
  j["ctx"] = s.ctx.n_ctx;
  j["n_ctx_padded"] = p.kv.n_ctx;
  j["weights_bytes"] = p.weights.total_bytes;
  j["bits_per_weight"] = std::round(p.weights.bits_per_weight() * 1e4) / 1e4;
  j["params"] = p.weights.total_params;
  j["active_params"] = p.weights.active_params;
  j["kv_bytes"] = p.kv.kv_bytes();
  j["state_bytes"] = p.kv.state_bytes;
  j["compute_bytes"] = p.buffers.compute_bytes;
  j["output_bytes"] = p.buffers.output_bytes;
  j["host_compute_bytes"] = p.buffers.host_compute_bytes;
  j["checkpoint_bytes"] = p.buffers.checkpoint_bytes;
  j["prompt_cache_bytes"] = p.buffers.prompt_cache_bytes;
  j["total_bytes"] = uint64_t(p.total_bytes());
  j["estimates"] = {"compute_bytes", "host_compute_bytes", "decode_tps", "prefill_tps", "runtime_overhead_bytes"};
  const Backend* sb = sel.speed_backend();
  const BackendPlan* bp = sb ? p.find(sb->id) : nullptr;
  j["speed_backend"] = sb ? sb->id : "";
  j["decode_tps"] = bp ? std::round(bp->decode_tps_0 * 100) / 100 : 0.0;
  j["decode_tps_ctx"] = bp ? std::round(bp->decode_tps_ctx * 100) / 100 : 0.0;
  j["prefill_tps"] = bp ? std::round(bp->prefill_tps * 10) / 10 : 0.0;
  j["speed_band"] = bp ? json{{"decode", {bp->decode_lo, bp->decode_hi}}, {"prefill", {bp->prefill_lo, bp->prefill_hi}}}
                       : json::object();
  j["speed_unmeasured"] = bp ? bp->unmeasured : false;  // no calibration row of this architecture
  // A discrete GPU: what runs from system RAM, and the flags that put it there.
  if (bp && s.machine->kind == MemoryKind::Discrete)
    j["offload"] = {{"n_cpu_moe", bp->offload.n_cpu_moe},
                    {"n_gpu_layers", bp->offload.n_layer - bp->offload.n_cpu_layers},
                    {"ram_weight_bytes", int64_t(bp->offload.ram_weight_bytes)},
                    {"ram_read_bytes", int64_t(bp->offload.ram_expert_read + bp->offload.ram_dense_read)},
                    {"flags", bp->offload.flags()}};
  if (bp)
    if (auto cmd = launch_command(p, s, *bp->backend)) j["command"] = *cmd;
  // The formula's terms, the rows behind the family and the nearest measured rows.
  j["speed_evidence"] = bp ? json::parse(evidence_json(speed_evidence(c, p, *bp, s))) : json(nullptr);
  j["max_context"] = sb ? max_context(c, *p.model, p.quant, with_file(s, p.file), *sb) : 0;
  json v = json::object(), h = json::object(), o = json::object();
  for (const auto& b : p.backends) {
    v[b.backend->id] = verdict_id(b.placement.verdict);
    h[b.backend->id] = int64_t(b.placement.headroom);
    o[b.backend->id] = int64_t(b.overhead_bytes);
  }
  j["verdicts"] = v;
  j["headroom_bytes"] = h;
  j["runtime_overhead_bytes"] = o;
  j["pools"] = {{"carve_out_bytes", int64_t(p.pools.carve_out)},
                {"gtt_bytes", int64_t(p.pools.gtt)},
                {"os_visible_bytes", int64_t(p.pools.os_visible)},
                {"os_reserve_bytes", int64_t(p.pools.os_reserve)}};
  if (!p.error.empty()) j["error"] = p.error;
  return j.dump(1);
}

}  // namespace haloplan
