// Clusters of unified-memory boxes over llama.cpp RPC (-sm layer), against measured cluster runs.
#include <algorithm>
#include <catch2/catch.hpp>
#include <numeric>

#include "haloplan/planner/cluster.h"
#include "helpers.h"

using namespace haloplan;
using haloplan::test::shipped;

namespace {

Scenario box(double carve, std::optional<double> gtt) {
  Scenario s;
  s.machine = shipped().machine("framework-desktop-128");
  s.knobs.carve_out_gib = carve;
  s.knobs.gtt_gib = gtt;
  return s;
}

ClusterPlan cluster(const char* model, FType q, const Scenario& s, int n, const char* link = "50gbe",
                    std::vector<double> ts = {}) {
  std::vector<ClusterNode> nodes(size_t(n), ClusterNode{s.machine, s.knobs});
  return plan_cluster(shipped(), *shipped().model(model), q, s, nodes, *shipped().backend("llamacpp-vulkan"),
                      *link_kind(link), ts, "llama-server -m x.gguf");
}

}  // namespace

TEST_CASE("cluster: MiniMax-M2 Q6_K needs two boxes and decodes as kyuz0's 2-node 50 GbE run did") {
  // 180.94 GiB of weights; 2x Framework Desktop over 50 GbE, RPC layer split: tg128 18-19 t/s
  // (kyuz0/amd-strix-halo-toolboxes cluster logs, reference beyond-one-box.md section 3).
  const Scenario s = box(0.5, 120);
  const ClusterPlan one = cluster("minimax-m2", FType::Q6_K, s, 2);
  CHECK_FALSE(one.fits_one_node);
  CHECK((one.verdict == Verdict::Gtt || one.verdict == Verdict::CarveOut));
  CHECK(one.decode_tps >= 18.0 * 0.8);
  CHECK(one.decode_tps <= 19.0 * 1.25);
  int layers = 0;
  for (const auto& n : one.nodes) layers += n.layers;
  CHECK(layers == shipped().model("minimax-m2")->arch.n_layer);
}

TEST_CASE("cluster: a model that fits one box is not faster on two, three or four") {
  const Scenario s = box(64, std::nullopt);
  double last = 1e9;
  for (int n = 2; n <= 4; ++n) {
    const ClusterPlan p = cluster("gpt-oss-120b", FType::MXFP4_MOE, s, n);
    CHECK(p.fits_one_node);
    CHECK(p.decode_tps < p.single_decode_tps);
    CHECK(p.decode_tps < last);
    last = p.decode_tps;
  }
}

TEST_CASE("cluster: -ts splits the layers as llama.cpp does, and the commands name every worker") {
  // llama.cpp puts the RPC devices first, then the local GPU (src/llama.cpp, "add RPC servers at
  // the front of the list"), and gives layer il of n (il = n: the output layer) to the first
  // device whose cumulative share exceeds il / (n + 1) (src/llama-model.cpp, load_tensors).
  // gpt-oss-120b has 36 layers: with -ts 1,3 the worker (device 0, share 0.25) takes the layers
  // il / 37 < 0.25, il 0-9, ten of them; the head takes layers 10-35 and the output layer.
  const Scenario s = box(0.5, 120);
  const ClusterPlan p = cluster("gpt-oss-120b", FType::MXFP4_MOE, s, 2, "usb4", {1, 3});
  REQUIRE(p.nodes.size() == 2);
  CHECK(p.nodes[0].layers == 26);  // the head
  CHECK(p.nodes[0].output);
  CHECK(p.nodes[1].layers == 10);  // the worker
  CHECK_FALSE(p.nodes[1].output);
  REQUIRE(p.commands.size() == 2);
  CHECK(p.commands[0].find("rpc-server") != std::string::npos);
  // Printed in device order, the output layer counted where it lands: the same split again.
  CHECK(p.commands[1].find("--rpc NODE2:50052 -ts 10,27") != std::string::npos);
}

TEST_CASE("cluster: llama.cpp's layer rule, worked by hand") {
  // 4 layers and the output layer over -ts 1,1: split points 0.5 and 1; il / 5 = 0, 0.2, 0.4
  // go to device 0, 0.6, 0.8 (layer 3 and the output) to device 1.
  CHECK(layer_devices({1, 1}, 4) == std::vector<int>{0, 0, 0, 1, 1});
  // A device given 0 takes nothing; three devices 1,0,1 over 4 layers: 0, 0, 0, 2, 2.
  CHECK(layer_devices({1, 0, 1}, 4) == std::vector<int>{0, 0, 0, 2, 2});
  // Whole slots of n + 1 reproduce themselves: -ts 10,27 over 36 layers gives 10 and 26 + output.
  const auto d = layer_devices({10, 27}, 36);
  CHECK(std::count(d.begin(), d.end(), 0) == 10);
  CHECK(d.back() == 1);
}

