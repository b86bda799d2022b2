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
