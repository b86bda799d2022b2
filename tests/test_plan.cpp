#include <catch2/catch.hpp>

#include "haloplan/planner/plan.h"
#include "haloplan/planner/setup.h"
#include "helpers.h"

using namespace haloplan;

namespace {
Scenario guide_scenario(const Catalog& c) {
  Scenario s;
  s.machine = c.machine("framework-desktop-128");
  s.ctx.n_ctx = 32768;
  return s;
}
Verdict verdict(const char* model, FType q, const Scenario& s, const char* backend = "llamacpp-vulkan") {
  const auto& c = test::shipped();
  return make_plan(c, *c.model(model), q, s).find(backend)->placement.verdict;
}
}  // namespace

TEST_CASE("Kernel-default GTT is half of the RAM the OS sees") {
  const auto& c = test::shipped();
  const auto p = machine_pools(*c.machine("framework-desktop-128"), {});
  CHECK(p.carve_out == 64 * kGiB);
  CHECK(p.os_visible == 64 * kGiB);
  CHECK(p.gtt == 32 * kGiB);
  Knobs k;
  k.carve_out_gib = 0.5;
  CHECK(machine_pools(*c.machine("framework-desktop-128"), k).gtt == Approx(63.75 * kGiB));
}

TEST_CASE("The guide's verdicts on its default machine") {
  const auto& c = test::shipped();
  const auto s = guide_scenario(c);
  // Qwen3-Coder-30B-A3B Q8 fits the carve-out with large headroom.
  const auto q = make_plan(c, *c.model("qwen3-coder-30b-a3b"), FType::Q8_0, s);
  CHECK(q.find("llamacpp-vulkan")->placement.verdict == Verdict::CarveOut);
  CHECK(q.find("llamacpp-vulkan")->placement.headroom > 25 * kGiB);
  // Llama 3.3 70B Q4 fits.
  CHECK(verdict("llama-3.3-70b", FType::Q4_K_M, s) == Verdict::CarveOut);
  // GLM-4.5-Air Q4 is tight: over the carve-out at 32K, only with GTT; ROCm on a kernel before
  // 6.10 (HIP in the carve-out only) cannot hold it.
  Scenario old_kernel = s;
  old_kernel.knobs.hip_gtt = false;
  CHECK(verdict("glm-4.5-air", FType::Q4_K_M, s) == Verdict::Gtt);
  CHECK(verdict("glm-4.5-air", FType::Q4_K_M, s, "llamacpp-rocm") == Verdict::Gtt);
  CHECK(verdict("glm-4.5-air", FType::Q4_K_M, old_kernel, "llamacpp-rocm") == Verdict::NoFit);
  // Kimi-Linear-48B-A3B fits.
  CHECK(verdict("kimi-linear-48b-a3b", FType::Q4_K_M, s) == Verdict::CarveOut);
  // Qwen3-235B-A22B Q3 does not fit UMA-first, fits GTT-first on Vulkan (not on carve-out-only ROCm).
  CHECK(verdict("qwen3-235b-a22b", FType::Q3_K_M, s) == Verdict::NoFit);
  Scenario gtt_first = s;
  for (const auto& col : setup_strategies(c, *s.machine, s.knobs))
    if (col.strategy->id == "gtt-first") gtt_first.knobs = col.knobs;
  CHECK(verdict("qwen3-235b-a22b", FType::Q3_K_M, gtt_first) == Verdict::Gtt);
  CHECK(verdict("qwen3-235b-a22b", FType::Q3_K_M, gtt_first, "llamacpp-rocm") == Verdict::Gtt);
  gtt_first.knobs.hip_gtt = false;
  CHECK(verdict("qwen3-235b-a22b", FType::Q3_K_M, gtt_first, "llamacpp-rocm") == Verdict::NoFit);
  // DeepSeek-V3 and Kimi-K2 at Q4 do not fit either way.
  CHECK(verdict("deepseek-v3", FType::Q4_K_M, s) == Verdict::NoFit);
  CHECK(verdict("kimi-k2", FType::Q4_K_M, s) == Verdict::NoFit);
  CHECK(verdict("deepseek-v3", FType::Q4_K_M, gtt_first) == Verdict::NoFit);
}

