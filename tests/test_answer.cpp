// The first screen's answers: ranked choices, the focused verdict in one line, the changes that
// would make a model fit, and every part of the view agreeing on them.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <set>

#include "haloplan/planner/setup.h"
#include "haloplan/view/answer.h"
#include "haloplan/view/compare.h"
#include "haloplan/view/exports.h"
#include "haloplan/view/scenario.h"
#include "haloplan/view/view.h"
#include "helpers.h"

using namespace haloplan;
using haloplan::test::shipped;
using nlohmann::json;

namespace {

ViewState validated(ViewState s) {
  std::vector<Notice> n;
  validate_state(s, shipped(), n);
  return s;
}

// The fit table's verdict cell for a model at a quant key, as the table part prints it.
std::string fit_cell(const ViewState& s, const std::string& model, const std::string& quant,
                     const std::string& backend) {
  const json v = compute_view(s, shipped());
  const auto& fit = v["fit"];
  size_t col = 0;
  for (size_t j = 0; j < fit["headers"].size(); ++j)
    if (fit["headers"][j] == backend) col = j;
  for (size_t i = 0; i < fit["data"].size(); ++i)
    if (fit["data"][i]["model"] == model && fit["data"][i]["quant"] == quant)
      return fit["rows"][i][col].get<std::string>();
  return "(no row)";
}

// Llama-3.3-70B Q8_0 at 128K tokens: 69.8 GiB of weights and 40 GiB of f16 cache, more than the
// 64 GiB carve-out plus the default 32 GiB GTT limit.
ViewState llama70b_q8_128k() {
  ViewState s;
  s.model = "llama-3.3-70b";
  s.quant = "Q8_0";
  s.ctx = 131072;
  return validated(s);
}

}  // namespace

TEST_CASE("the default view opens on gpt-oss-120b as released, and it fits the carve-out") {
  // ggml-org/gpt-oss-120b-GGUF is MXFP4_MOE, 59.02 GiB as llama-bench reports it (51 rows of the
  // calibration set): less than the Framework Desktop's 64 GiB default carve-out.
  const ViewState s = validated({});
  CHECK(s.model == "gpt-oss-120b");
  CHECK(s.quant == "MXFP4_MOE");
  const Answer a = answer_for(s, shipped());
  REQUIRE(a.focus.cell.model);
  CHECK(a.focus.verdict == Verdict::CarveOut);
  CHECK(a.focus.gpu_bytes / kGiB > 59.02);
  CHECK(a.focus.gpu_bytes / kGiB < 64);
  CHECK(a.fixes.empty());
  CHECK(a.line.find("gpt-oss-120b MXFP4_MOE fits the 64 GiB carve-out") == 0);
  // Ranked: one row per model, each fitting as set up or with the change it names.
  REQUIRE(!a.best.empty());
  std::set<std::string> seen;
  for (const auto& ch : a.best) {
    CHECK(seen.insert(ch.cell.model->id).second);
    CHECK((ch.fits() || ch.change));
  }
  const auto gpt =
      std::find_if(a.best.begin(), a.best.end(), [](const Choice& ch) { return ch.cell.model->id == "gpt-oss-120b"; });
  REQUIRE(gpt != a.best.end());
  CHECK(gpt->cell.key() == "MXFP4_MOE");  // its release format, not a Q4_K_M nobody publishes
}

