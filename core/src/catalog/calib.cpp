#include "haloplan/catalog/calib.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <map>

#include "haloplan/planner/plan.h"
#include "haloplan/planner/quant.h"
#include "haloplan/text/strings.h"

namespace haloplan {

namespace {

// A fit's pull toward other parameters: lambda * (sum of row weights) * sum_j ((p_j - to_j) / to_j)^2
// over the parameters with to_j > 0. lambda 0: no pull.
template <size_t N>
struct Pull {
  std::array<double, N> to{};
  double lambda = 0;
  // Parameters held at `to` instead of fitted (bit j: parameter j): the terms every family shares.
  unsigned fixed = 0;
};

// Weighted non-negative least squares on relative error of time: minimises
// sum w_i ((x_i . p - t_i) / t_i)^2 (plus the pull) over p >= 0 by trying every active set (N is
// small).
template <size_t N>
std::array<double, N> fit_nnls(const std::vector<std::array<double, N>>& X, const std::vector<double>& t,
                               const std::vector<double>& w, const Pull<N>& pull) {
  double wsum = 0;
  for (double v : w) wsum += v;
  const double lam = pull.lambda * wsum;
  // The held parameters' share of each row's time.
  std::vector<double> held(X.size(), 0.0);
  for (size_t i = 0; i < X.size(); ++i)
    for (size_t j = 0; j < N; ++j)
      if (pull.fixed & (1u << j)) held[i] += pull.to[j] * X[i][j];
  std::array<double, N> best{};
  for (size_t j = 0; j < N; ++j)
    if (pull.fixed & (1u << j)) best[j] = pull.to[j];
  double best_err = INFINITY;
  for (unsigned mask = 1; mask < (1u << N); ++mask) {
    if (mask & pull.fixed) continue;
    std::array<size_t, N> idx{};
    size_t k = 0;
    for (size_t j = 0; j < N; ++j)
      if (mask & (1u << j)) idx[k++] = j;
    std::array<double, N * N> A{};
    std::array<double, N> b{};
    for (size_t i = 0; i < X.size(); ++i) {
      for (size_t r = 0; r < k; ++r) {
        const double xr = X[i][idx[r]] / t[i];
        b[r] += w[i] * xr * (1 - held[i] / t[i]);
        for (size_t c = 0; c < k; ++c) A[r * k + c] += w[i] * xr * X[i][idx[c]] / t[i];
      }
    }
    for (size_t r = 0; r < k && lam > 0; ++r)
      if (const double to = pull.to[idx[r]]; to > 0) A[r * k + r] += lam / (to * to), b[r] += lam / to;
    bool singular = false;
    for (size_t col = 0; col < k && !singular; ++col) {
      size_t piv = col;
      for (size_t r = col + 1; r < k; ++r)
        if (std::fabs(A[r * k + col]) > std::fabs(A[piv * k + col])) piv = r;
      if (std::fabs(A[piv * k + col]) < 1e-300) {
        singular = true;
        break;
      }
      for (size_t c = 0; c < k; ++c) std::swap(A[col * k + c], A[piv * k + c]);
      std::swap(b[col], b[piv]);
      for (size_t r = col + 1; r < k; ++r) {
        const double f = A[r * k + col] / A[col * k + col];
        for (size_t c = col; c < k; ++c) A[r * k + c] -= f * A[col * k + c];
        b[r] -= f * b[col];
      }
    }
    if (singular) continue;
    std::array<double, N> x{};
    for (size_t r = k; r-- > 0;) {
      double s = b[r];
      for (size_t c = r + 1; c < k; ++c) s -= A[r * k + c] * x[c];
      x[r] = s / A[r * k + r];
    }
    if (std::any_of(x.begin(), x.begin() + long(k), [](double v) { return v < 0 || !std::isfinite(v); })) continue;
    std::array<double, N> p{};
    for (size_t j = 0; j < N; ++j)
      if (pull.fixed & (1u << j)) p[j] = pull.to[j];
    for (size_t r = 0; r < k; ++r) p[idx[r]] = x[r];
    double err = 0;
    for (size_t i = 0; i < X.size(); ++i) {
      double pred = 0;
      for (size_t j = 0; j < N; ++j) pred += p[j] * X[i][j];
      err += w[i] * std::pow((pred - t[i]) / t[i], 2);
    }
    for (size_t j = 0; j < N && lam > 0; ++j)
      if (pull.to[j] > 0 && !(pull.fixed & (1u << j))) err += lam * std::pow((p[j] - pull.to[j]) / pull.to[j], 2);
    if (err < best_err) best_err = err, best = p;
  }
  return best;
}

// Iteratively reweighted: weights 1/|residual| turn least squares into least absolute relative
// error, which is what the median error measures and is robust to a few odd measurements.
template <size_t N>
std::array<double, N> fit_robust(const std::vector<std::array<double, N>>& X, const std::vector<double>& t,
                                 const std::vector<double>& prior, const Pull<N>& pull) {
  std::vector<double> w = prior;
  std::array<double, N> p = fit_nnls(X, t, w, pull);
  for (int it = 0; it < 12; ++it) {
    for (size_t i = 0; i < X.size(); ++i) {
      double pred = 0;
      for (size_t j = 0; j < N; ++j) pred += p[j] * X[i][j];
      w[i] = prior[i] / std::max(0.05, std::fabs(pred - t[i]) / t[i]);
    }
    p = fit_nnls(X, t, w, pull);
  }
  return p;
}

double round_to(double v, double unit) { return std::round(v / unit) * unit; }

}  // namespace

const CatalogModel* match_model(const Catalog& c, const BenchRow& r) {
  if (!r.model_id.empty()) return c.model(r.model_id);
  if (r.params <= 0 || r.model_label.empty()) return nullptr;
  const std::string arch = r.model_label.substr(0, r.model_label.find(' '));
  const CatalogModel* best = nullptr;
  double best_gap = 0.03;
  for (const auto& m : c.models) {
    if (m.arch.arch != arch) continue;
    const double total = double(model_weights(m, FType::Q8_0).total_params);
    const double gap = std::fabs(total - r.params) / r.params;
    if (gap < best_gap) best_gap = gap, best = &m;
  }
  return best;
}

std::optional<RowFeatures> row_features(const Machine& m, const CatalogModel& model, const BenchRow& r,
                                        std::string& why_not) {
  const double bw = m.bandwidth_gbs * 1e9, flops = m.fp16_tflops * 1e12;
  if (bw <= 0 || flops <= 0) {
    why_not = "machine " + m.id + " has no bandwidth or FLOPS figure";
    return std::nullopt;
  }
  bool exact = false;
  const auto q = quant_of(r.quant, exact);
  if (!q && r.file_bytes <= 0) {
    why_not = "quant '" + r.quant.substr(0, 40) + "' is unknown and the file size is not given";
    return std::nullopt;
  }
  WeightBreakdown w = model_weights(model, q.value_or(FType::Q4_K_M));
  if (r.file_bytes > 0) {
    // A MoE file well below the size its type label implies stores its experts in a smaller type
    // (an "F16" gpt-oss with MXFP4 experts): the label holds for the rest, the experts take the
    // remaining bytes. Otherwise every tensor scales to the file.
    const bool experts_differ =
        exact && w.routed_expert_bytes > 0 && double(r.file_bytes) < 0.9 * double(w.total_bytes);
    w = experts_differ ? experts_take_rest(w, uint64_t(r.file_bytes)) : scale_to_file_size(w, uint64_t(r.file_bytes));
  }
  const SpeedInputs in = speed_inputs(model.arch, w);
  RowFeatures f;
  f.decode = r.decode;
  if (r.decode) {
    ContextParams cp;
    cp.type_k = r.type_k, cp.type_v = r.type_v, cp.flash_attn = r.flash_attn;
    const int64_t mean_depth = r.depth + r.n_tokens / 2;
    f.fd = decode_features(in, double(kv_read_bytes(model.arch, cp, mean_depth)), double(mean_depth), r.flash_attn,
                           flops, bw);
  } else {
    f.fp = prefill_features(in, double(r.depth), double(r.n_tokens), r.flash_attn, flops, bw, r.n_ubatch);
    if (!vec_flash_attention_prompts(r.backend_label, r.build, r.date)) f.fp[kPrefillVec] = 0;
  }
  return f;
}

double predicted_tps(const SpeedParams& p, const RowFeatures& f) {
  const double s = f.decode ? decode_seconds(p, f.fd) : prefill_seconds(p, f.fp);
  return s > 0 ? 1.0 / s : 0;
}

double quantile(std::vector<double> v, double q) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  const double pos = q * double(v.size() - 1);
  const size_t lo = size_t(std::floor(pos));
  const size_t hi = std::min(v.size() - 1, lo + 1);
  return v[lo] + (v[hi] - v[lo]) * (pos - double(lo));
}

