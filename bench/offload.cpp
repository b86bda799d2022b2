// Prints the discrete-GPU offload estimates beside published runs:
//
//   offload RUNS.json      (tests/fixtures/offload_runs.json)
//
// One row per run: its --n-cpu-moe, ubatch and flash attention, the measured t/s, haloplan's
// estimate under the same flags, measured/estimate and whether the band shown holds it; then the
// median absolute error of decode and how far prefill sits under its upload bound.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "haloplan/default_catalog.h"
#include "haloplan/planner/plan.h"

using namespace haloplan;

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: offload RUNS.json\n";
    return 2;
  }
  std::ifstream f(argv[1]);
  if (!f) {
    std::cerr << "offload: cannot read '" << argv[1] << "'\n";
    return 2;
  }
  std::stringstream ss;
  ss << f.rdbuf();
  const auto runs = nlohmann::json::parse(ss.str(), nullptr, false);
  if (runs.is_discarded() || !runs.contains("rows")) {
    std::cerr << "offload: '" << argv[1] << "' is not a runs file\n";
    return 2;
  }
  Catalog c;
  if (has_errors(load_default_catalog(c))) return 1;
  const Machine* m = c.machine(runs["machine"].get<std::string>());
  const CatalogModel* model = c.model(runs["model"].get<std::string>());
  const auto q = ftype_from_name(runs["quant"].get<std::string>());
  if (!m || !model || !q) {
    std::cerr << "offload: machine, model or quant not in the catalog\n";
    return 1;
  }
  std::printf("%s %s on %s (llama.cpp, CUDA)\n\n", model->name.c_str(), runs["quant"].get<std::string>().c_str(),
              m->name.c_str());
  std::printf("| --n-cpu-moe | ubatch | fa | test | measured t/s | estimate t/s | measured/estimate | in band |\n");
  std::printf("|---|---|---|---|---|---|---|---|\n");
  std::vector<double> decode_err, prefill_ratio;
  for (const auto& r : runs["rows"]) {
    Scenario s;
    s.machine = m;
    s.ctx.n_ctx = 4096;
    s.n_cpu_moe = r["ncmoe"].get<int>();
    s.ctx.n_ubatch = r["ubatch"].get<int>();
    s.ctx.flash_attn = r["fa"].get<bool>();
    s.prompt_tokens = 2048;
    const Plan p = make_plan(c, *model, *q, s);
    const BackendPlan* bp = p.find("llamacpp-cuda");
    if (!bp) return 1;
    const bool decode = r["test"].get<std::string>().rfind("tg", 0) == 0;
    const double est = decode ? bp->decode_tps_0 : bp->prefill_tps, got = r["tps"].get<double>();
    const double lo = decode ? bp->decode_lo : bp->prefill_lo, hi = decode ? bp->decode_hi : bp->prefill_hi;
    (decode ? decode_err : prefill_ratio).push_back(decode ? std::fabs(got / est - 1) : got / est);
    std::printf("| %d | %d | %d | %s | %.1f | %.1f | %.2f | %s |\n", r["ncmoe"].get<int>(), r["ubatch"].get<int>(),
                int(r["fa"].get<bool>()), r["test"].get<std::string>().c_str(), got, est, got / est,
                got >= est * lo && got <= est * hi ? "yes" : "no");
  }
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0.0 : v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
  };
  std::printf("\ndecode: median absolute error %.1f %% over %zu runs\n", 100 * median(decode_err), decode_err.size());
  std::printf("prefill: measured at %.2f-%.2f of the upload bound (median %.2f) over %zu runs\n",
              *std::min_element(prefill_ratio.begin(), prefill_ratio.end()),
              *std::max_element(prefill_ratio.begin(), prefill_ratio.end()), median(prefill_ratio),
              prefill_ratio.size());
  return 0;
}
