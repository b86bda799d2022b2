// Several models resident at once: the set placed together, what makes it fit, the launch files.
#include <catch2/catch.hpp>

#include "haloplan/view/answer.h"
#include "haloplan/view/resident.h"
#include "haloplan/view/scenario.h"
#include "helpers.h"

using namespace haloplan;
using haloplan::test::shipped;

namespace {

ViewState member(const char* model, const char* quant, int64_t ctx, const char* machine = "framework-desktop-128") {
  ViewState s;
  s.machine = machine;
  s.model = model;
  s.quant = quant;
  s.quants = {quant};
  s.ctx = ctx;
  std::vector<Notice> n;
  validate_state(s, shipped(), n);
  REQUIRE(n.empty());
  return s;
}

// The chat model, embedder and second chat model of the example.
std::vector<ViewState> coder_embedder_air() {
  return {member("qwen3-coder-30b-a3b", "Q8_0", 65536), member("qwen3-embedding-0.6b", "Q8_0", 8192),
          member("glm-4.5-air", "Q4_K_M", 65536)};
}

}  // namespace

TEST_CASE("resident: two 35B-A3B models at 32K run side by side on a 128 GB Strix Halo, as people run them") {
  // joryirving/home-ops PR #7667 keeps two 35B models resident on one Strix Halo (reference
  // beyond-one-box.md, section 2); Qwen3.6-35B-A3B's UD-Q4_K_XL is about 21 GiB.
  const ResidentSet s = plan_set(
      shipped(), {member("qwen3.6-35b-a3b", "unsloth:UD-Q4_K_XL", 32768), member("qwen3.5-35b-a3b", "Q4_K_M", 32768)});
  CHECK(s.fits());
  CHECK(s.placement.gpu_bytes < 64 * kGiB);  // both within the stock 64 GiB carve-out's reach
}

TEST_CASE("resident: a set is placed as the sum of its servers, and counts each runtime once per server") {
  const auto members = coder_embedder_air();
  const ResidentSet s = plan_set(shipped(), members);
  REQUIRE(s.plans.size() == 3);
  double alone = 0;
  for (size_t i = 0; i < 3; ++i) {
    const Plan p = cell_plan(shipped(), s.cells[i], scenario_for(members[i], shipped()));
    alone += p.find("llamacpp-vulkan")->placement.gpu_bytes;
  }
  CHECK(s.placement.gpu_bytes == Approx(alone));
  // Three llama-servers: three runtime overheads (250 MiB each on Vulkan, data/backends.json).
  CHECK(s.plans[0].find("llamacpp-vulkan")->overhead_bytes == Approx(250 * 1048576.0));
}

TEST_CASE("resident: coder + embedder + GLM-4.5-Air needs GTT-first on a 128 GB box, and every change offered fits") {
  const ResidentSet s = plan_set(shipped(), coder_embedder_air());
  // UMA-first (64 GiB carve-out, the kernel's default GTT) reaches 96 GiB on Vulkan; the three
  // need more than 100 GiB (GLM-4.5-Air Q4_K_M alone is 68 GiB of weights).
  CHECK_FALSE(s.fits());
  const auto changes = set_changes(shipped(), s);
  REQUIRE_FALSE(changes.empty());
  CHECK(changes.front().kind == "gtt-first");
  CHECK(changes.front().label.find("ttm.pages_limit=") != std::string::npos);
  for (const auto& ch : changes) {
    INFO(ch.label);
    CHECK(plan_set(shipped(), ch.members).fits());
  }
  // GTT-first itself, planned: the set fits and the OS keeps its reserve.
  auto first = coder_embedder_air();
  first.front().carve_out_gib = 0.5;
  first.front().gtt_gib = 119;
  const ResidentSet g = plan_set(shipped(), first);
  CHECK(g.fits());
  CHECK(g.placement.os_free >= 8 * kGiB);
}

TEST_CASE("resident: the launch files start one server per model, on its own port, all kept together") {
  auto members = coder_embedder_air();
  members.front().carve_out_gib = 0.5;
  members.front().gtt_gib = 119;
  const ResidentSet s = plan_set(shipped(), members);
  const std::string sh = set_launch_script(s);
  for (const char* port : {"--port 8080", "--port 8081", "--port 8082"}) CHECK(sh.find(port) != std::string::npos);
  CHECK(sh.find("qwen3-embedding-0.6b-Q8_0.gguf --embeddings") != std::string::npos);
  const std::string y = set_llama_swap_config(s);
  CHECK(y.find("resident: \"m1 & m2 & m3\"") != std::string::npos);
  CHECK(y.find("--port ${PORT}") != std::string::npos);
  CHECK(y.find("preload:") != std::string::npos);
}

TEST_CASE("resident: an embedder is not ranked as a chat model") {
  ViewState s = member("gpt-oss-20b", "MXFP4_MOE", 32768);
  const Answer a = answer_for(s, shipped(), 53);
  for (const auto& ch : a.best) CHECK(ch.cell.model->role.empty());
}