ErrorStats error_stats(const std::vector<double>& e) {
  return {e.empty() ? 0 : quantile(e, 0.5), e.empty() ? 0 : quantile(e, 0.9), e.size()};
}

SpeedParams fit_speed_params(const std::vector<RowFeatures>& rows, const std::vector<double>& tps,
                             const std::vector<double>& weights, const SpeedParams* toward, double lambda_decode,
                             double lambda_prefill, unsigned shared_decode, unsigned shared_prefill) {
  std::vector<DecodeFeatures> Xd;
  std::vector<PrefillFeatures> Xp;
  std::vector<double> td, tp, wd, wp;
  for (size_t i = 0; i < rows.size(); ++i) {
    const double w = i < weights.size() ? weights[i] : 1.0;
    if (rows[i].decode) Xd.push_back(rows[i].fd), td.push_back(1.0 / tps[i]), wd.push_back(w);
    else Xp.push_back(rows[i].fp), tp.push_back(1.0 / tps[i]), wp.push_back(w);
  }
  SpeedParams p;
  Pull<kDecodeParams> pd;
  Pull<kPrefillParams> pp;
  if (toward)
    pd = {toward->decode, lambda_decode, shared_decode}, pp = {toward->prefill, lambda_prefill, shared_prefill};
  if (!Xd.empty()) p.decode = fit_robust(Xd, td, wd, pd);
  if (!Xp.empty()) p.prefill = fit_robust(Xp, tp, wp, pp);
  p.decode_rows = int(Xd.size());
  p.prefill_rows = int(Xp.size());
  std::vector<double> rd, rp;
  for (size_t i = 0; i < rows.size(); ++i) {
    const double pred = predicted_tps(p, rows[i]);
    if (pred > 0) (rows[i].decode ? rd : rp).push_back(tps[i] / pred);
  }
  // Rounded outwards to 0.01, so the band holds at least the share it claims.
  if (!rd.empty())
    p.decode_lo = std::floor(quantile(rd, 0.1) * 100) / 100, p.decode_hi = std::ceil(quantile(rd, 0.9) * 100) / 100;
  if (!rp.empty())
    p.prefill_lo = std::floor(quantile(rp, 0.1) * 100) / 100, p.prefill_hi = std::ceil(quantile(rp, 0.9) * 100) / 100;
  for (auto& v : p.decode) v = round_to(v, 1e-4);
  for (auto& v : p.prefill) v = round_to(v, 1e-4);
  return p;
}

