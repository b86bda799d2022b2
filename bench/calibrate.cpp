// Fits the speed model's per-family parameters against measured llama-bench rows and prints the
// resulting error (the same report as bench/accuracy).
//
//   calibrate [--csv FILE]... [--write data/backends.json] [--rows data/measured.json] [--check]
//             [--holdout] [--json]
//
// The rows are bench/data's two files unless --csv names others. Each source's rows weigh
// 1/sqrt(n) in the fit, so a source with hundreds of rows of three models does not outvote the
// rest. The 80% bands written are held-out bands: the quantiles of measured/predicted over each
// model's rows predicted by a fit without that model and each source's rows predicted by a fit
// without that source, so they hold for models and for builds the fit never saw. --write replaces the fitted families
// in the backends file; --check fails if the shipped parameters differ from a fresh fit (data/backends.json is stale),
// or the shipped rows (data/measured.json) from the rows scored here. --rows writes those rows: every scored row with
// the fit's figure for it, the evidence `haloplan plan` and the page show beside an estimate.
// --holdout prints the held-out report (leave-one-model-out and leave-one-source-out).
//
// Each family's fit is pulled toward one fit on every family's rows: prefill by 0.005, decode not
// at all (the README gives the held-out figures behind both choices). HALOPLAN_PULL_D and
// HALOPLAN_PULL_P override them, to measure other strengths; --check fails with any other value.
#include <cmath>
#include <ctime>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "haloplan/default_catalog.h"
#include "scoring.h"

using namespace haloplan;

