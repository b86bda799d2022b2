#include "haloplan/planner/cluster.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace haloplan {

const std::vector<LinkKind>& link_kinds() {
  // USB4/Thunderbolt networking carries about 9.4 Gb/s (8.38 one way measured, wkljohn; reference
  // beyond-one-box.md section 3); Ethernet at its line rate.
  static const std::vector<LinkKind> k = {{"1gbe", "1 GbE", 1},       {"2.5gbe", "2.5 GbE", 2.5},
                                          {"10gbe", "10 GbE", 10},    {"25gbe", "25 GbE", 25},
                                          {"50gbe", "50 GbE", 50},    {"usb4", "USB4/Thunderbolt networking", 9.4},
                                          {"rdma", "RDMA (RoCE)", 25}};
  return k;
}

const LinkKind* link_kind(const std::string& id) {
  for (const auto& l : link_kinds())
    if (id == l.id) return &l;
  return nullptr;
}

std::string link_kind_ids() {
  std::string ids;
  for (const auto& l : link_kinds()) ids += (ids.empty() ? "" : ", ") + std::string(l.id);
  return ids;
}

std::vector<int> layer_devices(const std::vector<double>& split, int n_layer) {
  // llama.cpp sums the proportions into split points in float and compares float(il) / (n + 1).
  std::vector<float> points;
  float sum = 0;
  for (double v : split) points.push_back(sum += float(v));
  std::vector<int> dev(size_t(std::max(0, n_layer)) + 1, 0);
  if (points.empty() || sum <= 0) return dev;
  for (auto& p : points) p /= sum;
  for (int il = 0; il <= n_layer; ++il) {
    const float x = float(il) / float(n_layer + 1);
    const auto k = std::upper_bound(points.begin(), points.end(), x) - points.begin();
    dev[size_t(il)] = int(std::min<std::ptrdiff_t>(k, std::ptrdiff_t(points.size()) - 1));
  }
  return dev;
}

namespace {

// A node set up as the scenario's own box runs at the scenario plan's speed.
bool same_setup(const ClusterNode& n, const Scenario& s) {
  return n.machine == s.machine && n.knobs.carve_out_gib == s.knobs.carve_out_gib &&
         n.knobs.gtt_gib == s.knobs.gtt_gib && n.knobs.hip_gtt == s.knobs.hip_gtt;
}

// The backend's part of the one-box plan, and the cluster's one-box figures from it.
const BackendPlan* one_box(const Plan& one, const Backend& b, ClusterPlan& out) {
  const BackendPlan* bp = one.find(b.id);
  if (bp) {
    out.single_decode_tps = bp->decode_tps_0;
    out.fits_one_node = bp->placement.verdict == Verdict::CarveOut || bp->placement.verdict == Verdict::Gtt;
  }
  return bp;
}

}  // namespace

double cluster_decode_seconds(double one_box_seconds, int nodes) {
  return one_box_seconds + std::max(0, nodes - 1) * kRpcHopSeconds;
}