TEST_CASE("HIP stacks reach GTT on kernels 6.10+ and only the carve-out before, all alike") {
  // llama.cpp #18159: on kernels >= 6.10 HIP's available memory is VRAM + TTM; kyuz0
  // amd-strix-halo-toolboxes #98: on kernel 6.8 ROCm saw only ~63 GiB of a 64 GiB carve-out.
  const auto& c = test::shipped();
  auto s = guide_scenario(c);
  for (const char* b : {"llamacpp-rocm", "vllm-rocm", "ollama-rocm"}) {
    INFO(b);
    s.knobs.hip_gtt = true;
    CHECK(verdict("glm-4.5-air", FType::Q4_K_M, s, b) == Verdict::Gtt);
    s.knobs.hip_gtt = false;
    CHECK(verdict("glm-4.5-air", FType::Q4_K_M, s, b) == Verdict::NoFit);
  }
  CHECK(hip_reaches_gtt("") == true);
  CHECK(hip_reaches_gtt("6.8") == false);
  CHECK(hip_reaches_gtt("6.10") == true);
  CHECK(hip_reaches_gtt("6.18.4") == true);
  CHECK(hip_reaches_gtt("7.0") == true);
  CHECK(hip_reaches_gtt("older") == false);
  CHECK(!hip_reaches_gtt("6"));
  CHECK(!hip_reaches_gtt("6.x"));
  CHECK(!hip_reaches_gtt("6.10.1.2"));
}

TEST_CASE("A model that fills GTT leaves the OS below its reserve") {
  const auto& c = test::shipped();
  auto s = guide_scenario(c);
  s.knobs.carve_out_gib = 0.5;
  s.knobs.gtt_gib = 126;
  s.knobs.os_reserve_gib = 12;
  // Qwen3-235B Q3_K_M at 64K needs ~117 GiB: inside the 126.5 GiB pool, but the OS keeps only ~10 GiB.
  s.ctx.n_ctx = 65536;
  const auto p = make_plan(c, *c.model("qwen3-235b-a22b"), FType::Q3_K_M, s);
  CHECK(p.find("llamacpp-vulkan")->placement.verdict == Verdict::OsSqueeze);
}

TEST_CASE("Solvers: longest context, best quant, smallest GTT, smallest carve-out") {
  const auto& c = test::shipped();
  const auto s = guide_scenario(c);
  const Backend& vk = *c.backend("llamacpp-vulkan");
  const Backend& rocm = *c.backend("llamacpp-rocm");
  const auto* glm = c.model("llama-3.3-70b");
  // The longest context is the last one that fits: one more 256-cell step does not (ROCm on a
  // kernel before 6.10: the carve-out is the limit).
  Scenario old_kernel = s;
  old_kernel.knobs.hip_gtt = false;
  const int64_t mc = max_context(c, *glm, FType::Q4_K_M, old_kernel, rocm);
  REQUIRE(mc > 0);
  Scenario t = old_kernel;
  t.ctx.n_ctx = mc;
  CHECK(make_plan(c, *glm, FType::Q4_K_M, t).find("llamacpp-rocm")->placement.verdict == Verdict::CarveOut);
  t.ctx.n_ctx = mc + 256;
  CHECK(make_plan(c, *glm, FType::Q4_K_M, t).find("llamacpp-rocm")->placement.verdict == Verdict::NoFit);
  // A small model fits at its trained context.
  CHECK(max_context(c, *c.model("llama-3.1-8b"), FType::Q4_K_M, s, vk) == 131072);
  // Best quant for Qwen3-235B on UMA-first Vulkan is below Q3_K_M.
  const auto bq = best_quant(c, *c.model("qwen3-235b-a22b"), s, vk);
  REQUIRE(bq);
  CHECK(weight_breakdown(c.model("qwen3-235b-a22b")->arch, *bq).total_bytes <
        weight_breakdown(c.model("qwen3-235b-a22b")->arch, FType::Q3_K_M).total_bytes);
  // Smallest GTT that fits Qwen3-235B Q3_K_M with the guide's 64 GiB carve-out: more than the default 32.
  Scenario small = s;
  small.knobs.carve_out_gib = 0.5;
  const auto g = min_gtt_gib(c, *c.model("qwen3-235b-a22b"), FType::Q3_K_M, small, vk);
  REQUIRE(g);
  CHECK(*g > 100);
  CHECK(*g < 120);
  // Smallest carve-out option for Llama 3.3 70B on carve-out-only ROCm (kernel before 6.10) is 64.
  const auto co = min_carve_out_gib(c, *c.model("llama-3.3-70b"), FType::Q4_K_M, old_kernel, rocm);
  REQUIRE(co);
  CHECK(*co == 64);
}

