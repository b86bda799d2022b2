// Scores the speed model against measured rows: shared by bench/accuracy and bench/calibrate.
#pragma once

#include <algorithm>
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

// Rows that measure the same thing: the same model, quant, backend family, test, flash-attention
// setting and ubatch. Between setups (a source's build under one backend label) they differ by
// build and setup only.
inline std::string same_test_key(const Scored& s) {
  return (s.row.model_id.empty() ? s.row.model_label : s.row.model_id) + "|" + s.row.quant + "|" + s.family + "|" +
         s.row.test + "|" + (s.row.flash_attn ? "fa" : "nofa") + "|" + std::to_string(s.row.n_ubatch);
}

inline std::string setup_of(const Scored& s) {
  return s.row.source + "|" + s.row.backend_label + "|" + std::to_string(s.row.build) + "|" + s.row.date;
}

// The geometric mean of the other setups' measurements of the row's test (each setup's rows first
// folded to their geometric mean, so a setup counts once); 0 if no other setup has it.
inline double other_setups_tps(const Scored& s, const std::multimap<std::string, const Scored*>& by_key,
                               int* n_setups = nullptr) {
  std::map<std::string, std::pair<double, int>> per_source;  // sum of logs, rows
  const auto [lo, hi] = by_key.equal_range(same_test_key(s));
  const std::string mine = setup_of(s);
  for (auto it = lo; it != hi; ++it)
    if (setup_of(*it->second) != mine) {
      auto& [sum, n] = per_source[setup_of(*it->second)];
      sum += std::log(it->second->row.tps), ++n;
    }
  if (n_setups) *n_setups = int(per_source.size());
  if (per_source.empty()) return 0;
  double sum = 0;
  for (const auto& [src, v] : per_source) sum += v.first / v.second;
  return std::exp(sum / double(per_source.size()));
}

inline std::multimap<std::string, const Scored*> rows_by_test(const std::vector<Scored>& rows) {
  std::multimap<std::string, const Scored*> m;
  for (const auto& s : rows) m.emplace(same_test_key(s), &s);
  return m;
}

// Between setups: each row predicted by the other setups' measurements of the same test, the
// spread no model that sees only the model, the quant and the backend family can beat; beside
// it the model's own error on the same rows.
struct BetweenSetups {
  ErrorStats floor, model;
};
inline std::map<std::string, BetweenSetups> between_setups(const std::vector<Scored>& rows) {
  const auto by_key = rows_by_test(rows);
  std::map<std::string, std::pair<std::vector<double>, std::vector<double>>> e;
  for (const auto& s : rows) {
    const double other = other_setups_tps(s, by_key);
    if (other <= 0) continue;
    auto& [floor, model] = e[kind_of(s.row)];
    floor.push_back(std::fabs(other - s.row.tps) / s.row.tps);
    model.push_back(s.error());
  }
  std::map<std::string, BetweenSetups> out;
  for (const auto& [k, v] : e) out[k] = {error_stats(v.first), error_stats(v.second)};
  return out;
}

// What a term of the speed model stands for, for the worst rows' diagnosis.
inline const char* term_words(bool decode, size_t i) {
  static const char* const d[kDecodeParams] = {"weight reads",
                                               "expert reads",
                                               "KV reads",
                                               "KV reads without flash attention",
                                               "attention at depth",
                                               "per-layer launches",
                                               "per-MoE-layer launches",
                                               "per-recurrent-layer launches"};
  static const char* const p[kPrefillParams] = {"dense matrix products",     "expert matrix products",
                                                "flash attention at depth",  "attention without flash attention",
                                                "weight reads per ubatch",   "recurrent scan",
                                                "the vec kernel's attention"};
  return decode ? d[i] : p[i];
}