TEST_CASE("a change the answer offers is a state whose fit table says the same verdict") {
  // Every row the answer lists with a change, and every fix for a model that does not fit: the
  // fit table of the changed state (another code path) must show that row fitting.
  ViewState s = validated({});
  const Answer a = answer_for(s, shipped());
  int changed = 0;
  for (const auto& ch : a.best) {
    if (!ch.change) continue;
    ++changed;
    ViewState t = ch.change->state;
    t.quants = {ch.cell.key()};
    const std::string cell = fit_cell(t, ch.cell.model->id, ch.cell.key(), "llamacpp-vulkan");
    INFO(ch.cell.model->id << " " << ch.cell.key() << ": " << ch.change->label << " -> " << cell);
    CHECK((cell.rfind("carve-out", 0) == 0 || cell.rfind("GTT", 0) == 0));
  }
  CHECK(changed > 0);  // the 128 GB box has rows that need a larger GTT limit (Qwen3-235B's files)

  const Answer b = answer_for(llama70b_q8_128k(), shipped());
  CHECK(b.focus.verdict == Verdict::NoFit);
  REQUIRE(b.fixes.size() >= 3);
  for (const auto& f : b.fixes) {
    ViewState t = f.state;
    if (f.kind == "cluster") {
      // Several boxes: one box still cannot hold it; the cluster part of the changed state can.
      const json cl = compute_view(t, shipped())["cluster"];
      INFO(f.label << " -> " << cl.dump());
      REQUIRE(cl.contains("plan"));
      CHECK(cl["plan"]["verdict"] == verdict_id(f.verdict));
      CHECK((f.verdict == Verdict::CarveOut || f.verdict == Verdict::Gtt));
      continue;
    }
    if (std::find(t.quants.begin(), t.quants.end(), t.quant) == t.quants.end()) t.quants.push_back(t.quant);
    const std::string cell = fit_cell(t, t.model, t.quant, t.backend);
    INFO(f.label << " -> " << cell);
    CHECK((cell.rfind("carve-out", 0) == 0 || cell.rfind("GTT", 0) == 0));
  }
}

TEST_CASE("the GTT limit the answer asks for is the smallest whole GiB that fits") {
  const ViewState s = llama70b_q8_128k();
  const Answer a = answer_for(s, shipped());
  REQUIRE(!a.fixes.empty());
  const Change& g = a.fixes.front();
  REQUIRE(g.kind == "gtt");
  REQUIRE(g.state.gtt_gib);
  // One GiB less does not fit: the fit table says so.
  ViewState less = g.state;
  less.gtt_gib = *g.state.gtt_gib - 1;
  less.quants = {"Q8_0"};
  CHECK(fit_cell(less, "llama-3.3-70b", "Q8_0", "llamacpp-vulkan").rfind("no fit", 0) == 0);
  // The detail carries the kernel parameter: GiB x 262144 pages of 4 KiB.
  CHECK(g.detail.find("ttm.pages_limit=" + std::to_string(int64_t(*g.state.gtt_gib * 262144))) != std::string::npos);
  // And the Setup section's kernel parameters follow it.
  const json v = compute_view(s, shipped());
  CHECK(v["kernel"]["gtt_gib"] == *g.state.gtt_gib);
  CHECK(v["kernel"]["reason"].get<std::string>().find("Llama-3.3-70B") != std::string::npos);
}

TEST_CASE("a quantized V cache without flash attention is refused by every part") {
  // llama.cpp refuses a quantized V cache without flash attention (the conformance harness sees
  // the oracle refuse it). The fit table, the focused backends, the picture's verdicts, the answer
  // and the command must all say so, and the offered fix must start.
  ViewState s;
  s.model = "llama-3.1-8b";
  s.quant = "Q4_K_M";
  s.flash_attn = false;
  s.type_v = "q8_0";
  s = validated(s);
  const json v = compute_view(s, shipped());
  CHECK(fit_cell(s, "llama-3.1-8b", "Q4_K_M", "llamacpp-vulkan").rfind("refused", 0) == 0);
  for (const auto& b : v["focus"]["backends"]) {
    CHECK(b["verdict"] == "refused");
    CHECK(b["command"] == "");
  }
  const Answer a = answer_for(s, shipped());
  CHECK(a.focus.verdict == Verdict::Refused);
  CHECK(a.line.find("llama.cpp would refuse") != std::string::npos);
  REQUIRE(!a.fixes.empty());
  CHECK(a.fixes.front().kind == "fa");
  CHECK(a.fixes.front().state.flash_attn);
  CHECK(fit_cell(a.fixes.front().state, "llama-3.1-8b", "Q4_K_M", "llamacpp-vulkan").rfind("carve-out", 0) == 0);
}