TEST_CASE("cluster: Tulu-3-405B Q4_K_M needs four boxes and decodes as lhl's 4-node run did") {
  // 226.37 GiB (llama-bench); four Framework Desktops over RPC, Vulkan: tg128 0.88 t/s
  // (lhl/strix-halo-testing@5ee14b5 rpc-test/README.md; bench/data/llama_bench_cluster.csv).
  const Scenario s = box(0.5, 120);
  const ClusterPlan p = cluster("tulu-3-405b", FType::Q4_K_M, s, 4, "10gbe");
  CHECK_FALSE(p.fits_one_node);
  CHECK((p.verdict == Verdict::Gtt || p.verdict == Verdict::CarveOut));
  CHECK(p.decode_tps >= 0.88 * 0.8);
  CHECK(p.decode_tps <= 0.88 * 1.25);
}

TEST_CASE("cluster: Qwen3.6-27B Q6_K on two boxes decodes as wkljohn's runs did, slower than on one") {
  // wkljohn/llama.cpp-strix-halo-RCCL-RDMA@f69a8a7 odinlink/RESULTS.md: one box 9.50 t/s tg128,
  // two boxes over RDMA with -sm layer 9.07-9.16, over bonded Thunderbolt TCP 8.83 (ROCm 7.2).
  const Scenario s = box(0.5, 120);
  const ClusterPlan p = cluster("qwen3.6-27b", FType::Q6_K, s, 2, "rdma");
  CHECK(p.fits_one_node);
  CHECK(p.decode_tps < p.single_decode_tps);
  CHECK(p.decode_tps >= 9.16 * 0.8);
  CHECK(p.decode_tps <= 9.07 * 1.2);
  CHECK(p.single_decode_tps >= 9.50 * 0.8);
  CHECK(p.single_decode_tps <= 9.50 * 1.2);
}

namespace {

ClusterPlan tensor_parallel(const char* model, FType q, const Scenario& s, int n, const char* link = "rdma") {
  std::vector<ClusterNode> nodes(size_t(n), ClusterNode{s.machine, s.knobs});
  return plan_tensor_parallel(shipped(), *shipped().model(model), q, s, nodes, *shipped().backend("vllm-rocm"),
                              *link_kind(link), "vllm serve x");
}

}  // namespace

TEST_CASE("vLLM tensor parallel: which rank counts shard a model, by vLLM's rules") {
  // vLLM needs the attention heads divisible by the ranks (ModelConfig.verify_with_parallel_config)
  // and the KV heads divisible by the ranks or the ranks by them (QKVParallelLinear partitions or
  // replicates). Head counts from the models' config.json (the shipped catalog's sources).
  const auto problem = [](const char* id, int n) { return tensor_parallel_problem(shipped().model(id)->arch, n); };
  // Qwen2.5-7B: 28 heads, 4 KV heads. 28 / 3 is not whole; 2 and 4 divide both.
  CHECK(problem("qwen2.5-7b", 2).empty());
  CHECK(problem("qwen2.5-7b", 3).find("attention heads (28) divisible by 3") != std::string::npos);
  CHECK(problem("qwen2.5-7b", 4).empty());
  // Qwen3.6-27B: 24 attention heads and 48 Gated DeltaNet value heads divide by 3, its 16 key
  // heads do not (and its 4 KV heads would not either).
  CHECK(problem("qwen3.6-27b", 3).find("key heads (16) divisible by 3") != std::string::npos);
  CHECK(problem("qwen3.6-27b", 4).empty());
  // Granite-4.0-H-Tiny: 12 attention heads, 48 Mamba2 heads, 4 KV heads; its one Mamba2 group is
  // replicated, so 2 and 4 ranks work, 3 does not (4 KV heads).
  CHECK(problem("granite-4.0-h-tiny", 2).empty());
  CHECK(problem("granite-4.0-h-tiny", 4).empty());
  CHECK(problem("granite-4.0-h-tiny", 3).find("4 KV heads") != std::string::npos);
  // Phi-4: 40 heads divide by 4; 10 KV heads do not, nor 4 them.
  CHECK(problem("phi-4", 4).find("10 KV heads") != std::string::npos);
  CHECK(problem("phi-4", 2).empty());
  // Qwen3-Next-80B-A3B: 2 KV heads on 4 ranks are replicated (4 = 2 x 2).
  CHECK(problem("qwen3-next-80b-a3b", 4).empty());
  // DeepSeek-V3: MLA's latent cache has no KV heads to split; 128 heads divide by 4.
  CHECK(problem("deepseek-v3", 4).empty());
}

