// The evidence behind a speed estimate: its terms add up to the figure the tables show, the
// weights it reads are the published file's, and the nearest rows are the published measurements
// (bench/data's CSVs, read here line by line, not through haloplan's parser).
#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "haloplan/planner/evidence.h"
#include "haloplan/view/evidence.h"
#include "helpers.h"

using namespace haloplan;
using haloplan::test::shipped;

namespace {

Scenario scenario(const Catalog& c) {
  Scenario s;
  s.machine = c.machine("framework-desktop-128");
  s.ctx.n_ctx = 32768;
  return s;
}

std::vector<std::string> csv_lines() {
  std::vector<std::string> out;
  for (const char* f : {"llama_bench_strix_halo.csv", "llama_bench_extra.csv"}) {
    std::ifstream in(std::string(HALOPLAN_FIXTURES) + "/../../bench/data/" + f);
    for (std::string line; std::getline(in, line);) out.push_back(line);
  }
  return out;
}

// The first n comma-separated fields of a line (the CSV's leading columns are never quoted).
std::vector<std::string> fields(const std::string& line, size_t n) {
  std::vector<std::string> f;
  std::stringstream ss(line);
  for (std::string x; f.size() < n && std::getline(ss, x, ',');) f.push_back(x);
  return f;
}

// Whether bench/data holds a row of this model, test and source with this tokens/s.
bool published(const std::vector<std::string>& lines, const NearRow& n) {
  for (const auto& l : lines) {
    const auto f = fields(l, 10);
    if (f.size() == 10 && f[0] == n.row->model && f[4] == n.row->quant && f[7] == n.row->test && f[9] == n.source &&
        std::stod(f[8]) == n.row->tps)
      return true;
  }
  return false;
}

}  // namespace

TEST_CASE("evidence: the terms add up to the figures every table shows") {
  const Catalog& c = shipped();
  const Scenario s = scenario(c);
  for (const char* id : {"gpt-oss-120b", "qwen3.6-35b-a3b", "llama-3.1-8b", "gemma-3-27b"}) {
    const CatalogModel* m = c.model(id);
    REQUIRE(m);
    const Plan p = make_plan(c, *m, FType::Q4_K_M, s);
    REQUIRE(!p.backends.empty());
    for (const auto& bp : p.backends) {
      INFO(id << " on " << bp.backend->id);
      const SpeedEvidence e = speed_evidence(c, p, bp, s);
      CHECK(e.decode.tps == Approx(bp.decode_tps_0).epsilon(1e-9));
      CHECK(e.prefill.tps == Approx(bp.prefill_tps).epsilon(1e-9));
      double sum = 0;
      for (const auto& t : e.decode.terms) sum += t.ms;
      CHECK(sum == Approx(e.decode.ms_per_token));
      CHECK(e.family == bp.backend->speed_family);
    }
  }
}

TEST_CASE("evidence: a dense model reads its published file once per token, less the host embeddings") {
  // llama-bench's model size for Llama-3.1-8B Q4_K_M: 4.58 GiB (bench/data, every source).
  const Catalog& c = shipped();
  const Scenario s = scenario(c);
  const Plan p = make_plan(c, *c.model("llama-3.1-8b"), FType::Q4_K_M, s);
  const SpeedEvidence e = speed_evidence(c, p, *p.find("llamacpp-vulkan"), s);
  REQUIRE(!e.decode.terms.empty());
  CHECK(e.decode.terms[0].param == "c_weights");
  CHECK(e.decode.terms[0].unit == "bytes");
  const double file_gib = (e.decode.terms[0].amount + double(p.weights.token_embd_bytes)) / kGiB;
  CHECK(file_gib == Approx(4.58).margin(0.006));
  // A dense model has no expert term.
  for (const auto& t : e.decode.terms) CHECK(t.param != "c_experts");
}

