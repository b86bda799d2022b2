#include "haloplan/view/cluster.h"

#include <algorithm>

#include "haloplan/view/exports.h"
#include "haloplan/view/tables.h"

namespace haloplan {

namespace {

bool is_llamacpp(const Backend& b) { return b.id.rfind("llamacpp-", 0) == 0; }
bool is_vllm(const Backend& b) { return b.id.rfind("vllm", 0) == 0; }

std::string quant_name(const ClusterRequest& r) {
  return r.sc.file ? r.sc.file->key() : std::string(preset(r.quant).name);
}

}  // namespace

ClusterRequest same_boxes(const Cell& cell, const Scenario& s, int n, const Backend* b, const LinkKind* link) {
  const Scenario sc = with_file(s, cell.file);
  return {cell.model, cell.quant, sc, std::vector<ClusterNode>(size_t(n), ClusterNode{sc.machine, sc.knobs}),
          b,          link,       {}};
}

std::string cluster_problem(const Catalog& c, const ClusterRequest& r) {
  if (!r.model) return "a cluster needs one model";
  if (r.nodes.size() < 2 || r.nodes.size() > 4)
    return "a cluster has 2 to 4 nodes, got " + std::to_string(r.nodes.size());
  for (const auto& n : r.nodes) {
    const MemoryKind k = n.machine->kind;
    if (k != MemoryKind::AmdApu && k != MemoryKind::Apple && k != MemoryKind::UnifiedNvidia)
      return n.machine->name + " is not a unified-memory box";
  }
  if (!r.ts.empty() && r.ts.size() != r.nodes.size())
    return "--ts gives " + std::to_string(r.ts.size()) + " proportions for " + std::to_string(r.nodes.size()) +
           " nodes";
  if (!r.link) return "a cluster needs a link";
  if (!r.backend || (!is_llamacpp(*r.backend) && !is_vllm(*r.backend)))
    return "a cluster runs llama.cpp's RPC or vLLM's tensor parallel: pick a llama.cpp or vLLM backend";
  if (is_vllm(*r.backend)) {
    if (!r.ts.empty())
      return "--ts splits layers over llama.cpp's RPC; vLLM's tensor parallel splits every layer evenly";
    if (const std::string why = tensor_parallel_problem(r.model->arch, int(r.nodes.size())); !why.empty()) return why;
  }
  for (const auto& n : r.nodes) {
    const auto here = backends_for(c, *n.machine);
    if (std::find(here.begin(), here.end(), r.backend) == here.end())
      return r.backend->name + " does not run on " + n.machine->name;
  }
  return "";
}

ClusterPlan plan_cluster_request(const Catalog& c, const ClusterRequest& r) {
  const Plan one = cell_plan(c, Cell{r.model, r.quant, r.sc.file}, r.sc);
  const auto launch = launch_command(one, r.sc, *r.backend);
  if (is_vllm(*r.backend))
    return plan_tensor_parallel(c, *r.model, r.quant, r.sc, r.nodes, *r.backend, *r.link, launch.value_or(""));
  return plan_cluster(c, *r.model, r.quant, r.sc, r.nodes, *r.backend, *r.link, r.ts, launch.value_or(""));
}

namespace {

// vLLM tensor parallel: every node holds 1/N of every layer.
Table tensor_parallel_table(const ClusterRequest& r, const ClusterPlan& p) {
  Table t;
  const std::string n = std::to_string(r.nodes.size());
  t.title = r.model->name + " " + (r.sc.file ? file_label(*r.sc.file) : std::string(preset(r.quant).name)) + " over " +
            n + " nodes, " + r.link->name + ", " + r.backend->name + " with tensor parallel (TP " + n + ")";
  t.headers = {"node", "machine", "layers", "needs GiB", "GPU side GiB", "reaches GiB", "verdict"};
  for (size_t i = 0; i < p.nodes.size(); ++i) {
    const auto& np = p.nodes[i];
    t.rows.push_back({std::to_string(i + 1) + (i == 0 ? " (head)" : " (worker)"), np.machine->name,
                      "1/" + n + " of all " + std::to_string(np.layers), gib(np.need_bytes),
                      gib(np.placement.gpu_bytes), gib(np.placement.gpu_limit),
                      verdict_label(np.placement.verdict, np.machine->kind)});
  }
  t.notes.push_back("Decode " + tps(p.decode_tps) + " t/s and prefill " + tps(p.prefill_tps) +
                    " t/s (uncalibrated estimates, depth 0: no measured row names its model): 1/" + n +
                    " of vLLM's one-box time on the slowest node, plus " +
                    std::to_string(2 * r.model->arch.n_layer + 1) +
                    " all-reduces per token of about 105 us each (Thunderbolt 4 RoCE, davidcanar/vllm-strix-halo; "
                    "over TCP they take longer). One box alone: " +
                    tps(p.single_decode_tps) + " t/s" +
                    (p.fits_one_node ? ", and the model fits one box." : " if it could hold it."));
  t.notes.push_back(
      "Measured, other models: 4x Strix Halo TP4 about 50-52 t/s vs TP2 39.8 over 25 GbE RoCE "
      "(maikzz32/strix-halo-vllm-cluster); 2x DGX Spark TP2 2.09x one box (unsloth PR #10280). Each node "
      "pre-allocates its --gpu-memory-utilization share; the KV cache splits by KV heads, at least one whole head "
      "per node (vLLM get_num_kv_heads); \"needs\" is the node's shard, weights, KV and buffers.");
  return t;
}

}  // namespace

Table cluster_table(const ClusterRequest& r, const ClusterPlan& p) {
  if (p.tensor_parallel) return tensor_parallel_table(r, p);
  Table t;
  t.title = r.model->name + " " + (r.sc.file ? file_label(*r.sc.file) : std::string(preset(r.quant).name)) + " over " +
            std::to_string(r.nodes.size()) + " nodes, " + r.link->name + ", " + r.backend->name +
            " with RPC (-sm layer)";
  t.headers = {"node", "machine", "layers", "GPU side GiB", "reaches GiB", "verdict"};
  for (size_t i = 0; i < p.nodes.size(); ++i) {
    const auto& n = p.nodes[i];
    t.rows.push_back({std::to_string(i + 1) + (i == 0 ? " (head)" : " (worker)"), n.machine->name,
                      std::to_string(n.layers) + (n.output ? " + output" : ""), gib(n.placement.gpu_bytes),
                      gib(n.placement.gpu_limit), verdict_label(n.placement.verdict, n.machine->kind)});
  }
  t.notes.push_back(
      "Decode " + tps(p.decode_tps) + " t/s and prefill " + tps(p.prefill_tps) + " t/s (estimates, depth 0); " +
      (p.fits_one_node ? "one box alone: " + tps(p.single_decode_tps) +
                             " t/s, and the model fits one box: a cluster adds capacity, not speed."
                       : "one box would decode " + tps(p.single_decode_tps) + " t/s if it could hold it."));
  t.notes.push_back(
      "Each extra node costs about 5.7 ms per generated token over RPC (lhl's 1-4 node gpt-oss-120b runs); "
      "-sm tensor across nodes decoded at 0.27-0.40x of -sm layer in wkljohn's runs (bench/cluster).");
  t.notes.push_back(
      "-ts is in llama.cpp's device order: the RPC workers in --rpc order, then this box (src/llama.cpp puts RPC "
      "devices first); the box holding the output layer counts it as one more.");
  t.notes.push_back(
      "vLLM's tensor parallel (pick a vLLM backend) is the one mode measured to decode faster on more boxes "
      "(4x Strix Halo TP4 about 50-52 t/s vs TP2 39.8, maikzz32/strix-halo-vllm-cluster; 2x DGX Spark TP2 2.09x "
      "one box, unsloth PR #10280).");
  return t;
}

void write_cluster(JsonOut& o, const ClusterRequest& r, const ClusterPlan& p) {
  o.obj().field("model", r.model->id).field("quant", quant_name(r));
  o.field("backend", r.backend->id).field("link", r.link->id).field("verdict", verdict_id(p.verdict));
  o.field("mode", p.tensor_parallel ? "vllm-tp" : "rpc-layer");
  o.field("decode_tps", p.decode_tps)
      .field("prefill_tps", p.prefill_tps)
      .field("one_box_decode_tps", p.single_decode_tps);
  o.field("fits_one_node", p.fits_one_node).key("nodes").arr();
  for (const auto& n : p.nodes)
    o.obj()
        .field("machine", n.machine->id)
        .field("layers", double(n.layers))
        .field("output_layer", n.output)
        .field("gpu_bytes", n.placement.gpu_bytes)
        .field("host_bytes", n.placement.host_bytes)
        .field("gpu_limit", n.placement.gpu_limit)
        .field("verdict", verdict_id(n.placement.verdict))
        .end_obj();
  o.end_arr().key("commands").strs(p.commands).end_obj();
}

}  // namespace haloplan