ClusterPlan plan_cluster(const Catalog& c, const CatalogModel& model, FType quant, const Scenario& s,
                         const std::vector<ClusterNode>& nodes, const Backend& b, const LinkKind& link,
                         const std::vector<double>& split, const std::string& launch) {
  ClusterPlan out;
  if (nodes.empty() || !s.machine) return out;
  const Plan one = make_plan(c, model, quant, s);
  const BackendPlan* bp = one_box(one, b, out);
  if (!bp) return out;
  // What every node holds once (its compute buffer and runtime), what only one does (the output
  // head on the last device, the projector on the head) and what is split with the layers.
  const double per_node = double(one.buffers.compute_bytes) + bp->overhead_bytes;
  const double output_head =
      double(model.arch.tied_embeddings ? one.weights.output_copy_bytes : one.weights.output_bytes);
  const double projector = double(one.projector_bytes);
  const double layered = std::max(0.0, bp->placement.gpu_bytes - per_node - output_head - projector);
  const size_t n = nodes.size();
  std::vector<Pools> pools;
  std::vector<double> free(n), share(n);
  for (size_t i = 0; i < n; ++i) {
    pools.push_back(machine_pools(*nodes[i].machine, nodes[i].knobs));
    const double limit = pools[i].carve_out + (backend_reaches_gtt(b, nodes[i].knobs) ? pools[i].gtt : 0.0);
    // The head is llama.cpp's last device, so it holds the output head by default.
    free[i] = std::max(0.0, limit - per_node - (i == 0 ? output_head + projector : 0.0));
  }
  // llama.cpp's device order: the workers in --rpc order, then the head.
  std::vector<size_t> node_of(n);
  for (size_t k = 0; k < n; ++k) node_of[k] = (k + 1) % n;
  const bool by_split = split.size() == n && std::accumulate(split.begin(), split.end(), 0.0) > 0;
  std::vector<double> weights(n);
  for (size_t k = 0; k < n; ++k) weights[k] = by_split ? split[k] : free[node_of[k]];
  const int n_layer = std::max(1, model.arch.n_layer);
  const std::vector<int> dev = layer_devices(weights, n_layer);
  for (size_t i = 0; i < n; ++i) out.nodes.push_back({nodes[i].machine, 0, false, 0, 0, {}});
  std::vector<int> slots(n, 0);  // layers and the output layer per device: the -ts that gives them
  for (int il = 0; il <= n_layer; ++il) {
    const size_t k = size_t(dev[size_t(il)]);
    ++slots[k];
    NodePlan& np = out.nodes[node_of[k]];
    if (il < n_layer) ++np.layers;
    else np.output = true;
  }
  double decode_s = 0, prefill_s = 0;
  const int ubatch = std::max(1, s.ctx.n_ubatch);
  bool all_fit = true, gtt = false;
  for (size_t i = 0; i < n; ++i) {
    NodePlan& np = out.nodes[i];
    np.share = double(np.layers) / n_layer;
    const double gpu = np.share * layered + per_node + (np.output ? output_head : 0.0) + (i == 0 ? projector : 0.0);
    // The head keeps the host side: token_embd, the logits and the CPU compute buffer.
    const double host = i == 0 ? bp->placement.host_bytes : 0.0;
    np.need_bytes = gpu;
    np.placement = place(pools[i], backend_reaches_gtt(b, nodes[i].knobs), gpu, host);
    const Verdict v = np.placement.verdict;
    all_fit &= v == Verdict::CarveOut || v == Verdict::Gtt;
    gtt |= v == Verdict::Gtt;
    // This node's layers at its own machine's speed (the head's plan for a node like the head).
    const bool like_head = same_setup(nodes[i], s);
    std::optional<Plan> other;
    if (!like_head) {
      Scenario si = s;
      si.machine = nodes[i].machine;
      si.knobs = nodes[i].knobs;
      other = make_plan(c, model, quant, si);
    }
    const Plan& pi = other ? *other : one;
    if (const BackendPlan* bi = pi.find(b.id); bi && bi->decode_tps_0 > 0 && bi->prefill_tps > 0) {
      decode_s += np.share / bi->decode_tps_0;
      prefill_s += np.share / bi->prefill_tps;
    }
  }
  out.verdict = !one.error.empty() ? Verdict::Refused
                : all_fit          ? (gtt ? Verdict::Gtt : Verdict::CarveOut)
                                   : Verdict::NoFit;
  const int extra = int(n) - 1;
  decode_s += extra * kRpcHopSeconds;
  // Each prompt token's activations (f32, n_embd) cross every link; each ubatch pays the hop.
  prefill_s += extra * (4.0 * double(model.arch.n_embd) / (link.gbps * 1e9 / 8) + kRpcHopSeconds / ubatch);
  out.decode_tps = decode_s > 0 ? 1 / decode_s : 0;
  out.prefill_tps = prefill_s > 0 ? 1 / prefill_s : 0;
  // rpc-server on each worker (-c keeps a local tensor cache, so a reload need not resend the
  // weights); the head names them in order and splits by -ts in llama.cpp's device order, each
  // device's layers with the output layer counted on the one that holds it: split points at
  // whole slots of n_layer + 1 give exactly these layers.
  std::string rpc, ts;
  for (size_t i = 1; i < n; ++i) {
    out.commands.push_back("# node " + std::to_string(i + 1) + ": rpc-server -H 0.0.0.0 -p 50052 -c");
    rpc += (i > 1 ? "," : "") + std::string("NODE") + std::to_string(i + 1) + ":50052";
  }
  for (size_t k = 0; k < n; ++k) ts += (k ? "," : "") + std::to_string(slots[k]);
  if (!launch.empty() && n > 1) {
    std::string head = launch;
    if (head.find("--no-mmap") == std::string::npos) head += " --no-mmap";
    out.commands.push_back("# node 1 (head): " + head + " --rpc " + rpc + " -ts " + ts);
  }
  return out;
}

std::string tensor_parallel_problem(const ModelArch& a, int n) {
  if (n < 2) return "";
  const std::string ns = std::to_string(n);
  if (a.n_head <= 0 || a.n_head % n != 0)
    return "vLLM's tensor parallel needs the attention heads (" + std::to_string(a.n_head) + ") divisible by " + ns;
  // The recurrent layers shard by head too: Mamba2's heads (mamba_mixer2.py: "Tensor parallel
  // world size must divide num heads"; its groups may be replicated), and Gated DeltaNet's key
  // and value heads alike (divide(num_k_heads, tp_size), divide(num_v_heads, tp_size)).
  if (a.recurrent) {
    const RecurrentParams& r = *a.recurrent;
    if (r.n_head > 0 && r.n_head % n != 0)
      return "vLLM's tensor parallel needs the recurrent layers' heads (" + std::to_string(r.n_head) +
             ") divisible by " + ns;
    if (r.kind == RecurrentKind::GatedDeltaNet && r.n_group > 0 && r.n_group % n != 0)
      return "vLLM's tensor parallel needs the recurrent layers' key heads (" + std::to_string(r.n_group) +
             ") divisible by " + ns;
  }
  if (a.attention == AttentionKind::Mla) return "";
  for (const int kv : {a.n_head_kv, a.swa_n_head_kv})
    if (kv > 0 && kv % n != 0 && n % kv != 0)
      return "vLLM's tensor parallel splits the " + std::to_string(kv) + " KV heads evenly or replicates them: " + ns +
             " ranks do neither";
  return "";
}