TEST_CASE("evidence: the nearest rows are the published measurements of the same model first") {
  const Catalog& c = shipped();
  const Scenario s = scenario(c);
  const auto lines = csv_lines();
  REQUIRE(lines.size() > 1000);
  const Plan p = make_plan(c, *c.model("qwen2.5-7b"), FType::Q4_K_M, s);
  const SpeedEvidence e = speed_evidence(c, p, *p.find("llamacpp-vulkan"), s);
  CHECK(e.family == "vulkan-radv");
  CHECK(e.model_rows > 10);
  CHECK(e.arch_rows >= e.model_rows);
  REQUIRE(e.near_decode.size() == 3);
  REQUIRE(e.near_prefill.size() == 3);
  for (const auto* list : {&e.near_decode, &e.near_prefill})
    for (const auto& n : *list) {
      INFO(n.row->model << " " << n.row->quant << " " << n.row->test << " " << n.row->tps << " " << n.source);
      CHECK(published(lines, n));
      CHECK(n.row->model == "qwen2.5-7b");
      CHECK(n.row->family == "vulkan-radv");
    }
  // Decode at depth 0 and flash attention on, as planned, with the quant planned.
  CHECK(e.near_decode[0].row->depth == 0);
  CHECK(e.near_decode[0].row->decode);
  CHECK(e.near_decode[0].row->quant == "Q4_K_M");
  CHECK(e.near_decode[0].row->flash_attn);
  CHECK(!e.near_prefill[0].row->decode);
}

TEST_CASE("evidence: a model of an architecture no row measures says so and borrows other models' rows") {
  const Catalog& c = shipped();
  const Scenario s = scenario(c);
  const Backend* b = c.backend("llamacpp-vulkan");
  REQUIRE(b);
  const CatalogModel* unmeasured = nullptr;
  for (const auto& m : c.models)
    if (!b->speed.measured(m.arch.arch)) unmeasured = &m;
  REQUIRE(unmeasured);
  INFO(unmeasured->id << " (" << unmeasured->arch.arch << ")");
  const Plan p = make_plan(c, *unmeasured, FType::Q4_K_M, s);
  const SpeedEvidence e = speed_evidence(c, p, *p.find("llamacpp-vulkan"), s);
  CHECK(e.unmeasured);
  CHECK(e.model_rows == 0);
  CHECK(e.arch_rows == 0);
  REQUIRE(!e.near_decode.empty());
  for (const auto& n : e.near_decode) CHECK(n.match.rfind("other architecture", 0) == 0);
  const auto tables = evidence_tables(e, *b);
  REQUIRE(tables.size() == 2);
  bool says = false;
  for (const auto& n : tables[0].notes) says = says || n.find("Unmeasured architecture") != std::string::npos;
  CHECK(says);
}

TEST_CASE("evidence: broken measured rows are refused with their place, and the rows loaded stay") {
  Catalog c = shipped();
  const auto before = c.measured;
  REQUIRE(before);
  const std::string head =
      R"({"schema": "haloplan-measured", "version": 1, "columns": ["model", "quant", "family", "backend", "test", )"
      R"("fa", "tps", "predicted", "build", "date", "source"], "sources": ["https://example.org/a"], "rows": [)";
  auto errors = [&](const std::string& rows) {
    std::vector<std::string> out;
    for (const auto& d : load_measured(head + rows + "]}", c))
      if (d.error) out.push_back(d.path + ": " + d.message);
    return out;
  };
  CHECK(errors(R"(["no-such-model", "Q4_K_M", "vulkan-radv", "radv", "tg128", true, 50, 49, 0, "", 0])") ==
        std::vector<std::string>{"rows[0]: model: not a model of the catalog"});
  CHECK(errors(R"(["llama-3.1-8b", "Q4_K_M", "vulkan-radv", "radv", "tg128", true, -5, 49, 0, "", 0])") ==
        std::vector<std::string>{"rows[0]: tps: expected a positive number"});
  CHECK(errors(R"(["llama-3.1-8b", "Q4_K_M", "vulkan-radv", "radv", "xx", true, 50, 49, 0, "", 0])") ==
        std::vector<std::string>{"rows[0]: test: expected a llama-bench test (tgN or ppN, optionally @dM)"});
  CHECK(errors(R"(["llama-3.1-8b", "Q4_K_M", "vulkan-radv", "radv", "tg128", true, 50, 49, 0, "", 3])") ==
        std::vector<std::string>{"rows[0]: source: expected an index into sources"});
  CHECK(errors(R"(["llama-3.1-8b", "Q4_K_M"])") ==
        std::vector<std::string>{"rows[0]: expected a list of 11 values (the columns)"});
  CHECK(c.measured == before);
}