// What the model is missing for a row it gets badly wrong, from the other rows alone: whether the
// other setups' rows of the same test agree with the row or with the estimate, whether the model's rows
// are off the same way in the other families, whether the row lies beyond the depths its family
// was fitted on, and which terms make up the estimate.
// `cause` sums it up: "setup" (other setups' rows of the test disagree with this one), "model"
// (they agree with it, or the model's rows are off the same way in the other families) or
// "unexplained".
struct Diagnosis {
  std::string cause, text;
};
inline Diagnosis what_is_missing(const Scored& s, const std::vector<Scored>& rows,
                                 const std::multimap<std::string, const Scored*>& by_key,
                                 const std::vector<SpeedFamily>& families) {
  const double r = s.row.tps / s.predicted;
  char buf[256];
  Diagnosis d{"unexplained", ""};
  std::string& out = d.text;
  auto add = [&](const std::string& part) { out += (out.empty() ? "" : "; ") + part; };
  int n_src = 0;
  const double other = other_setups_tps(s, by_key, &n_src);
  if (other > 0) {
    const double ro = other / s.predicted;
    const bool agree = std::fabs(std::log(r / ro)) < std::log(1.25);
    std::snprintf(buf, sizeof buf,
                  "%d other build%s or source%s of this test measure %.2fx the estimate, this row %.2fx: %s", n_src,
                  n_src == 1 ? "" : "s", n_src == 1 ? "" : "s", ro, r,
                  agree ? "they agree, the model misses it" : "this build or setup, not the model");
    add(buf);
    d.cause = agree ? "model" : "setup";
    if (!agree) return d;
  } else {
    add("no other build or source measures this test");
  }
  // The same model and test kind in the other families.
  std::vector<double> elsewhere;
  const std::string model = s.row.model_id.empty() ? s.row.model_label : s.row.model_id;
  for (const auto& o : rows)
    if (o.family != s.family && (o.row.model_id.empty() ? o.row.model_label : o.row.model_id) == model &&
        kind_of(o.row) == kind_of(s.row))
      elsewhere.push_back(o.row.tps / o.predicted);
  if (!elsewhere.empty()) {
    const double m = quantile(elsewhere, 0.5);
    const bool same_way = (m < 0.8 && r < 1) || (m > 1.25 && r > 1);
    std::snprintf(buf, sizeof buf, "in the other families this model's %s rows run %.2fx (%zu rows)%s",
                  kind_of(s.row).c_str(), m, elsewhere.size(),
                  same_way ? ": a cost of this model that bytes and FLOPs do not carry" : "");
    add(buf);
    if (same_way) d.cause = "model";
  }
  // Depth beyond what the family's other models were measured at.
  int64_t deepest = 0;
  for (const auto& o : rows)
    if (o.family == s.family && o.row.decode == s.row.decode &&
        (o.row.model_id.empty() ? o.row.model_label : o.row.model_id) != model)
      deepest = std::max(deepest, o.row.depth);
  if (s.row.depth > deepest) {
    std::snprintf(buf, sizeof buf, "deeper than any other model's row of the family (d%lld)", (long long)deepest);
    add(buf);
  }
  // The estimate's time by term, with the family's shipped parameters.
  for (const auto& f : families) {
    if (f.id != s.family) continue;
    std::vector<std::pair<double, size_t>> parts;
    double total = 0;
    const size_t n = s.row.decode ? kDecodeParams : kPrefillParams;
    for (size_t i = 0; i < n; ++i) {
      const double t = s.row.decode ? f.params.decode[i] * s.f.fd[i] : f.params.prefill[i] * s.f.fp[i];
      parts.push_back({t, i}), total += t;
    }
    if (total <= 0) break;
    std::sort(parts.rbegin(), parts.rend());
    std::string terms = "the estimate is ";
    for (size_t i = 0; i < 2 && parts[i].first > 0.05 * total; ++i) {
      std::snprintf(buf, sizeof buf, "%s%.0f%% %s", i ? ", " : "", 100 * parts[i].first / total,
                    term_words(s.row.decode, parts[i].second));
      terms += buf;
    }
    add(terms);
  }
  return d;
}