ClusterPlan plan_tensor_parallel(const Catalog& c, const CatalogModel& model, FType quant, const Scenario& s,
                                 const std::vector<ClusterNode>& nodes, const Backend& b, const LinkKind& link,
                                 const std::string& launch) {
  ClusterPlan out;
  out.tensor_parallel = true;
  if (nodes.empty() || !s.machine) return out;
  const Plan one = make_plan(c, model, quant, s);
  const BackendPlan* bp = one_box(one, b, out);
  if (!bp) return out;
  const int n = int(nodes.size());
  const ModelArch& a = model.arch;
  // A rank's share of a cache with `heads` KV heads: at least one whole head (MLA: all of it).
  const auto kv_share = [&](int heads) {
    if (a.attention == AttentionKind::Mla || heads <= 0) return 1.0;
    return double(std::max(1, heads / n)) / heads;
  };
  const double kv_node = double(one.kv.full_bytes) * kv_share(a.n_head_kv) +
                         double(one.kv.swa_bytes) * kv_share(a.swa_n_head_kv > 0 ? a.swa_n_head_kv : a.n_head_kv);
  // What each rank holds: its shard of the weights, the projector and the recurrent state, its KV
  // heads, and a whole compute buffer and runtime of its own.
  const double sharded = double(one.weights.total_bytes + one.weights.output_copy_bytes) + double(one.projector_bytes) +
                         double(one.kv.state_bytes);
  const double need = sharded / n + kv_node + double(one.buffers.compute_bytes) + b.runtime_overhead_mib * 1048576.0;
  bool all_fit = true, gtt = false;
  double decode_s = 0, prefill_s = 0;
  for (int i = 0; i < n; ++i) {
    const Pools pools = machine_pools(*nodes[size_t(i)].machine, nodes[size_t(i)].knobs);
    const bool reach = backend_reaches_gtt(b, nodes[size_t(i)].knobs);
    const double budget =
        b.preallocate_fraction > 0 ? b.preallocate_fraction * (pools.carve_out + (reach ? pools.gtt : 0.0)) : need;
    Placement pl = place(pools, reach, std::max(need, budget), 0.0);
    if (need > budget) pl.verdict = Verdict::NoFit, pl.headroom = budget - need;
    NodePlan np{nodes[size_t(i)].machine, a.n_layer, i == 0, 1.0 / n, need, pl};
    all_fit &= pl.verdict == Verdict::CarveOut || pl.verdict == Verdict::Gtt;
    gtt |= pl.verdict == Verdict::Gtt;
    // The ranks step together: the slowest node's 1/N of its one-box time sets the pace.
    double d = 0, p = 0;
    if (same_setup(nodes[size_t(i)], s)) d = bp->decode_tps_0, p = bp->prefill_tps;
    else {
      Scenario si = s;
      si.machine = nodes[size_t(i)].machine;
      si.knobs = nodes[size_t(i)].knobs;
      const Plan pi = make_plan(c, model, quant, si);
      if (const BackendPlan* bi = pi.find(b.id)) d = bi->decode_tps_0, p = bi->prefill_tps;
    }
    if (d > 0) decode_s = std::max(decode_s, 1.0 / (d * n));
    if (p > 0) prefill_s = std::max(prefill_s, 1.0 / (p * n));
    out.nodes.push_back(np);
  }
  out.verdict = !one.error.empty() ? Verdict::Refused
                : all_fit          ? (gtt ? Verdict::Gtt : Verdict::CarveOut)
                                   : Verdict::NoFit;
  const double reduces = 2.0 * a.n_layer + 1;
  decode_s += reduces * kTpAllReduceSeconds;
  // A prompt token's activations (bf16, n_embd) go through every all-reduce: a ring sends
  // 2 (N - 1) / N of them over each node's link; each ubatch pays the latencies once.
  const double ubatch = std::max(1, s.ctx.n_ubatch);
  prefill_s += reduces * (2.0 * a.n_embd * 2.0 * (n - 1) / n / (link.gbps * 1e9 / 8) + kTpAllReduceSeconds / ubatch);
  out.decode_tps = decode_s > 0 ? 1 / decode_s : 0;
  out.prefill_tps = prefill_s > 0 ? 1 / prefill_s : 0;
  // Ray joins the boxes (the head first); vLLM runs on the head and starts a rank on each node.
  out.commands.push_back("# every node: the same vLLM build and the model at the same path");
  out.commands.push_back("# node 1 (head): ray start --head --port 6379");
  for (int i = 1; i < n; ++i)
    out.commands.push_back("# node " + std::to_string(i + 1) + ": ray start --address NODE1:6379");
  if (!launch.empty())
    out.commands.push_back("# node 1 (head): " + launch + " --tensor-parallel-size " + std::to_string(n) +
                           " --distributed-executor-backend ray");
  return out;
}

}  // namespace haloplan
