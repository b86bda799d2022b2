#include "haloplan/view/exports.h"

#include <cmath>
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
  cmd += " -ngl 999";
  // On unified memory mmap keeps a second copy in the page cache (and makes ROCm loads crawl).
  if (s.machine->kind != MemoryKind::Discrete) cmd += " --no-mmap";
  return cmd;
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