CalibrationResult calibrate_from_bench(const Catalog& c, const Machine& m, const Backend* backend,
                                       std::string_view text, const CatalogModel* fallback) {
  CalibrationResult res;
  const BenchRows parsed = parse_llama_bench(text);
  if (!backend) {
    for (const auto& r : parsed.rows) {
      const std::string fam = speed_family_of(r.backend_label, r.build);
      const std::string kind = fam.substr(0, fam.find('-'));
      for (const Backend* b : backends_for(c, m)) {
        if (!kind.empty() && b->id.rfind("llamacpp-", 0) == 0 && b->speed_family.rfind(kind, 0) == 0) {
          backend = b;
          break;
        }
      }
      if (backend) break;
    }
    if (!backend) {
      res.error = parsed.rows.empty() && !parsed.errors.empty()
                      ? parsed.errors.front()
                      : "the rows do not say which backend ran them (Vulkan, ROCm…); choose the backend";
      return res;
    }
  }
  const Backend& b = *backend;
  for (const auto& e : parsed.errors) res.skipped.push_back(e);
  std::vector<RowFeatures> feats;
  for (const auto& r : parsed.rows) {
    const std::string at = "line " + std::to_string(r.line) + " (" + r.test + "): ";
    const CatalogModel* model = match_model(c, r);
    if (!model && fallback) {
      const double total = double(model_weights(*fallback, FType::Q8_0).total_params);
      if (r.params <= 0 || std::fabs(total - r.params) / r.params < 0.03) model = fallback;
    }
    if (!model) {
      res.skipped.push_back(at + "model '" + r.model_label.substr(0, 60) + "' matches no catalog model");
      continue;
    }
    std::string why;
    const auto f = row_features(m, *model, r, why);
    if (!f) {
      res.skipped.push_back(at + why);
      continue;
    }
    const double pred = predicted_tps(b.speed, *f) * b.speed_factor;
    if (pred <= 0) {
      res.skipped.push_back(at + "the speed model gives no estimate for it");
      continue;
    }
    res.rows.push_back({r, model->id, pred, pred});
    feats.push_back(*f);
  }
  if (res.rows.empty()) {
    res.error = parsed.rows.empty() && !parsed.errors.empty() ? parsed.errors.front() : "no usable llama-bench rows";
    return res;
  }
  // Least relative error of time per token for one factor per kind: k = sum(r) / sum(r^2) with
  // r = predicted time / measured time = measured speed / predicted speed.
  Calibration cal;
  cal.backend = b.id;
  double sd = 0, sd2 = 0, sp = 0, sp2 = 0;
  for (const auto& row : res.rows) {
    const double r = row.row.tps / row.before;
    (row.row.decode ? sd : sp) += r;
    (row.row.decode ? sd2 : sp2) += r * r;
    ++(row.row.decode ? cal.decode_rows : cal.prefill_rows);
  }
  if (cal.decode_rows) cal.decode_scale = std::clamp(round_to(sd2 / sd, 1e-3), 0.05, 20.0);
  if (cal.prefill_rows) cal.prefill_scale = std::clamp(round_to(sp2 / sp, 1e-3), 0.05, 20.0);
  std::vector<double> db, da, pb, pa;
  for (auto& row : res.rows) {
    row.after = row.before * (row.row.decode ? cal.decode_scale : cal.prefill_scale);
    (row.row.decode ? db : pb).push_back(std::fabs(row.before - row.row.tps) / row.row.tps);
    (row.row.decode ? da : pa).push_back(std::fabs(row.after - row.row.tps) / row.row.tps);
  }
  res.decode_before = error_stats(db), res.decode_after = error_stats(da);
  res.prefill_before = error_stats(pb), res.prefill_after = error_stats(pa);
  // Leave one out: each row against the scale of the other rows of its kind.
  std::vector<double> dl, pl, dr, pr;
  for (const auto& row : res.rows) {
    const bool d = row.row.decode;
    const int n = d ? cal.decode_rows : cal.prefill_rows;
    if (n < 2) continue;
    const double r = row.row.tps / row.before;
    const double s = (d ? sd : sp) - r, s2 = (d ? sd2 : sp2) - r * r;
    const double loo = row.before * (s > 0 ? s2 / s : 1.0);
    (d ? dl : pl).push_back(std::fabs(loo - row.row.tps) / row.row.tps);
    (d ? dr : pr).push_back(row.row.tps / loo);
  }
  res.decode_loo = error_stats(dl), res.prefill_loo = error_stats(pl);
  // The bands the rows justify for the models they do not measure. The shipped rows show that a
  // scale fitted on one source's models does not tighten the prediction of its other models (the
  // family's calibrated band is no narrower than the shipped one), so the band never narrows: it
  // is the wider of the two, widened further to the rows' own leave-one-out spread (with at least
  // kRowsForBand rows of the kind).
  auto band = [](const std::vector<double>& ratios, double lo0, double hi0, double fam_lo, double fam_hi, double& lo,
                 double& hi) {
    lo = fam_lo > 0 ? std::min(lo0, fam_lo) : lo0;
    hi = fam_hi > 0 ? std::max(hi0, fam_hi) : hi0;
    if (int(ratios.size()) >= kRowsForBand)
      lo = std::min(lo, std::floor(quantile(ratios, 0.1) * 100) / 100),
      hi = std::max(hi, std::ceil(quantile(ratios, 0.9) * 100) / 100);
    lo = std::clamp(lo, 0.01, 1.0), hi = std::clamp(hi, 1.0, 100.0);
  };
  if (cal.decode_rows)
    band(dr, b.speed.decode_lo, b.speed.decode_hi, b.speed.calibrated_decode_lo, b.speed.calibrated_decode_hi,
         cal.decode_lo, cal.decode_hi);
  if (cal.prefill_rows)
    band(pr, b.speed.prefill_lo, b.speed.prefill_hi, b.speed.calibrated_prefill_lo, b.speed.calibrated_prefill_hi,
         cal.prefill_lo, cal.prefill_hi);
  res.cal = cal;
  return res;
}