TEST_CASE("Kernel parameters: pages = GiB x 262144") {
  CHECK(kernel_params(96).pages == 25165824);
  CHECK(kernel_params(120).pages == 31457280);
  CHECK(kernel_params(124).pages == 32505856);
  CHECK(kernel_params(128).cmdline == "ttm.pages_limit=33554432");
  CHECK(kernel_params(120).legacy_cmdline.find("amdgpu.gttsize=122880") != std::string::npos);
}

TEST_CASE("Decode speed falls with context depth and with model size") {
  const auto& c = test::shipped();
  const auto s = guide_scenario(c);
  const auto small = make_plan(c, *c.model("qwen3-coder-30b-a3b"), FType::Q4_K_M, s);
  const auto big = make_plan(c, *c.model("llama-3.3-70b"), FType::Q4_K_M, s);
  const auto* a = small.find("llamacpp-vulkan");
  const auto* b = big.find("llamacpp-vulkan");
  CHECK(a->decode_tps_ctx < a->decode_tps_0);
  CHECK(b->decode_tps_0 < a->decode_tps_0 / 5);
  // Never above the bandwidth ceiling of the weights alone.
  CHECK(b->decode_tps_0 < 256e9 / double(big.weights.decode_read_bytes));
}

TEST_CASE("llama-server's context checkpoints and prompt cache are host memory, counted up to their caps") {
  // tools/server/server-context.cpp: checkpoints only where memory cannot roll back (recurrent
  // or SWA layers), 32 per slot by default (common.h n_ctx_checkpoints); each is one slot's
  // recurrent state. Qwen3.6-35B-A3B: 30 gated-DeltaNet layers of (r + s) F32 values, r = 3 x
  // (4096 + 2 x 16 x 128) and s = 128 x 4096 (llama-hparams.cpp n_embd_r/n_embd_s).
  const auto& c = test::shipped();
  auto s = guide_scenario(c);
  const uint64_t per_slot = 30ull * (3 * (4096 + 2 * 16 * 128) + 128 * 4096) * 4;
  const auto q = make_plan(c, *c.model("qwen3.6-35b-a3b"), FType::Q4_K_M, s);
  CHECK(q.buffers.checkpoint_bytes == 32 * per_slot);
  CHECK(q.buffers.prompt_cache_bytes == 8192ull << 20);  // --cache-ram 8192 MiB (common.h)
  s.ctx.n_seq = 2;
  CHECK(make_plan(c, *c.model("qwen3.6-35b-a3b"), FType::Q4_K_M, s).buffers.checkpoint_bytes == 64 * per_slot);
  // A model whose cache can roll back makes none.
  CHECK(make_plan(c, *c.model("llama-3.1-8b"), FType::Q4_K_M, s).buffers.checkpoint_bytes == 0);
  s.ctx.ctx_checkpoints = 0;
  s.ctx.cache_ram_mib = 0;
  const auto off = make_plan(c, *c.model("qwen3.6-35b-a3b"), FType::Q4_K_M, s);
  CHECK(off.buffers.checkpoint_bytes == 0);
  CHECK(off.buffers.prompt_cache_bytes == 0);
}