TEST_CASE("the answer's JSON carries each change as the state fields it sets") {
  const ViewState s = llama70b_q8_128k();
  JsonOut o;
  write_answer(o, s, answer_for(s, shipped()));
  const json j = json::parse(o.text());
  REQUIRE(j["focus"]["fixes"].size() > 0);
  const json& patch = j["focus"]["fixes"][0]["patch"];
  CHECK(patch.size() == 1);
  CHECK(patch.contains("gtt"));
  CHECK(j["focus"]["verdict"] == "no-fit");
  CHECK(j["best"].size() <= 10);
}

TEST_CASE("two setups side by side: B is the state with its changes, and says what the fit table says") {
  ViewState s;
  s.model = "llama-3.3-70b";
  s.quant = "Q8_0";
  s.ctx = 131072;
  s.quants = {"Q8_0"};
  REQUIRE(set_state_field(s, "cmp", "carve:0.5;gtt:120") == "");
  s = validated(s);
  const Comparison cmp = compare_setups(s, shipped());
  CHECK(cmp.notices.empty());
  CHECK(cmp.b.carve_out_gib == 0.5);
  CHECK(cmp.b.gtt_gib == 120);
  const auto row = [&](const std::string& name) {
    for (const auto& r : cmp.table.rows)
      if (r[0] == name) return r;
    return std::vector<std::string>{};
  };
  CHECK(row("verdict")[1] == "does not fit");
  CHECK(row("verdict")[2] == "fits only with GTT");
  // The fit table of B's own state agrees with B's column.
  ViewState b = cmp.b;
  CHECK(fit_cell(b, "llama-3.3-70b", "Q8_0", "llamacpp-vulkan").rfind("GTT", 0) == 0);
  // 120 GiB of GTT is 31457280 pages of 4 KiB.
  CHECK(row("kernel parameter")[2] == "ttm.pages_limit=31457280");
  CHECK(std::find(cmp.differ.begin(), cmp.differ.end(), size_t(7)) != cmp.differ.end());  // the verdict row
  // B's ranked choices are B's own answer, rank by rank, and a model A cannot list is marked.
  const Answer ab = answer_for(cmp.b, shipped(), kCompareBest);
  REQUIRE(!ab.best.empty());
  REQUIRE(cmp.best.rows.size() >= ab.best.size());
  for (size_t i = 0; i < ab.best.size(); ++i)
    CHECK(cmp.best.rows[i][3].rfind(ab.best[i].cell.model->name + " " + ab.best[i].cell.label(), 0) == 0);
  // On the 64 GB box gpt-oss-120b cannot be listed (its smallest published file is 58.45 GiB, and
  // 128K tokens of its cache are 4.5 GiB more), so B ranks models A does not, and marks them.
  ViewState s64 = s;
  REQUIRE(set_state_field(s64, "cmp", "machine:framework-desktop-64") == "");
  const Comparison small = compare_setups(validated(s64), shipped());
  bool a_lists_oss = false;
  for (const auto& r : small.best.rows) {
    CHECK(r[3].find("gpt-oss-120b") == std::string::npos);
    a_lists_oss = a_lists_oss || r[1].rfind("gpt-oss-120b", 0) == 0;
  }
  CHECK(a_lists_oss);
  CHECK(!small.best_new.empty());
  for (size_t i : small.best_new) CHECK(small.best.rows[i][3] != small.best.rows[i][1]);
  // A change a compared setup cannot make, or a value no field takes, is refused with its reason.
  ViewState t;
  CHECK(set_state_field(t, "cmp", "model:phi-4").find("not a field a compared setup can change") != std::string::npos);
  CHECK(set_state_field(t, "cmp", "ctx:lots").find("compared setup: context must be a whole number") == 0);
  CHECK(t.compare.empty());
}
