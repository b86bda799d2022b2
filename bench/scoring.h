// Scores the speed model against measured rows: shared by bench/accuracy and bench/calibrate.
#pragma once

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "haloplan/catalog/calib.h"

namespace haloplan::bench {

struct Scored {
  BenchRow row;
  std::string family;
  RowFeatures f;
  double predicted = 0;
  double error() const { return std::fabs(predicted - row.tps) / row.tps; }
};

// The error categories of the accuracy report. llama-bench's tgN starts at depth d and its mean
// depth is d + N/2; "depth 0" and "depth >= 16K" go by where the test starts (d).
inline std::string kind_of(const BenchRow& r) {
  if (r.decode) return r.depth == 0 ? "decode_d0" : r.depth >= 16384 ? "decode_deep" : "decode_shallow";
  if (r.depth == 0) return r.n_tokens <= 512 ? "prefill_512" : "prefill_long";
  return "prefill_deep";
}

struct Prepared {
  std::vector<Scored> rows;
  std::map<std::string, int> skipped;  // reason -> rows
  int n_skipped = 0;
};

// Resolves each row to its catalog model and speed family; unresolved rows are counted by reason.
inline Prepared prepare(const Catalog& c, const Machine& m, const BenchRows& in) {
  Prepared p;
  for (const auto& e : in.errors) ++p.skipped["unreadable: " + e], ++p.n_skipped;
  for (const auto& r : in.rows) {
    Scored s;
    s.row = r;
    s.family = speed_family_of(r.backend_label, r.build, r.date);
    const CatalogModel* model = match_model(c, r);
    std::string why;
    if (!model) why = "model not in catalog: " + (r.model_id.empty() ? r.model_label : r.model_id);
    else if (s.family.empty()) why = "backend label has no speed family: " + r.backend_label;
    if (why.empty())
      if (auto f = row_features(m, *model, r, why)) s.f = *f;
    if (!why.empty()) {
      ++p.skipped[why], ++p.n_skipped;
      continue;
    }
    p.rows.push_back(std::move(s));
  }
  return p;
}

// Predicts every row with its family's parameters from `families`; rows of families not listed
// there are counted as skipped.
inline void predict(Prepared& p, const std::vector<SpeedFamily>& families) {
  std::vector<Scored> kept;
  for (auto& s : p.rows) {
    const SpeedFamily* fam = nullptr;
    for (const auto& f : families)
      if (f.id == s.family) fam = &f;
    if (!fam || fam->params.decode_rows + fam->params.prefill_rows == 0) {
      ++p.skipped["speed family not calibrated: " + s.family], ++p.n_skipped;
      continue;
    }
    s.predicted = predicted_tps(fam->params, s.f);
    kept.push_back(std::move(s));
  }
  p.rows = std::move(kept);
}

inline nlohmann::json stats_json(const ErrorStats& s) {
  auto r = [](double v) { return std::round(v * 1e4) / 1e4; };
  return {{"median", r(s.median)}, {"p90", r(s.p90)}, {"n", s.n}};
}

// Band coverage: the share of rows whose measurement lies inside the family's 80% band.
inline double band_coverage(const std::vector<Scored>& rows, const std::vector<SpeedFamily>& families) {
  int in = 0, n = 0;
  for (const auto& s : rows) {
    for (const auto& f : families) {
      if (f.id != s.family) continue;
      const double lo = s.row.decode ? f.params.decode_lo : f.params.prefill_lo;
      const double hi = s.row.decode ? f.params.decode_hi : f.params.prefill_hi;
      const double ratio = s.row.tps / s.predicted;
      in += ratio >= lo && ratio <= hi;
      ++n;
    }
  }
  return n ? double(in) / n : NAN;
}

inline std::map<std::string, std::vector<double>> errors_by(const std::vector<Scored>& rows, bool per_family) {
  std::map<std::string, std::vector<double>> e;
  for (const auto& s : rows) e[kind_of(s.row) + (per_family ? " " + s.family : "")].push_back(s.error());
  return e;
}

// Errors and the median measured/predicted ratio per test kind and weight-type class.
struct ClassStats {
  ErrorStats error;
  double ratio = 0;  // median measured/predicted: above 1, the class runs faster than predicted
};
inline std::map<std::string, ClassStats> by_weight_class(const std::vector<Scored>& rows) {
  std::map<std::string, std::vector<double>> e, r;
  for (const auto& s : rows) {
    const std::string k = kind_of(s.row) + " " + weight_class_of(s.row.quant);
    e[k].push_back(s.error());
    r[k].push_back(s.row.tps / s.predicted);
  }
  std::map<std::string, ClassStats> out;
  for (const auto& [k, v] : e) out[k] = {error_stats(v), quantile(r[k], 0.5)};
  return out;
}

inline void print_report(const Prepared& p, const std::vector<SpeedFamily>& families, const std::string& what) {
  std::printf("Speed model vs %zu measured rows (%s); %d rows skipped\n", p.rows.size(), what.c_str(), p.n_skipped);
  for (const auto& [k, n] : p.skipped) std::printf("  skipped %4d  %s\n", n, k.c_str());
  std::printf("\nabsolute error of the predicted tokens/s (test kind by llama-bench's start depth)\n");
  std::printf("%-16s %-16s %6s %9s %9s\n", "kind", "family", "n", "median", "p90");
  const auto all = errors_by(p.rows, false);
  const auto fam = errors_by(p.rows, true);
  for (const auto& [k, v] : all) {
    const auto s = error_stats(v);
    std::printf("%-16s %-16s %6zu %8.1f%% %8.1f%%\n", k.c_str(), "all", s.n, 100 * s.median, 100 * s.p90);
    for (const auto& [kf, vf] : fam) {
      if (kf.rfind(k + " ", 0) != 0) continue;
      const auto sf = error_stats(vf);
      std::printf("%-16s %-16s %6zu %8.1f%% %8.1f%%\n", "", kf.substr(k.size() + 1).c_str(), sf.n, 100 * sf.median,
                  100 * sf.p90);
    }
  }
  std::printf("\nby weight-type class (ratio: median measured/predicted)\n");
  std::printf("%-16s %-16s %6s %9s %9s %7s\n", "kind", "class", "n", "median", "p90", "ratio");
  for (const auto& [k, c] : by_weight_class(p.rows)) {
    const auto sp = k.find(' ');
    if (k.compare(0, sp, "decode_shallow") == 0 || k.compare(0, sp, "prefill_long") == 0) continue;
    std::printf("%-16s %-16s %6zu %8.1f%% %8.1f%% %7.2f\n", k.substr(0, sp).c_str(), k.substr(sp + 1).c_str(),
                c.error.n, 100 * c.error.median, 100 * c.error.p90, c.ratio);
  }
  std::printf("\n80%% bands hold %.1f%% of the rows\n", 100 * band_coverage(p.rows, families));
  // Debugging aid: every scored row, tab-separated (kind, family, quant, measured, predicted, model,
  // backend label, build, source, file:line, test, flash attention).
  if (std::getenv("HALOPLAN_DUMP_ROWS"))
    for (const auto& s : p.rows)
      std::printf("ROW \t%s\t%s\t%s\t%g\t%g\t%s\t%s\t%d\t%s\t%s:%d\t%s\tfa=%d\n", kind_of(s.row).c_str(),
                  s.family.c_str(), s.row.quant.c_str(), s.row.tps, s.predicted, s.row.model_id.c_str(),
                  s.row.backend_label.c_str(), s.row.build, s.row.source.c_str(), s.row.file.c_str(), s.row.line,
                  s.row.test.c_str(), int(s.row.flash_attn));
  std::vector<const Scored*> worst;
  const char* only = std::getenv("HALOPLAN_WORST_KIND");  // debugging aid: worst rows of one kind
  for (const auto& s : p.rows)
    if (!only || kind_of(s.row) == only) worst.push_back(&s);
  std::sort(worst.begin(), worst.end(), [](const Scored* a, const Scored* b) { return a->error() > b->error(); });
  std::printf("\nworst 10 rows:\n");
  for (size_t i = 0; i < std::min<size_t>(only ? 40 : 10, worst.size()); ++i) {
    const auto& s = *worst[i];
    const std::string where =
        (s.row.file.empty() ? std::string("line") : s.row.file) + ":" + std::to_string(s.row.line);
    std::printf("  %-34s %-24s %-15s %-14s fa=%d measured %8.1f predicted %8.1f (%+.0f%%)\n", where.c_str(),
                (s.row.model_id.empty() ? s.row.model_label : s.row.model_id).substr(0, 24).c_str(), s.family.c_str(),
                s.row.test.c_str(), int(s.row.flash_attn), s.row.tps, s.predicted, 100 * (s.predicted / s.row.tps - 1));
  }
}

inline nlohmann::json report_json(const Prepared& p, const std::vector<SpeedFamily>& families) {
  nlohmann::json j;
  const auto all = errors_by(p.rows, false);
  for (const char* k : {"decode_d0", "decode_deep", "prefill_512", "prefill_deep", "decode_shallow", "prefill_long"}) {
    const auto it = all.find(k);
    j[k] = stats_json(error_stats(it == all.end() ? std::vector<double>{} : it->second));
  }
  nlohmann::json per = nlohmann::json::object();
  for (const auto& [k, v] : errors_by(p.rows, true)) {
    const auto sp = k.find(' ');
    per[k.substr(sp + 1)][k.substr(0, sp)] = stats_json(error_stats(v));
  }
  j["families"] = per;
  nlohmann::json cls = nlohmann::json::object();
  for (const auto& [k, c] : by_weight_class(p.rows)) {
    const auto sp = k.find(' ');
    auto st = stats_json(c.error);
    st["ratio"] = std::round(c.ratio * 1e3) / 1e3;
    cls[k.substr(sp + 1)][k.substr(0, sp)] = st;
  }
  j["classes"] = cls;
  j["band_coverage"] = std::round(band_coverage(p.rows, families) * 1e4) / 1e4;
  j["rows"] = p.rows.size();
  j["skipped"] = p.n_skipped;
  return j;
}

}  // namespace haloplan::bench