TEST_CASE("vLLM pre-allocates 0.9 of the GPU memory it sees and refuses a model that needs more") {
  // vLLM --gpu-memory-utilization 0.9 (its default): the share is taken at start; the KV cache
  // gets what weights and activations leave.
  const auto& c = test::shipped();
  const auto s = guide_scenario(c);  // 64 GiB carve-out + 32 GiB GTT: vLLM sees 96 GiB
  const auto small = make_plan(c, *c.model("llama-3.1-8b"), FType::Q4_K_M, s).find("vllm-rocm")->placement;
  CHECK(small.gpu_bytes == Approx(0.9 * 96 * kGiB));
  CHECK(small.verdict == Verdict::Gtt);  // 86.4 GiB: past the carve-out into GTT
  // GLM-4.5-Air Q4_K_M needs about 72 GiB with vLLM's overhead: within 96, within 86.4 too;
  // Qwen3-235B Q3_K_M (about 105 GiB) is past both.
  CHECK(make_plan(c, *c.model("qwen3-235b-a22b"), FType::Q3_K_M, s).find("vllm-rocm")->placement.verdict ==
        Verdict::NoFit);
}

TEST_CASE("vLLM's decode band holds every measured vLLM run on Strix Halo") {
  // Decode t/s of vLLM on a Ryzen AI Max+ 395 (128 GB): Qwen3.6-35B-A3B AWQ 24.9 (hogeheer
  // strix-halo-guide); on ROCm/TheRock with --enforce-eager and TunableOp, Qwen3-Coder-30B-A3B
  // GPTQ-4bit ~35 and GPTQ-8bit ~25, Qwen3-Next-80B-A3B GPTQ-Int4 ~18, Qwen3-14B-AWQ ~12
  // (nerds-run/strix_halo_vllm@02d5475 docs/PERFORMANCE.md). Q4_0 (4.5 bits) and Q8_0 (8.5) stand
  // in for the 4- and 8-bit GPTQ/AWQ checkpoints. The family's llama.cpp band alone held two.
  const auto& c = test::shipped();
  Scenario s;
  s.machine = c.machine("framework-desktop-128");
  s.knobs.carve_out_gib = 0.5;
  s.knobs.gtt_gib = 120;
  struct Run {
    const char* model;
    FType quant;
    double tps;
  };
  int outside_family = 0;
  for (const Run r : {Run{"qwen3.6-35b-a3b", FType::Q4_0, 24.9}, Run{"qwen3-coder-30b-a3b", FType::Q4_0, 35},
                      Run{"qwen3-coder-30b-a3b", FType::Q8_0, 25}, Run{"qwen3-next-80b-a3b", FType::Q4_0, 18},
                      Run{"qwen3-14b", FType::Q4_0, 12}}) {
    const Plan plan = make_plan(c, *c.model(r.model), r.quant, s);
    const BackendPlan* bp = plan.find("vllm-rocm");
    REQUIRE(bp);
    INFO(r.model << " measured " << r.tps << " estimated " << bp->decode_tps_0);
    CHECK(r.tps >= bp->decode_tps_0 * bp->decode_lo);
    CHECK(r.tps <= bp->decode_tps_0 * bp->decode_hi);
    const SpeedParams& fam = c.backend("vllm-rocm")->speed;
    outside_family += r.tps < bp->decode_tps_0 * fam.decode_lo || r.tps > bp->decode_tps_0 * fam.decode_hi;
  }
  CHECK(outside_family >= 2);  // why vLLM needs a band of its own
}