// The n rows with the largest error (of one test kind, if `only` names one).
inline std::vector<const Scored*> worst_rows(const std::vector<Scored>& rows, size_t n, const char* only = nullptr) {
  std::vector<const Scored*> worst;
  for (const auto& s : rows)
    if (!only || kind_of(s.row) == only) worst.push_back(&s);
  std::sort(worst.begin(), worst.end(), [](const Scored* a, const Scored* b) { return a->error() > b->error(); });
  if (worst.size() > n) worst.resize(n);
  return worst;
}

inline std::string row_where(const Scored& s) {
  return (s.row.file.empty() ? std::string("line") : s.row.file) + ":" + std::to_string(s.row.line);
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
  std::printf(
      "\nbetween setups (each row predicted by other builds' and sources' rows of the same model, quant, family,\n"
      "test, flash attention and ubatch: the spread builds and setups leave; beside it the model on the same rows)\n");
  std::printf("%-16s %6s %18s %18s\n", "kind", "n", "setups median/p90", "model median/p90");
  for (const auto& [k, b] : between_setups(p.rows))
    std::printf("%-16s %6zu %8.1f%% %8.1f%% %8.1f%% %8.1f%%\n", k.c_str(), b.floor.n, 100 * b.floor.median,
                100 * b.floor.p90, 100 * b.model.median, 100 * b.model.p90);
  // Debugging aid: every scored row, tab-separated (kind, family, quant, measured, predicted, model,
  // backend label, build, source, file:line, test, flash attention).
  if (std::getenv("HALOPLAN_DUMP_ROWS"))
    for (const auto& s : p.rows)
      std::printf("ROW \t%s\t%s\t%s\t%g\t%g\t%s\t%s\t%d\t%s\t%s:%d\t%s\tfa=%d\n", kind_of(s.row).c_str(),
                  s.family.c_str(), s.row.quant.c_str(), s.row.tps, s.predicted, s.row.model_id.c_str(),
                  s.row.backend_label.c_str(), s.row.build, s.row.source.c_str(), s.row.file.c_str(), s.row.line,
                  s.row.test.c_str(), int(s.row.flash_attn));
  const char* only = std::getenv("HALOPLAN_WORST_KIND");  // debugging aid: worst rows of one kind
  const auto by_key = rows_by_test(p.rows);
  std::printf("\nworst 10 rows, each with what the other rows say the model is missing:\n");
  for (const Scored* w : worst_rows(p.rows, only ? 40 : 10, only)) {
    const auto& s = *w;
    const std::string where = row_where(s);
    std::printf("  %-34s %-24s %-15s %-14s fa=%d measured %8.1f predicted %8.1f (%+.0f%%)\n", where.c_str(),
                (s.row.model_id.empty() ? s.row.model_label : s.row.model_id).substr(0, 24).c_str(), s.family.c_str(),
                s.row.test.c_str(), int(s.row.flash_attn), s.row.tps, s.predicted, 100 * (s.predicted / s.row.tps - 1));
    const auto d = what_is_missing(s, p.rows, by_key, families);
    std::printf("      %s: %s\n", d.cause.c_str(), d.text.c_str());
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
  nlohmann::json between = nlohmann::json::object();
  for (const auto& [k, b] : between_setups(p.rows))
    between[k] = {{"setups", stats_json(b.floor)}, {"model", stats_json(b.model)}};
  j["between_setups"] = between;
  nlohmann::json worst = nlohmann::json::array();
  const auto by_key = rows_by_test(p.rows);
  for (const Scored* w : worst_rows(p.rows, 10)) {
    const auto d = what_is_missing(*w, p.rows, by_key, families);
    worst.push_back({{"row", row_where(*w)},
                     {"model", w->row.model_id.empty() ? w->row.model_label : w->row.model_id},
                     {"family", w->family},
                     {"test", w->row.test},
                     {"measured", w->row.tps},
                     {"predicted", std::round(w->predicted * 10) / 10},
                     {"cause", d.cause},
                     {"missing", d.text}});
  }
  j["worst"] = worst;
  j["rows"] = p.rows.size();
  j["skipped"] = p.n_skipped;
  return j;
}

}  // namespace haloplan::bench
