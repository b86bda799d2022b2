// Fits the speed model's per-backend-family parameters against measured llama-bench rows and
// prints the error: median and 90th-percentile absolute percentage error per test kind and family.
//
//   calibrate [--csv FILE] [--write data/backends.json] [--check]
//
// --write updates the speed blocks of every backend whose speed_family was fitted.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "haloplan/default_catalog.h"
#include "haloplan/speed.h"

using namespace haloplan;

namespace {

std::vector<std::string> parse_csv_line(const std::string& line) {
  std::vector<std::string> out;
  std::string cur;
  bool q = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (q) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') cur += '"', ++i;
      else if (c == '"') q = false;
      else cur += c;
    } else if (c == '"') q = true;
    else if (c == ',') out.push_back(cur), cur.clear();
    else cur += c;
  }
  out.push_back(cur);
  return out;
}

std::string family_of(const std::string& backend) {
  if (backend.find("amdvlk") != std::string::npos) return "vulkan-amdvlk";
  if (backend.rfind("vulkan", 0) == 0) return "vulkan-radv";
  if (backend.find("rocm") != std::string::npos || backend.find("hip") != std::string::npos) return "rocm";
  return "";
}

std::optional<FType> quant_of(const std::string& q) {
  if (auto f = ftype_from_name(q)) return f;
  if (q.find("MXFP4") != std::string::npos) return FType::MXFP4_MOE;
  if (q.find("Q4_K") != std::string::npos || q == "DYNAMIC") return FType::Q4_K_M;
  if (q.find("Q6_K") != std::string::npos) return FType::Q6_K;
  if (q.find("Q3_K") != std::string::npos) return FType::Q3_K_M;
  if (q.find("Q8") != std::string::npos) return FType::Q8_0;
  return std::nullopt;
}

struct Row {
  std::string model, family, test;
  bool decode = false;
  int64_t n = 0, depth = 0;
  double measured = 0;       // tokens/s
  std::array<double, 5> fd{};  // decode features
  std::array<double, 3> fp{};  // prefill features
  double predicted = 0;
};

// Weighted non-negative least squares on relative error, by enumerating active sets (few params).
template <size_t N>
std::array<double, N> fit_nnls(const std::vector<std::array<double, N>>& X, const std::vector<double>& t) {
  std::array<double, N> best{};
  double best_err = INFINITY;
  for (unsigned mask = 1; mask < (1u << N); ++mask) {
    std::vector<size_t> idx;
    for (size_t j = 0; j < N; ++j)
      if (mask & (1u << j)) idx.push_back(j);
    const size_t k = idx.size();
    std::vector<double> A(k * k, 0.0), b(k, 0.0);
    for (size_t i = 0; i < X.size(); ++i) {
      for (size_t r = 0; r < k; ++r) {
        const double xr = X[i][idx[r]] / t[i];
        b[r] += xr;
        for (size_t c = 0; c < k; ++c) A[r * k + c] += xr * X[i][idx[c]] / t[i];
      }
    }
    // Gaussian elimination with partial pivoting.
    bool singular = false;
    for (size_t col = 0; col < k && !singular; ++col) {
      size_t piv = col;
      for (size_t r = col + 1; r < k; ++r)
        if (std::fabs(A[r * k + col]) > std::fabs(A[piv * k + col])) piv = r;
      if (std::fabs(A[piv * k + col]) < 1e-300) singular = true;
      if (singular) break;
      for (size_t c = 0; c < k; ++c) std::swap(A[col * k + c], A[piv * k + c]);
      std::swap(b[col], b[piv]);
      for (size_t r = col + 1; r < k; ++r) {
        const double f = A[r * k + col] / A[col * k + col];
        for (size_t c = col; c < k; ++c) A[r * k + c] -= f * A[col * k + c];
        b[r] -= f * b[col];
      }
    }
    if (singular) continue;
    std::vector<double> x(k);
    for (size_t r = k; r-- > 0;) {
      double s = b[r];
      for (size_t c = r + 1; c < k; ++c) s -= A[r * k + c] * x[c];
      x[r] = s / A[r * k + r];
    }
    if (std::any_of(x.begin(), x.end(), [](double v) { return v < 0; })) continue;
    std::array<double, N> p{};
    for (size_t r = 0; r < k; ++r) p[idx[r]] = x[r];
    double err = 0;
    for (size_t i = 0; i < X.size(); ++i) {
      double pred = 0;
      for (size_t j = 0; j < N; ++j) pred += p[j] * X[i][j];
      err += std::pow((pred - t[i]) / t[i], 2);
    }
    if (err < best_err) best_err = err, best = p;
  }
  return best;
}