TEST_CASE("vLLM tensor parallel: weights split N ways, the KV by heads, one whole head per rank") {
  const Scenario s = box(0.5, 120);
  // Llama-3.3-70B has 8 KV heads: 2 ranks hold 4 each, 4 ranks 2 each. From 2 ranks to 4 a node
  // sheds a quarter of the weights and a quarter of the KV cache; its compute buffer stays.
  {
    const Plan one = make_plan(shipped(), *shipped().model("llama-3.3-70b"), FType::Q4_K_M, s);
    const double weights = double(one.weights.total_bytes + one.weights.output_copy_bytes);
    const double kv = double(one.kv.kv_bytes());
    const ClusterPlan p2 = tensor_parallel("llama-3.3-70b", FType::Q4_K_M, s, 2);
    const ClusterPlan p4 = tensor_parallel("llama-3.3-70b", FType::Q4_K_M, s, 4);
    REQUIRE(p2.nodes.size() == 2);
    REQUIRE(p4.nodes.size() == 4);
    CHECK(p2.nodes[0].need_bytes - p4.nodes[0].need_bytes == Approx(weights / 4 + kv / 4).epsilon(1e-9));
    // Every node holds the same: no head-node extras as with RPC.
    CHECK(p4.nodes[3].need_bytes == Approx(p4.nodes[0].need_bytes));
  }
  // Qwen3.5-122B-A10B has 2 KV heads: 2 ranks hold one each, and 4 ranks still one each
  // (replicated), so from 2 ranks to 4 only the weights and the recurrent state shrink.
  {
    const Plan one = make_plan(shipped(), *shipped().model("qwen3.5-122b-a10b"), FType::Q4_K_M, s);
    const double sharded = double(one.weights.total_bytes + one.weights.output_copy_bytes + one.kv.state_bytes);
    const ClusterPlan p2 = tensor_parallel("qwen3.5-122b-a10b", FType::Q4_K_M, s, 2);
    const ClusterPlan p4 = tensor_parallel("qwen3.5-122b-a10b", FType::Q4_K_M, s, 4);
    CHECK(p2.nodes[0].need_bytes - p4.nodes[0].need_bytes == Approx(sharded / 4).epsilon(1e-9));
    // Each of the 4 holds half the KV cache: what is left after its weights and buffers.
    const double rest = p4.nodes[0].need_bytes - sharded / 4 - double(one.buffers.compute_bytes);
    CHECK(rest - double(one.kv.kv_bytes()) / 2 ==
          Approx(shipped().backend("vllm-rocm")->runtime_overhead_mib * 1048576.0));
  }
}

TEST_CASE("vLLM tensor parallel: decodes faster on two boxes, not past the measured 2.09x") {
  // Unlike RPC's layer split, tensor parallel runs the boxes at once: 2x DGX Spark TP2 decoded
  // 2.09x one box (TPOT 332.7 -> 162.4 ms, unsloth PR #10280), 4x Strix Halo TP4 gained over TP2
  // (50-52 vs 39.8 t/s, maikzz32/strix-halo-vllm-cluster; reference beyond-one-box.md section 3).
  // Each token still waits on two all-reduces per layer and one for the logits.
  const Scenario s = box(0.5, 120);
  const ClusterPlan p2 = tensor_parallel("llama-3.3-70b", FType::Q8_0, s, 2);
  const ClusterPlan p4 = tensor_parallel("llama-3.3-70b", FType::Q8_0, s, 4);
  REQUIRE(p2.single_decode_tps > 0);
  CHECK(p2.decode_tps > 1.2 * p2.single_decode_tps);
  CHECK(p2.decode_tps <= 2.09 * p2.single_decode_tps);
  CHECK(p4.decode_tps > p2.decode_tps);
  // Each of the two holds half of what one box needs, inside the same 0.9 pre-allocation.
  CHECK((p2.verdict == Verdict::Gtt || p2.verdict == Verdict::CarveOut));
  CHECK(p2.nodes[0].need_bytes < p2.nodes[0].placement.gpu_bytes);
  // The launch: Ray on every box, one vllm serve on the head with the rank count.
  REQUIRE(p2.commands.size() >= 3);
  CHECK(p2.commands.back().find("--tensor-parallel-size 2 --distributed-executor-backend ray") != std::string::npos);
}