void apply_calibrations(Catalog& c, const std::vector<Calibration>& cals) {
  for (const auto& cal : cals) {
    for (auto& b : c.backends) {
      if (b.id != cal.backend) continue;
      for (auto& v : b.speed.decode) v /= cal.decode_scale;
      for (auto& v : b.speed.prefill) v /= cal.prefill_scale;
      if (cal.decode_lo > 0) b.speed.decode_lo = cal.decode_lo, b.speed.decode_hi = cal.decode_hi;
      if (cal.prefill_lo > 0) b.speed.prefill_lo = cal.prefill_lo, b.speed.prefill_hi = cal.prefill_hi;
      b.speed.fitted_on +=
          "; scaled to your " + std::to_string(cal.decode_rows + cal.prefill_rows) + " llama-bench rows";
    }
  }
}

std::string calibrations_text(const std::vector<Calibration>& cals) {
  std::vector<std::string> parts;
  for (const auto& c : cals) {
    std::string t = c.backend + ":" + num_text(c.decode_scale) + ":" + num_text(c.prefill_scale) + ":" +
                    std::to_string(c.decode_rows) + ":" + std::to_string(c.prefill_rows);
    if (c.decode_lo > 0 || c.prefill_lo > 0)
      for (double v : {c.decode_lo, c.decode_hi, c.prefill_lo, c.prefill_hi}) t += ":" + num_text(v);
    parts.push_back(t);
  }
  return join(parts);
}