double quantile(std::vector<double> v, double q) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  const double pos = q * double(v.size() - 1);
  const size_t lo = size_t(std::floor(pos));
  const size_t hi = std::min(v.size() - 1, lo + 1);
  return v[lo] + (v[hi] - v[lo]) * (pos - double(lo));
}

std::string kind_of(const Row& r) {
  if (r.decode) return r.depth + r.n / 2 >= 16384 ? "decode deep (>=16K)" : (r.depth == 0 ? "decode d0" : "decode shallow");
  if (r.depth == 0 && r.n == 512) return "prefill 512";
  return r.depth > 0 ? "prefill at depth" : "prefill long prompt";
}

}  // namespace

int main(int argc, char** argv) {
  std::string csv = std::string(HALOPLAN_SOURCE_DIR) + "/bench/data/llama_bench_strix_halo.csv";
  std::string write_path;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--csv" && i + 1 < argc) csv = argv[++i];
    else if (a == "--write" && i + 1 < argc) write_path = argv[++i];
    else if (a == "--check") {
    } else {
      std::cerr << "calibrate: unknown argument '" << a << "'\nusage: calibrate [--csv FILE] [--write backends.json] [--check]\n";
      return 2;
    }
  }
  Catalog cat;
  if (has_errors(load_default_catalog(cat))) {
    std::cerr << "calibrate: the shipped catalog has errors\n";
    return 1;
  }
  const Machine* m = cat.machine("framework-desktop-128");
  const double bw = m->bandwidth_gbs * 1e9, flops = m->fp16_tflops * 1e12;
  std::ifstream f(csv);
  if (!f) {
    std::cerr << "calibrate: cannot read " << csv << "\n";
    return 1;
  }
  std::string line;
  std::getline(f, line);
  const auto head = parse_csv_line(line);
  auto col = [&](const char* name) { return size_t(std::find(head.begin(), head.end(), name) - head.begin()); };
  const size_t c_id = col("catalog_id"), c_q = col("quant"), c_size = col("file_size_gib"), c_b = col("backend"),
               c_t = col("test"), c_tps = col("tokens_per_s");
  std::vector<Row> rows;
  std::map<std::string, int> skipped;
  while (std::getline(f, line)) {
    if (line.empty()) continue;
    const auto v = parse_csv_line(line);
    if (v.size() < head.size()) continue;
    Row r;
    r.model = v[c_id];
    r.family = family_of(v[c_b]);
    r.test = v[c_t];
    const CatalogModel* cm = cat.model(r.model);
    const auto q = quant_of(v[c_q]);
    if (!cm || !q || r.family.empty()) {
      ++skipped[!cm ? "model not in catalog: " + r.model : (!q ? "quant " + v[c_q] : "backend " + v[c_b])];
      continue;
    }
    // test: tgN[@dM] or ppN[@dM]
    const std::string& t = r.test;
    r.decode = t.rfind("tg", 0) == 0;
    const auto at = t.find("@d");
    r.n = std::stoll(t.substr(2, at == std::string::npos ? std::string::npos : at - 2));
    r.depth = at == std::string::npos ? 0 : std::stoll(t.substr(at + 2));
    r.measured = std::stod(v[c_tps]);
    auto w = weight_breakdown(cm->arch, *q);
    w = scale_to_file_size(w, uint64_t(std::stod(v[c_size]) * kGiB));
    const SpeedInputs in = speed_inputs(cm->arch, w);
    ContextParams cp;
    r.fd = decode_features(in, double(kv_read_bytes(cm->arch, cp, r.depth + r.n / 2)), bw);
    r.fp = prefill_features(in, double(r.depth) + double(r.n) / 2.0, flops, bw, 512);
    rows.push_back(r);
  }

  std::map<std::string, SpeedParams> fitted;
  for (const std::string fam : {"vulkan-radv", "vulkan-amdvlk", "rocm"}) {
    std::vector<std::array<double, 5>> Xd;
    std::vector<std::array<double, 3>> Xp;
    std::vector<double> td, tp;
    for (const auto& r : rows) {
      if (r.family != fam) continue;
      if (r.decode) Xd.push_back(r.fd), td.push_back(1.0 / r.measured);
      else Xp.push_back(r.fp), tp.push_back(1.0 / r.measured);
    }
    SpeedParams p;
    const auto d = fit_nnls(Xd, td);
    const auto q = fit_nnls(Xp, tp);
    p.c_weights = d[0], p.c_kv = d[1], p.us_per_layer = d[2], p.us_per_moe_layer = d[3], p.us_per_recurrent_layer = d[4];
    p.p_compute = q[0], p.p_attn = q[1], p.p_weights = q[2];
    p.rows = int(Xd.size() + Xp.size());
    std::vector<double> ratios;
    for (auto& r : rows) {
      if (r.family != fam) continue;
      r.predicted = 1.0 / (r.decode ? decode_seconds(p, r.fd) : prefill_seconds(p, r.fp));
      if (r.decode) ratios.push_back(r.measured / r.predicted);  // the band is shown on decode figures
    }
    p.band_lo = std::round(quantile(ratios, 0.10) * 1000) / 1000;
    p.band_hi = std::round(quantile(ratios, 0.90) * 1000) / 1000;
    p.fitted_on = "fitted 2026-11-25 on bench/data/llama_bench_strix_halo.csv (" + fam + ")";
    fitted[fam] = p;
  }

  // Report.
  std::printf("Speed model vs %zu measured rows (%s)\n", rows.size(), csv.c_str());
  int nskip = 0;
  for (const auto& [k, n] : skipped) nskip += n;
  std::printf("skipped %d rows:\n", nskip);
  for (const auto& [k, n] : skipped) std::printf("  %4d  %s\n", n, k.c_str());
  std::printf("\n%-22s %-14s %6s %9s %9s\n", "test kind", "family", "n", "median", "p90");
  std::map<std::pair<std::string, std::string>, std::vector<double>> errs;
  for (const auto& r : rows) {
    const double e = std::fabs(r.predicted - r.measured) / r.measured;
    errs[{kind_of(r), r.family}].push_back(e);
    errs[{kind_of(r), "all"}].push_back(e);
  }
  for (const auto& [k, v] : errs)
    std::printf("%-22s %-14s %6zu %8.1f%% %8.1f%%\n", k.first.c_str(), k.second.c_str(), v.size(),
                100 * quantile(v, 0.5), 100 * quantile(v, 0.9));
  std::printf("\nfitted parameters:\n");
  for (const auto& [fam, p] : fitted)
    std::printf("  %-14s decode: c_w %.3f c_kv %.3f us/layer %.1f us/moe %.1f us/rec %.1f | prefill: comp %.2f attn %.2f wts %.2f | band %.2f-%.2f (%d rows)\n",
                fam.c_str(), p.c_weights, p.c_kv, p.us_per_layer, p.us_per_moe_layer, p.us_per_recurrent_layer,
                p.p_compute, p.p_attn, p.p_weights, p.band_lo, p.band_hi, p.rows);
  std::vector<Row> worst = rows;
  std::sort(worst.begin(), worst.end(), [](const Row& a, const Row& b) {
    return std::fabs(a.predicted / a.measured - 1) > std::fabs(b.predicted / b.measured - 1);
  });
  std::printf("\nworst 10 rows:\n");
  for (size_t i = 0; i < std::min<size_t>(10, worst.size()); ++i)
    std::printf("  %-26s %-14s %-14s measured %8.1f predicted %8.1f\n", worst[i].model.c_str(), worst[i].family.c_str(),
                worst[i].test.c_str(), worst[i].measured, worst[i].predicted);

  if (!write_path.empty()) {
    std::ifstream in(write_path);
    std::stringstream ss;
    ss << in.rdbuf();
    auto j = nlohmann::ordered_json::parse(ss.str());
    for (auto& b : j["backends"]) {
      auto it = fitted.find(b["speed_family"].get<std::string>());
      if (it == fitted.end()) continue;
      const auto& p = it->second;
      auto r4 = [](double v) { return std::round(v * 1e4) / 1e4; };
      b["speed"] = {{"c_weights", r4(p.c_weights)},   {"c_kv", r4(p.c_kv)},
                    {"us_per_layer", r4(p.us_per_layer)}, {"us_per_moe_layer", r4(p.us_per_moe_layer)},
                    {"us_per_recurrent_layer", r4(p.us_per_recurrent_layer)},
                    {"p_compute", r4(p.p_compute)},   {"p_attn", r4(p.p_attn)},
                    {"p_weights", r4(p.p_weights)},   {"rows", p.rows},
                    {"fitted_on", p.fitted_on},       {"band_lo", p.band_lo},
                    {"band_hi", p.band_hi}};
    }
    std::ofstream(write_path) << j.dump(1) << "\n";
    std::printf("\nwrote %s\n", write_path.c_str());
  }
  return 0;
}
