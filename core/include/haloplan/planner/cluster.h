// Layer: planner. Two to four unified-memory boxes joined by llama.cpp RPC with -sm layer: each
// node a device with its own pools (as on one box), whole layers with their KV cache split in
// proportion to the memory each node has free (or by -ts), one compute buffer per node (no
// pipeline copies over RPC), the head node's host side (token_embd, logits, CPU compute buffer).
// Decode walks the layers node after node: each node's share of the one-box time on its own
// machine, plus a per-token cost for every extra node; prefill adds the activations sent over
// the link. Facts and figures: reference beyond-one-box.md, section 3.
//
// Layers go to devices as llama.cpp gives them (the release bench/oracle/VERSION names):
// llama.cpp lists the RPC devices first, in --rpc order, then the local GPU ("add RPC servers at
// the front of the list", llama_model_load_from_file_impl in src/llama.cpp), and -ts gives one
// proportion per device in that order. Layer il of n (il = n is the output layer) goes to the
// first device whose cumulative share exceeds il / (n + 1) (llama_model::load_tensors,
// src/llama-model.cpp), so the output head lands on the last device: the head's own GPU.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "haloplan/planner/plan.h"

namespace haloplan {

struct LinkKind {
  const char* id;
  const char* name;
  double gbps;  // one way, as the link carries TCP (theoretical for Ethernet; measured for USB4)
};
// 1, 2.5, 10, 25, 50 GbE, USB4/Thunderbolt networking (about 9.4 Gb/s), RDMA over either.
const std::vector<LinkKind>& link_kinds();
const LinkKind* link_kind(const std::string& id);
// Their ids, comma-separated, for a message that names what is known.
std::string link_kind_ids();

// The cost per generated token of each node beyond the first over llama.cpp RPC, fitted on
// lhl's gpt-oss-120b runs on 1-4 Framework Desktops (tg128 33.50, 28.87, 23.02, 21.61 t/s:
// 4.8, 6.8 and 5.5 ms per extra node, lhl/strix-halo-testing rpc-test/README.md @5ee14b5).
constexpr double kRpcHopSeconds = 5.7e-3;

struct ClusterNode {
  const Machine* machine = nullptr;
  Knobs knobs;
};

struct NodePlan {
  const Machine* machine = nullptr;
  int layers = 0;
  bool output = false;    // holds the output layer (the vocabulary x embedding head)
  double share = 0;       // of the layers
  double need_bytes = 0;  // what its part needs on the GPU side (a pre-allocating backend takes more)
  Placement placement;
};

struct ClusterPlan {
  bool tensor_parallel = false;  // vLLM tensor parallel (every layer split evenly), not RPC layers
  std::vector<NodePlan> nodes;   // the head first
  Verdict verdict = Verdict::NoFit;
  double decode_tps = 0, prefill_tps = 0;  // depth 0 and the scenario's prompt
  double single_decode_tps = 0;            // the same model on the head's machine alone
  bool fits_one_node = false;              // the head alone could hold it
  std::vector<std::string> commands;       // rpc-server on each worker, then the head's llama-server
};

// The device each of layers 0..n_layer (n_layer: the output layer) goes to, by llama.cpp's rule
// above, for proportions `split` in device order (all zero or empty: device 0 takes everything).
std::vector<int> layer_devices(const std::vector<double>& split, int n_layer);

// Plans `model` at `quant` (scenario `s`: the head's machine and knobs, context, cache) over
// `nodes` (the head first, then the workers in --rpc order) on backend `b`. `split`: -ts
// proportions as llama-server takes them, in its device order (the workers, then the head);
// empty: by the memory each node has free. `launch`: the head's llama-server command for one
// box (launch_command), or empty.
ClusterPlan plan_cluster(const Catalog& c, const CatalogModel& model, FType quant, const Scenario& s,
                         const std::vector<ClusterNode>& nodes, const Backend& b, const LinkKind& link,
                         const std::vector<double>& split, const std::string& launch);

// vLLM tensor parallel over the boxes (Ray starts the workers; RCCL all-reduces over the link).
// Every rank holds 1/N of every weight (vocabulary-parallel embedding and head included) and of
// the KV heads, at least one whole KV head each (vLLM ModelConfig.get_num_kv_heads: max(1,
// n_kv / N); MLA's latent cache is whole on every rank); each node pre-allocates its
// --gpu-memory-utilization share as on one box. A token's decode is 1/N of the one-box vLLM
// time on the slowest node plus 2 all-reduces per layer (attention output, MLP or MoE) and one
// for the logits. Uncalibrated: no measured row names its model (reference beyond-one-box.md,
// section 3).
//
// The all-reduce's latency: about 105 us over Thunderbolt 4 RoCE (davidcanar/vllm-strix-halo,
// reference beyond-one-box.md section 3), the one measured figure; over TCP it is slower.
constexpr double kTpAllReduceSeconds = 105e-6;
// Why vLLM cannot shard the model over n ranks ("" when it can): the attention heads must divide
// by n (ModelConfig.verify_with_parallel_config), and the KV heads divide by n or n by them
// (QKVParallelLinear's partition or replication).
std::string tensor_parallel_problem(const ModelArch& a, int n);
// `b` is a vLLM backend; `launch`: its one-box `vllm serve` command, or empty.
ClusterPlan plan_tensor_parallel(const Catalog& c, const CatalogModel& model, FType quant, const Scenario& s,
                                 const std::vector<ClusterNode>& nodes, const Backend& b, const LinkKind& link,
                                 const std::string& launch);

// Decode seconds per token over `nodes` boxes from the one-box seconds: the layers run node after
// node, and each extra node adds kRpcHopSeconds.
double cluster_decode_seconds(double one_box_seconds, int nodes);

}  // namespace haloplan