std::string parse_calibrations(const std::string& text, std::vector<Calibration>& out) {
  std::vector<Calibration> cals;
  if (text == "default" || text.empty()) {
    out.clear();
    return "";
  }
  for (const auto& part : split(text, ',')) {
    const auto f = split(part, ':');
    if (f.size() != 5 && f.size() != 9)
      return "calibration '" + part.substr(0, 64) +
             "' is not backend:decode:prefill:rows:rows (then, optionally, four bands)";
    Calibration c;
    if (!valid_id(f[0])) return "calibration backend '" + f[0].substr(0, 64) + "' is not a valid id";
    c.backend = f[0];
    const auto d = parse_number(f[1], 0.05, 20), p = parse_number(f[2], 0.05, 20);
    const auto nd = parse_whole(f[3], 0, 100000), np = parse_whole(f[4], 0, 100000);
    if (!d || !p) return "calibration scales must be numbers from 0.05 to 20, got '" + part.substr(0, 64) + "'";
    if (!nd || !np)
      return "calibration row counts must be whole numbers from 0 to 100000, got '" + part.substr(0, 64) + "'";
    c.decode_scale = *d, c.prefill_scale = *p, c.decode_rows = int(*nd), c.prefill_rows = int(*np);
    if (f.size() == 9) {
      // Bands: 0 (the backend's stay) or lo in 0.01..1 and hi in 1..100, only for a kind with rows.
      double* dst[] = {&c.decode_lo, &c.decode_hi, &c.prefill_lo, &c.prefill_hi};
      for (int i = 0; i < 4; ++i) {
        const auto v = parse_number(f[5 + i], 0, 100);
        const bool lo = i % 2 == 0;
        if (!v || (*v != 0 && (lo ? (*v < 0.01 || *v > 1) : *v < 1)))
          return "calibration bands must be 0, or a low end from 0.01 to 1 and a high end from 1 to 100, got '" +
                 part.substr(0, 64) + "'";
        *dst[i] = *v;
      }
      if ((c.decode_lo == 0) != (c.decode_hi == 0) || (c.prefill_lo == 0) != (c.prefill_hi == 0))
        return "calibration band '" + part.substr(0, 64) + "' gives one end without the other";
      if ((c.decode_lo > 0 && c.decode_rows == 0) || (c.prefill_lo > 0 && c.prefill_rows == 0))
        return "calibration '" + part.substr(0, 64) + "' gives a band for a kind without rows";
    }
    if (std::any_of(cals.begin(), cals.end(), [&](const Calibration& x) { return x.backend == c.backend; }))
      return "calibration for '" + c.backend + "' is given twice";
    cals.push_back(c);
  }
  if (cals.size() > 16) return "more than 16 calibrations";
  out = std::move(cals);
  return "";
}

}  // namespace haloplan