namespace {

const double kPullDecode = std::getenv("HALOPLAN_PULL_D") ? std::atof(std::getenv("HALOPLAN_PULL_D")) : 0;
const double kPullPrefill = std::getenv("HALOPLAN_PULL_P") ? std::atof(std::getenv("HALOPLAN_PULL_P")) : 0.005;
// The terms every family shares, held at the fit on every family's rows (bit j: parameter j of
// kDecodeParamNames / kPrefillParamNames): decode's weight read (c_weights) and its attention
// without flash attention (c_kv_nofa); prefill's flash-attention work (p_attn_fa) and recurrent
// scan (p_recurrent). The README gives the held-out figures behind the choice. HALOPLAN_SHARED_D
// and HALOPLAN_SHARED_P override the masks, to measure others.
constexpr unsigned kSharedDecodeDefault = 1u << 0 | 1u << 3;
constexpr unsigned kSharedPrefillDefault = 1u << 2 | 1u << 5;
const unsigned kSharedDecode =
    std::getenv("HALOPLAN_SHARED_D") ? unsigned(std::atoi(std::getenv("HALOPLAN_SHARED_D"))) : kSharedDecodeDefault;
const unsigned kSharedPrefill =
    std::getenv("HALOPLAN_SHARED_P") ? unsigned(std::atoi(std::getenv("HALOPLAN_SHARED_P"))) : kSharedPrefillDefault;

// Fits every family of the catalog on the prepared rows `use` accepts, each source's rows of a
// family and kind (decode, prefill) weighing 1/sqrt(n) each.
template <class Use>
std::vector<SpeedFamily> fit_families(const Catalog& cat, const bench::Prepared& p, const std::string& fitted_on,
                                      Use use) {
  // The rows `pick` accepts, each source's rows of a kind weighing 1/sqrt(n).
  auto rows_of = [&](auto pick, std::vector<RowFeatures>& X, std::vector<double>& t, std::vector<double>& w) {
    std::vector<std::string> group;
    std::map<std::string, int> per_group;
    for (const auto& s : p.rows)
      if (pick(s) && use(s)) {
        X.push_back(s.f), t.push_back(s.row.tps);
        group.push_back(s.row.source + (s.row.decode ? " d" : " p"));
        ++per_group[group.back()];
      }
    for (const auto& g : group) w.push_back(1.0 / std::sqrt(double(per_group[g])));
  };
  // One fit on every family's rows: the shape each family's own fit is pulled toward.
  std::vector<RowFeatures> PX;
  std::vector<double> pt, pw;
  rows_of(
      [&](const bench::Scored& s) {
        return std::any_of(cat.speed_families.begin(), cat.speed_families.end(),
                           [&](const SpeedFamily& f) { return f.id == s.family; });
      },
      PX, pt, pw);
  SpeedParams pooled = fit_speed_params(PX, pt, pw);
  // The vec flash-attention kernel is some builds' path, not a shape families share: no pull.
  pooled.prefill[kPrefillVec] = 0;
  std::vector<SpeedFamily> fitted;
  for (const auto& fam : cat.speed_families) {
    std::vector<RowFeatures> X;
    std::vector<double> t, w;
    rows_of([&](const bench::Scored& s) { return s.family == fam.id; }, X, t, w);
    if (X.empty()) continue;
    SpeedFamily out = fam;
    out.params = fit_speed_params(X, t, w, &pooled, kPullDecode, kPullPrefill, kSharedDecode, kSharedPrefill);
    out.params.fitted_on = fitted_on;
    fitted.push_back(out);
  }
  return fitted;
}

// Every row predicted by parameters fitted without the rows that share its key (its model, or its
// source).
template <class Key>
bench::Prepared held_out(const Catalog& cat, const bench::Prepared& all, Key key) {
  std::set<std::string> keys;
  for (const auto& s : all.rows) keys.insert(key(s));
  bench::Prepared out;
  out.skipped = all.skipped, out.n_skipped = all.n_skipped;
  for (const auto& k : keys) {
    const auto fitted = fit_families(cat, all, "", [&](const bench::Scored& s) { return key(s) != k; });
    bench::Prepared one;
    for (const auto& s : all.rows)
      if (key(s) == k) one.rows.push_back(s);
    bench::predict(one, fitted);
    for (auto& s : one.rows) out.rows.push_back(std::move(s));
    for (const auto& [r, n] : one.skipped) out.skipped[r] += n, out.n_skipped += n;
  }
  return out;
}

const auto by_model = [](const bench::Scored& s) { return s.row.model_id; };
const auto by_source = [](const bench::Scored& s) { return s.row.source; };

// Each family's architectures with rows, and the band of rows whose architecture the fit did not
// see (leave-one-architecture-out), for models of architectures no row measures.
void set_unmeasured(const Catalog& cat, std::vector<SpeedFamily>& fams, const bench::Prepared& all,
                    const bench::Prepared& held_by_arch) {
  for (auto& f : fams) {
    std::set<std::string> archs;
    for (const auto& s : all.rows)
      if (s.family == f.id)
        if (const CatalogModel* m = cat.model(s.row.model_id)) archs.insert(m->arch.arch);
    f.params.measured_archs.assign(archs.begin(), archs.end());
    std::vector<double> rd, rp;
    for (const auto& s : held_by_arch.rows)
      if (s.family == f.id && s.predicted > 0) (s.row.decode ? rd : rp).push_back(s.row.tps / s.predicted);
    // Never narrower than the family's own held-out band.
    if (rd.size() >= 5)
      f.params.unmeasured_decode_lo = std::min(f.params.decode_lo, std::floor(quantile(rd, 0.1) * 100) / 100),
      f.params.unmeasured_decode_hi = std::max(f.params.decode_hi, std::ceil(quantile(rd, 0.9) * 100) / 100);
    if (rp.size() >= 5)
      f.params.unmeasured_prefill_lo = std::min(f.params.prefill_lo, std::floor(quantile(rp, 0.1) * 100) / 100),
      f.params.unmeasured_prefill_hi = std::max(f.params.prefill_hi, std::ceil(quantile(rp, 0.9) * 100) / 100);
  }
}

// The families with their unmeasured-architecture bands in place of the shipped ones (to score
// leave-one-architecture-out predictions against the band a new architecture gets).
std::vector<SpeedFamily> with_unmeasured_bands(std::vector<SpeedFamily> fams) {
  for (auto& f : fams) {
    f.params.decode_lo = f.params.unmeasured_decode_lo, f.params.decode_hi = f.params.unmeasured_decode_hi;
    f.params.prefill_lo = f.params.unmeasured_prefill_lo, f.params.prefill_hi = f.params.unmeasured_prefill_hi;
  }
  return fams;
}

// The band after a user's rows rescale a family (paste-back calibration): each source's rows of
// one model, predicted held out by model, scaled by the factor (as calibrate_from_bench fits it)
// of the same source's rows of the family's other models; the 10th and 90th percentiles of
// measured/predicted, never narrower than 1 on either side.
void set_calibrated_bands(std::vector<SpeedFamily>& fams, const bench::Prepared& lomo) {
  for (auto& f : fams) {
    std::vector<double> rd, rp;
    for (const bool decode : {true, false}) {
      std::map<std::string, std::vector<const bench::Scored*>> by_source;
      for (const auto& s : lomo.rows)
        if (s.family == f.id && s.row.decode == decode && s.predicted > 0) by_source[s.row.source].push_back(&s);
      for (const auto& [src, rows] : by_source) {
        std::set<std::string> models;
        for (const auto* s : rows) models.insert(s->row.model_id);
        for (const auto& m : models) {
          double sr = 0, sr2 = 0;
          for (const auto* s : rows)
            if (s->row.model_id != m) sr += s->row.tps / s->predicted, sr2 += std::pow(s->row.tps / s->predicted, 2);
          if (sr <= 0) continue;  // the source measured no other model
          for (const auto* s : rows)
            if (s->row.model_id == m) (decode ? rd : rp).push_back(s->row.tps / (s->predicted * sr2 / sr));
        }
      }
    }
    if (rd.size() >= 5)
      f.params.calibrated_decode_lo = std::min(1.0, std::floor(quantile(rd, 0.1) * 100) / 100),
      f.params.calibrated_decode_hi = std::max(1.0, std::ceil(quantile(rd, 0.9) * 100) / 100);
    if (rp.size() >= 5)
      f.params.calibrated_prefill_lo = std::min(1.0, std::floor(quantile(rp, 0.1) * 100) / 100),
      f.params.calibrated_prefill_hi = std::max(1.0, std::ceil(quantile(rp, 0.9) * 100) / 100);
  }
}

// The 80% bands of each family from held-out predictions (rounded outwards to 0.01).
void set_held_out_bands(std::vector<SpeedFamily>& fams, const bench::Prepared& held) {
  for (auto& f : fams) {
    std::vector<double> rd, rp;
    for (const auto& s : held.rows)
      if (s.family == f.id && s.predicted > 0) (s.row.decode ? rd : rp).push_back(s.row.tps / s.predicted);
    if (rd.size() >= 5)
      f.params.decode_lo = std::floor(quantile(rd, 0.1) * 100) / 100,
      f.params.decode_hi = std::ceil(quantile(rd, 0.9) * 100) / 100;
    if (rp.size() >= 5)
      f.params.prefill_lo = std::floor(quantile(rp, 0.1) * 100) / 100,
      f.params.prefill_hi = std::ceil(quantile(rp, 0.9) * 100) / 100;
  }
}

// The scored rows as data/measured.json holds them (columns as catalog/measured.cpp reads them).
nlohmann::ordered_json measured_json(const bench::Prepared& p) {
  nlohmann::ordered_json j;
  j["schema"] = "haloplan-measured";
  j["version"] = 1;
  j["about"] =
      "The llama-bench rows the speed families are fitted on (bench/data), each with the shipped fit's "
      "figure for it: the nearest measurements haloplan shows beside an estimate. Written by "
      "bench/calibrate --rows; do not edit.";
  j["columns"] = {"model", "quant", "family", "backend", "test", "fa", "tps", "predicted", "build", "date", "source"};
  std::vector<std::string> sources;
  std::map<std::string, size_t> index;
  nlohmann::ordered_json rows = nlohmann::ordered_json::array();
  auto round4 = [](double v) {  // four significant digits, whole tokens/s at most
    const double scale = std::max(1.0, std::pow(10.0, 3 - std::floor(std::log10(std::max(v, 1e-9)))));
    return std::round(v * scale) / scale;
  };
  for (const auto& s : p.rows) {
    const auto [it, fresh] = index.emplace(s.row.url, sources.size());
    if (fresh) sources.push_back(s.row.url);
    rows.push_back({s.row.model_id, s.row.quant, s.family, s.row.backend_label, s.row.test, s.row.flash_attn, s.row.tps,
                    round4(s.predicted), s.row.build, s.row.date, it->second});
  }
  j["sources"] = sources;
  j["rows"] = rows;
  return j;
}

// Whether the shipped rows are the rows scored here, with the same figures.
bool measured_is_fresh(const Catalog& cat, const bench::Prepared& p) {
  if (!cat.measured || cat.measured->rows.size() != p.rows.size()) return false;
  for (size_t i = 0; i < p.rows.size(); ++i) {
    const auto& a = cat.measured->rows[i];
    const auto& b = p.rows[i];
    if (a.model != b.row.model_id || a.family != b.family || a.test != b.row.test || a.tps != b.row.tps ||
        std::fabs(a.predicted - b.predicted) > 2e-3 * b.predicted || cat.measured->sources[a.source] != b.row.url)
      return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> csvs;
  std::string write_path, rows_path;
  bool check = false, holdout = false, as_json = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--csv" && i + 1 < argc) csvs.push_back(argv[++i]);
    else if (a == "--write" && i + 1 < argc) write_path = argv[++i];
    else if (a == "--rows" && i + 1 < argc) rows_path = argv[++i];
    else if (a == "--check") check = true;
    else if (a == "--holdout") holdout = true;
    else if (a == "--json") as_json = true;
    else {
      std::cerr << "calibrate: unknown argument '" << a
                << "'\nusage: calibrate [--csv FILE]... [--write backends.json] [--rows measured.json] [--check] "
                   "[--holdout] [--json]\n";
      return 2;
    }
  }
  Catalog cat;
  if (has_errors(load_default_catalog(cat))) {
    std::cerr << "calibrate: the shipped catalog has errors\n";
    return 1;
  }
  if (csvs.empty()) csvs = {"bench/data/llama_bench_strix_halo.csv", "bench/data/llama_bench_extra.csv"};
  BenchRows rows;
  std::string names;
  for (const auto& csv : csvs) {
    std::ifstream f(csv.rfind('/', 0) == 0 || std::ifstream(csv) ? csv : std::string(HALOPLAN_SOURCE_DIR) + "/" + csv);
    if (!f) {
      std::cerr << "calibrate: cannot read " << csv << "\n";
      return 1;
    }
    std::stringstream ss;
    ss << f.rdbuf();
    const std::string name = csv.substr(csv.rfind('/') + 1);
    auto one = parse_calibration_csv(ss.str());
    for (auto& r : one.rows) r.file = name, rows.rows.push_back(std::move(r));
    for (auto& e : one.errors) rows.errors.push_back(name + " " + e);
    names += (names.empty() ? "" : " + ") + name;
  }
  const Machine* m = cat.machine("framework-desktop-128");
  auto p = bench::prepare(cat, *m, rows);

  char date[16];
  const std::time_t now = std::time(nullptr);
  std::strftime(date, sizeof date, "%Y-%m-%d", std::gmtime(&now));
  const auto all = p;
  auto fitted =
      fit_families(cat, p, std::string("fitted ") + date + " on " + names, [](const bench::Scored&) { return true; });
  // Bands for models the fit has not seen.
  // The held-out fits (one per model, one per architecture) are what the bands need; --check alone
  // compares only the fitted parameters and skips them.
  const bool bands = !write_path.empty() || holdout || as_json || !check;
  const bench::Prepared lomo = bands ? held_out(cat, all, by_model) : bench::Prepared{};
  const bench::Prepared loso = bands ? held_out(cat, all, by_source) : bench::Prepared{};
  if (bands) {
    // A band must hold for a model the fit never saw and for a build (a source) it never saw:
    // its quantiles are taken over both sets of held-out predictions.
    bench::Prepared both = lomo;
    both.rows.insert(both.rows.end(), loso.rows.begin(), loso.rows.end());
    set_held_out_bands(fitted, both);
    set_calibrated_bands(fitted, lomo);
  }
  const auto by_arch = [&](const bench::Scored& x) {
    const CatalogModel* mm = cat.model(x.row.model_id);
    return mm ? mm->arch.arch : x.row.model_id;
  };
  const bench::Prepared loao = bands ? held_out(cat, all, by_arch) : bench::Prepared{};
  if (bands) set_unmeasured(cat, fitted, all, loao);
  bench::predict(p, fitted);
  if (as_json) {
    // In sample, and held out by model, architecture and source, with the shipped (held-out) bands.
    nlohmann::json j = {{"in_sample", bench::report_json(p, fitted)},
                        {"by_model", bench::report_json(lomo, fitted)},
                        {"by_architecture", bench::report_json(loao, with_unmeasured_bands(fitted))}};
    j["by_source"] = bench::report_json(loso, fitted);
    std::cout << j.dump(1) << "\n";
    return 0;
  }
  bench::print_report(p, fitted, names + " (in sample; bands from leave-one-model-out)");
  std::printf("\nfitted parameters:\n");
  for (const auto& fam : fitted) {
    std::printf("  %-15s decode", fam.id.c_str());
    for (size_t i = 0; i < kDecodeParams; ++i) std::printf(" %s %.4g", kDecodeParamNames[i], fam.params.decode[i]);
    std::printf("\n  %-15s prefill", "");
    for (size_t i = 0; i < kPrefillParams; ++i) std::printf(" %s %.4g", kPrefillParamNames[i], fam.params.prefill[i]);
    std::printf("\n  %-15s bands decode %.2f-%.2f (%d rows) prefill %.2f-%.2f (%d rows)\n", "", fam.params.decode_lo,
                fam.params.decode_hi, fam.params.decode_rows, fam.params.prefill_lo, fam.params.prefill_hi,
                fam.params.prefill_rows);
    std::printf("  %-15s after your own rows: decode %.2f-%.2f prefill %.2f-%.2f\n", "",
                fam.params.calibrated_decode_lo, fam.params.calibrated_decode_hi, fam.params.calibrated_prefill_lo,
                fam.params.calibrated_prefill_hi);
  }

  if (holdout) {
    std::printf("\nHELD OUT BY MODEL (each model's rows predicted by a fit without them):\n");
    bench::print_report(lomo, fitted, names + ", leave-one-model-out");
    std::printf(
        "\nHELD OUT BY ARCHITECTURE (each architecture's rows predicted by a fit without them; the "
        "band a model of an unmeasured architecture gets):\n");
    bench::print_report(loao, with_unmeasured_bands(fitted), names + ", leave-one-architecture-out");
    std::printf("\nHELD OUT BY SOURCE (each source's rows predicted by a fit without them):\n");
    bench::print_report(loso, fitted, names + ", leave-one-source-out");
  }

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
  if (check && !measured_is_fresh(cat, p)) {
    std::fprintf(stderr, "calibrate: data/measured.json is stale: run calibrate --rows data/measured.json\n");
    ++stale;
  }
  if (!rows_path.empty()) {
    // One row per line, so a change of the data shows as a change of its rows.
    auto j = measured_json(p);
    const auto rows = j["rows"];
    j["rows"] = nlohmann::ordered_json::array();
    std::string head = j.dump(1);
    head.resize(head.rfind("[]"));
    std::ofstream out(rows_path);
    out << head << "[\n";
    for (size_t i = 0; i < rows.size(); ++i) out << "  " << rows[i].dump() << (i + 1 < rows.size() ? ",\n" : "\n");
    out << " ]\n}\n";
    std::printf("\nwrote %s (%zu rows)\n", rows_path.c_str(), p.rows.size());
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
        jf["measured_archs"] = q.measured_archs;
        jf["unmeasured_band"] = {{"decode_lo", q.unmeasured_decode_lo},
                                 {"decode_hi", q.unmeasured_decode_hi},
                                 {"prefill_lo", q.unmeasured_prefill_lo},
                                 {"prefill_hi", q.unmeasured_prefill_hi}};
        if (q.calibrated_decode_lo > 0 && q.calibrated_prefill_lo > 0)
          jf["calibrated_band"] = {{"decode_lo", q.calibrated_decode_lo},
                                   {"decode_hi", q.calibrated_decode_hi},
                                   {"prefill_lo", q.calibrated_prefill_lo},
                                   {"prefill_hi", q.calibrated_prefill_hi}};
      }
    }
    std::ofstream(write_path) << j.dump(1) << "\n";
    std::printf("\nwrote %s\n", write_path.c_str());
  }
  return stale ? 1 : 0;
}
