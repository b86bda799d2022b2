// The shared plan fixture (tests/fixtures/plans.json) through the core: each scenario's weights,
// KV cache, recurrent state, verdicts, longest context and speeds against what its sources say.
// tests/web/wasm.test.mjs runs the same fixture through the wasm core and the CLI.
#include <catch2/catch.hpp>
#include <cmath>

#include "haloplan/view/scenario.h"
#include "helpers.h"

using namespace haloplan;
using haloplan::test::fixture;
using haloplan::test::shipped;
using nlohmann::json;

namespace {

void check_close(const json& want, double got, const std::string& what) {
  INFO(what << ": " << want["source"].get<std::string>());
  const double v = want["value"].get<double>();
  if (want.contains("rel_tol")) CHECK(std::fabs(got - v) <= want["rel_tol"].get<double>() * v);
  else CHECK(got == v);
}

}  // namespace

TEST_CASE("the shared plan fixture: the core's plans agree with their sources") {
  const json cases = fixture("plans.json")["cases"];
  REQUIRE(cases.size() >= 5);
  for (const auto& c : cases) {
    const std::string name = c["name"];
    INFO(name);
    std::vector<Notice> notices;
    ViewState s = state_from_json(c["state"].dump(), notices);
    validate_state(s, shipped(), notices);
    REQUIRE(notices.empty());  // a fixture's scenario is a valid one
    const Scenario sc = scenario_for(s, shipped());
    const CatalogModel* m = shipped().model(s.model);
    REQUIRE(m);
    const FType q = *ftype_from_name(s.quant);
    const Plan p = make_plan(shipped(), *m, q, sc);
    const BackendPlan* bp = p.find(s.backend);
    REQUIRE(bp);
    const json& e = c["expect"];
    if (e.contains("weights_bytes")) check_close(e["weights_bytes"], double(p.weights.total_bytes), "weights");
    if (e.contains("kv_bytes")) check_close(e["kv_bytes"], double(p.kv.kv_bytes()), "KV cache");
    if (e.contains("state_bytes")) check_close(e["state_bytes"], double(p.kv.state_bytes), "recurrent state");
    if (e.contains("max_context"))
      check_close(e["max_context"], double(max_context(shipped(), *m, q, sc, *bp->backend)), "max context");
    if (e.contains("decode_tps")) check_close(e["decode_tps"], bp->decode_tps_0, "decode");
    if (e.contains("prefill_tps")) check_close(e["prefill_tps"], bp->prefill_tps, "prefill");
    if (e.contains("verdicts")) {
      INFO(e["verdict_source"].get<std::string>());
      for (const auto& [backend, allowed] : e["verdicts"].items()) {
        const BackendPlan* x = p.find(backend);
        REQUIRE(x);
        const std::string got = verdict_id(x->placement.verdict);
        INFO(backend << " is " << got);
        CHECK(std::find(allowed.begin(), allowed.end(), got) != allowed.end());
      }
    }
  }
}
