// Fits the speed model's per-family parameters against measured llama-bench rows and prints the
// resulting error (the same report as bench/accuracy).
//
//   calibrate [--csv FILE] [--write data/backends.json] [--check] [--holdout]
//
// --write replaces the fitted families in the backends file; --check fails if the shipped
// parameters differ from a fresh fit (data/backends.json is stale). --holdout scores the model on
// measurements it was not fitted on: each model's rows are predicted by parameters fitted
// without any row of that model (leave-one-model-out).
#include <ctime>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "haloplan/default_catalog.h"
#include "scoring.h"

using namespace haloplan;

namespace {

// Fits every family of the catalog on the prepared rows `use` accepts.
template <class Use>
std::vector<SpeedFamily> fit_families(const Catalog& cat, const bench::Prepared& p, const std::string& fitted_on,
                                      Use use) {
  std::vector<SpeedFamily> fitted;
  for (const auto& fam : cat.speed_families) {
    std::vector<RowFeatures> X;
    std::vector<double> t;
    for (const auto& s : p.rows)
      if (s.family == fam.id && use(s)) X.push_back(s.f), t.push_back(s.row.tps);
    if (X.empty()) continue;
    SpeedFamily out = fam;
    out.params = fit_speed_params(X, t);
    out.params.fitted_on = fitted_on;
    fitted.push_back(out);
  }
  return fitted;
}

// Leave-one-model-out: every row predicted by parameters fitted without its model's rows.
void print_holdout(const Catalog& cat, const bench::Prepared& all, const std::string& csv) {
  std::set<std::string> models;
  for (const auto& s : all.rows) models.insert(s.row.model_id);
  bench::Prepared out;
  out.skipped = all.skipped, out.n_skipped = all.n_skipped;
  for (const auto& id : models) {
    const auto fitted = fit_families(cat, all, "", [&](const bench::Scored& s) { return s.row.model_id != id; });
    bench::Prepared one;
    for (const auto& s : all.rows)
      if (s.row.model_id == id) one.rows.push_back(s);
    bench::predict(one, fitted);
    for (auto& s : one.rows) out.rows.push_back(std::move(s));
    for (const auto& [k, n] : one.skipped) out.skipped[k] += n, out.n_skipped += n;
  }
  std::printf("\nHELD OUT (%zu models, each predicted by a fit without its own rows; bands as fitted then):\n",
              models.size());
  bench::print_report(out, fit_families(cat, all, "", [](const bench::Scored&) { return true; }),
                      csv + ", leave-one-model-out");
}

}  // namespace

int main(int argc, char** argv) {
  std::string csv = "bench/data/llama_bench_strix_halo.csv";
  std::string write_path;
  bool check = false, holdout = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--csv" && i + 1 < argc) csv = argv[++i];
    else if (a == "--write" && i + 1 < argc) write_path = argv[++i];
    else if (a == "--check") check = true;
    else if (a == "--holdout") holdout = true;
    else {
      std::cerr << "calibrate: unknown argument '" << a
                << "'\nusage: calibrate [--csv FILE] [--write backends.json] [--check] [--holdout]\n";
      return 2;
    }
  }
  Catalog cat;
  if (has_errors(load_default_catalog(cat))) {
    std::cerr << "calibrate: the shipped catalog has errors\n";
    return 1;
  }
  std::ifstream f(csv.rfind('/', 0) == 0 || std::ifstream(csv) ? csv : std::string(HALOPLAN_SOURCE_DIR) + "/" + csv);
  if (!f) {
    std::cerr << "calibrate: cannot read " << csv << "\n";
    return 1;
  }
  std::stringstream ss;
  ss << f.rdbuf();
  const Machine* m = cat.machine("framework-desktop-128");
  auto p = bench::prepare(cat, *m, parse_calibration_csv(ss.str()));

  char date[16];
  const std::time_t now = std::time(nullptr);
  std::strftime(date, sizeof date, "%Y-%m-%d", std::gmtime(&now));
  const auto all = p;
  const auto fitted = fit_families(cat, p, std::string("fitted ") + date + " on " + csv.substr(csv.rfind('/') + 1),
                                   [](const bench::Scored&) { return true; });
  bench::predict(p, fitted);
  bench::print_report(p, fitted, csv);
  std::printf("\nfitted parameters:\n");
  for (const auto& fam : fitted) {
    std::printf("  %-15s decode", fam.id.c_str());
    for (size_t i = 0; i < kDecodeParams; ++i) std::printf(" %s %.4g", kDecodeParamNames[i], fam.params.decode[i]);
    std::printf("\n  %-15s prefill", "");
    for (size_t i = 0; i < kPrefillParams; ++i) std::printf(" %s %.4g", kPrefillParamNames[i], fam.params.prefill[i]);
    std::printf("\n  %-15s bands decode %.2f-%.2f (%d rows) prefill %.2f-%.2f (%d rows)\n", "", fam.params.decode_lo,
                fam.params.decode_hi, fam.params.decode_rows, fam.params.prefill_lo, fam.params.prefill_hi,
                fam.params.prefill_rows);
  }

  if (holdout) print_holdout(cat, all, csv);

  int stale = 0;
  if (check) {
    for (const auto& fam : fitted) {
      const SpeedFamily* shipped = nullptr;
      for (const auto& s : cat.speed_families)
        if (s.id == fam.id) shipped = &s;
      auto close = [](double a, double b) { return std::fabs(a - b) <= 1e-3 * std::max(1.0, std::fabs(b)); };
      bool same = shipped && shipped->params.decode_rows == fam.params.decode_rows &&
                  shipped->params.prefill_rows == fam.params.prefill_rows;
      for (size_t i = 0; same && i < kDecodeParams; ++i) same = close(shipped->params.decode[i], fam.params.decode[i]);
      for (size_t i = 0; same && i < kPrefillParams; ++i)
        same = close(shipped->params.prefill[i], fam.params.prefill[i]);
      if (!same) {
        std::fprintf(stderr,
                     "calibrate: data/backends.json is stale for %s: run calibrate --write data/backends.json\n",
                     fam.id.c_str());
        ++stale;
      }
    }
  }
  if (!write_path.empty()) {
    std::ifstream in(write_path);
    std::stringstream js;
    js << in.rdbuf();
    auto j = nlohmann::ordered_json::parse(js.str());
    for (auto& jf : j["speed_families"]) {
      for (const auto& fam : fitted) {
        if (jf["id"] != fam.id) continue;
        const auto& q = fam.params;
        nlohmann::ordered_json d, pf;
        for (size_t i = 0; i < kDecodeParams; ++i) d[kDecodeParamNames[i]] = q.decode[i];
        for (size_t i = 0; i < kPrefillParams; ++i) pf[kPrefillParamNames[i]] = q.prefill[i];
        jf["decode"] = d, jf["prefill"] = pf;
        jf["decode_rows"] = q.decode_rows, jf["prefill_rows"] = q.prefill_rows, jf["fitted_on"] = q.fitted_on;
        jf["decode_lo"] = q.decode_lo, jf["decode_hi"] = q.decode_hi;
        jf["prefill_lo"] = q.prefill_lo, jf["prefill_hi"] = q.prefill_hi;
      }
    }
    std::ofstream(write_path) << j.dump(1) << "\n";
    std::printf("\nwrote %s\n", write_path.c_str());
  }
  return stale ? 1 : 0;
}
