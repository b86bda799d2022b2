#include "haloplan/calib.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>

#include "haloplan/plan.h"
#include "haloplan/quant.h"
#include "haloplan/view.h"
#include "json_reader.h"

namespace haloplan {

namespace {

using json = nlohmann::json;

constexpr size_t kMaxBenchText = 4u << 20;  // 4 MiB of pasted or read text
constexpr size_t kMaxBenchRows = 20000;

std::string lower(std::string_view s) {
  std::string o(s);
  for (auto& c : o) c = char(std::tolower(static_cast<unsigned char>(c)));
  return o;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// A number at the start of s ("16.49 GiB", "650.59 ± 2.34"); nullopt if none.
std::optional<double> leading_number(std::string_view s) {
  s = trim(s);
  std::string buf(s.substr(0, std::min<size_t>(s.size(), 64)));
  char* end = nullptr;
  const double v = std::strtod(buf.c_str(), &end);
  if (end == buf.c_str() || !std::isfinite(v)) return std::nullopt;
  return v;
}

std::optional<int64_t> parse_count(std::string_view s) {
  if (s.empty() || s.size() > 10) return std::nullopt;
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

// CSV records (RFC 4180 quoting), each with the line it starts on.
std::vector<std::pair<int, std::vector<std::string>>> csv_records(std::string_view text) {
  std::vector<std::pair<int, std::vector<std::string>>> out;
  std::vector<std::string> rec;
  std::string cur;
  bool quoted = false, any = false;
  int line = 1, start = 1;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') cur += '"', ++i;
      else if (c == '"') quoted = false;
      else {
        if (c == '\n') ++line;
        cur += c;
      }
      continue;
    }
    if (c == '"') quoted = any = true;
    else if (c == ',') rec.push_back(std::move(cur)), cur.clear(), any = true;
    else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      if (any || !cur.empty()) {
        rec.push_back(std::move(cur));
        out.emplace_back(start, std::move(rec));
      }
      rec.clear(), cur.clear(), any = false;
      start = ++line;
    } else {
      cur += c, any = true;
    }
  }
  if (any || !cur.empty()) {
    rec.push_back(std::move(cur));
    out.emplace_back(start, std::move(rec));
  }
  return out;
}

// "fa=1", "-fa 1", "ub=512", "-ub 2048", "ctk=q8_0" in a free-text notes column.
std::optional<std::string> note_value(std::string_view notes, std::string_view key) {
  std::vector<std::string> tok;
  std::string cur;
  for (char c : notes) {
    if (c == ';' || c == ',' || std::isspace(static_cast<unsigned char>(c))) {
      if (!cur.empty()) tok.push_back(std::move(cur)), cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) tok.push_back(std::move(cur));
  const std::string eq = std::string(key).append("="), flag = std::string("-").append(key);
  for (size_t i = 0; i < tok.size(); ++i) {
    if (tok[i].rfind(eq, 0) == 0 && tok[i].size() > eq.size()) return tok[i].substr(eq.size());
    if (tok[i] == flag && i + 1 < tok.size()) return tok[i + 1];
  }
  return std::nullopt;
}

// The preset a quant label names. `exact` is set when the label names a llama.cpp file type (so
// the non-expert tensors follow its rules), not when a custom mix is mapped to its nearest preset.
std::optional<FType> quant_of(std::string_view label, bool& exact) {
  std::string q(trim(label));
  exact = true;
  if (auto f = ftype_from_name(q)) return f;
  // llama.cpp's file type names: "Q4_K - Medium", "IQ4_NL - 4.5 bpw", "MXFP4 MoE".
  const auto dash = q.find(" - ");
  std::string head = q.substr(0, q.find(' '));
  if (dash != std::string::npos) {
    const std::string tail = lower(q.substr(dash + 3));
    const char* suffix = tail.rfind("medium", 0) == 0 ? "_M" : tail.rfind("small", 0) == 0 ? "_S"
                         : tail.rfind("large", 0) == 0 ? "_L" : tail.rfind("extra small", 0) == 0 ? "_XS" : "";
    if (auto f = ftype_from_name(head + suffix)) return f;
  }
  if (auto f = ftype_from_name(head)) return f;
  const std::string u = lower(q);
  // "F16-label GGUF (MXFP4 experts)": the file's type label, with experts stored in another type
  // (gpt-oss converted at F16 keeps its MXFP4 experts). The label's type holds for the rest.
  if (u.find("experts)") != std::string::npos) {
    const auto cut = head.find("-label");
    if (auto f = ftype_from_name(head.substr(0, cut))) return f;
  }
  // Custom mixes (Unsloth "UD-Q4_K_XL", "DYNAMIC"): the nearest preset gives the layout; the
  // file size gives the bytes.
  exact = false;
  if (u.find("mxfp4") != std::string::npos) return FType::MXFP4_MOE;
  if (u.find("q2_k") != std::string::npos) return FType::Q2_K;
  if (u.find("q3_k") != std::string::npos) return FType::Q3_K_M;
  if (u.find("q4_k") != std::string::npos || u == "dynamic") return FType::Q4_K_M;
  if (u.find("q5_k") != std::string::npos) return FType::Q5_K_M;
  if (u.find("q6_k") != std::string::npos) return FType::Q6_K;
  if (u.find("q8") != std::string::npos) return FType::Q8_0;
  return std::nullopt;
}

void read_conditions(std::string_view notes, BenchRow& r) {
  if (auto fa = note_value(notes, "fa")) r.flash_attn = *fa == "1" || *fa == "on" || *fa == "true";
  if (auto ub = note_value(notes, "ub"); ub && parse_count(*ub)) r.n_ubatch = int(std::clamp<int64_t>(*parse_count(*ub), 1, 1 << 16));
  if (auto k = note_value(notes, "ctk"); k && kv_cache_type(*k)) r.type_k = *kv_cache_type(*k);
  if (auto v = note_value(notes, "ctv"); v && kv_cache_type(*v)) r.type_v = *kv_cache_type(*v);
}

// Weighted non-negative least squares on relative error of time: minimises
// sum w_i ((x_i . p - t_i) / t_i)^2 over p >= 0 by trying every active set (N is small).
template <size_t N>
std::array<double, N> fit_nnls(const std::vector<std::array<double, N>>& X, const std::vector<double>& t,
                               const std::vector<double>& w) {
  std::array<double, N> best{};
  double best_err = INFINITY;
  for (unsigned mask = 1; mask < (1u << N); ++mask) {
    std::array<size_t, N> idx{};
    size_t k = 0;
    for (size_t j = 0; j < N; ++j)
      if (mask & (1u << j)) idx[k++] = j;
    std::array<double, N * N> A{};
    std::array<double, N> b{};
    for (size_t i = 0; i < X.size(); ++i) {
      for (size_t r = 0; r < k; ++r) {
        const double xr = X[i][idx[r]] / t[i];
        b[r] += w[i] * xr;
        for (size_t c = 0; c < k; ++c) A[r * k + c] += w[i] * xr * X[i][idx[c]] / t[i];
      }
    }
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
    for (size_t r = 0; r < k; ++r) p[idx[r]] = x[r];
    double err = 0;
    for (size_t i = 0; i < X.size(); ++i) {
      double pred = 0;
      for (size_t j = 0; j < N; ++j) pred += p[j] * X[i][j];
      err += w[i] * std::pow((pred - t[i]) / t[i], 2);
    }
    if (err < best_err) best_err = err, best = p;
  }
  return best;
}

// Iteratively reweighted: weights 1/|residual| turn least squares into least absolute relative
// error, which is what the median error measures and is robust to a few odd measurements.
template <size_t N>
std::array<double, N> fit_robust(const std::vector<std::array<double, N>>& X, const std::vector<double>& t) {
  std::vector<double> w(X.size(), 1.0);
  std::array<double, N> p = fit_nnls(X, t, w);
  for (int it = 0; it < 12; ++it) {
    for (size_t i = 0; i < X.size(); ++i) {
      double pred = 0;
      for (size_t j = 0; j < N; ++j) pred += p[j] * X[i][j];
      w[i] = 1.0 / std::max(0.05, std::fabs(pred - t[i]) / t[i]);
    }
    p = fit_nnls(X, t, w);
  }
  return p;
}

double round_to(double v, double unit) { return std::round(v / unit) * unit; }

}  // namespace

bool parse_test_name(std::string_view test, BenchRow& r) {
  std::string t;
  for (char c : test)
    if (!std::isspace(static_cast<unsigned char>(c))) t += c;
  if (t.size() < 3 || (t.rfind("tg", 0) != 0 && t.rfind("pp", 0) != 0)) return false;
  const auto at = t.find("@d");
  const auto n = parse_count(t.substr(2, at == std::string::npos ? std::string::npos : at - 2));
  const auto d = at == std::string::npos ? std::optional<int64_t>(0) : parse_count(t.substr(at + 2));
  if (!n || !d || *n <= 0) return false;
  r.decode = t[0] == 't';
  r.n_tokens = *n;
  r.depth = *d;
  r.test = t;
  return true;
}

std::string speed_family_of(std::string_view backend_label, int build) {
  const std::string b = lower(backend_label);
  auto has = [&](const char* s) { return b.find(s) != std::string::npos; };
  if (b.rfind("unspecified", 0) == 0) return "";
  if (has("amdvlk")) return "vulkan-amdvlk";
  if (has("vulkan") || has("radv")) return "vulkan-radv";
  if (has("rocm") || has("hip")) {
    if (!has("hipblaslt") && build > 0 && build < 6500) return "rocm-rocblas";
    return has("rocwmma") && !has("tune") ? "rocm-rocwmma" : "rocm";
  }
  if (has("metal")) return "metal";
  if (has("cuda")) return "cuda";
  return "";
}

BenchRows parse_calibration_csv(std::string_view text) {
  BenchRows out;
  if (text.size() > kMaxBenchText) {
    out.errors.push_back("the file is larger than 4 MiB");
    return out;
  }
  const auto recs = csv_records(text);
  if (recs.empty()) {
    out.errors.push_back("the file is empty");
    return out;
  }
  const auto& head = recs.front().second;
  auto col = [&](const char* name) -> std::optional<size_t> {
    const auto it = std::find(head.begin(), head.end(), name);
    return it == head.end() ? std::nullopt : std::optional<size_t>(size_t(it - head.begin()));
  };
  const auto c_id = col("catalog_id"), c_q = col("quant"), c_size = col("file_size_gib"), c_b = col("backend"),
             c_t = col("test"), c_tps = col("tokens_per_s"), c_notes = col("notes"), c_params = col("params_total_b"),
             c_name = col("model_name"), c_build = col("llama_cpp_build");
  for (const auto& [name, c] : {std::pair{"catalog_id", c_id}, {"quant", c_q}, {"file_size_gib", c_size},
                                {"backend", c_b}, {"test", c_t}, {"tokens_per_s", c_tps}})
    if (!c) out.errors.push_back("line 1: no column '" + std::string(name) + "'");
  if (!out.errors.empty()) return out;
  for (size_t i = 1; i < recs.size() && out.rows.size() < kMaxBenchRows; ++i) {
    const auto& [line, v] = recs[i];
    const std::string at = "line " + std::to_string(line) + ": ";
    if (v.size() != head.size()) {
      out.errors.push_back(at + "has " + std::to_string(v.size()) + " fields; the header has " + std::to_string(head.size()));
      continue;
    }
    BenchRow r;
    r.line = line;
    r.model_id = v[*c_id];
    r.model_label = c_name ? v[*c_name] : "";
    r.backend_label = v[*c_b];
    r.quant = v[*c_q];
    if (!parse_test_name(v[*c_t], r)) {
      out.errors.push_back(at + "test '" + v[*c_t].substr(0, 40) + "' is not a llama-bench test (tgN or ppN, optionally @dM)");
      continue;
    }
    const auto tps = leading_number(v[*c_tps]);
    if (!tps || *tps <= 0) {
      out.errors.push_back(at + "tokens_per_s '" + v[*c_tps].substr(0, 40) + "' is not a positive number");
      continue;
    }
    r.tps = *tps;
    if (const auto gib = leading_number(v[*c_size]); gib && *gib > 0) r.file_bytes = *gib * kGiB;
    if (c_params)
      if (const auto p = leading_number(v[*c_params]); p && *p > 0) r.params = *p * 1e9;
    if (c_notes) read_conditions(v[*c_notes], r);
    if (c_build)
      if (const auto b = leading_number(v[*c_build]); b && *b > 0 && *b < 1e6) r.build = int(*b);
    out.rows.push_back(std::move(r));
  }
  return out;
}

namespace {

void read_json_entry(const json& e, int index, BenchRows& out) {
  const std::string at = "entry " + std::to_string(index) + ": ";
  if (!e.is_object()) return out.errors.push_back(at + "is not an object");
  auto str = [&](const char* k) { return e.contains(k) && e[k].is_string() ? e[k].get<std::string>() : std::string(); };
  auto num = [&](const char* k) { return e.contains(k) && e[k].is_number() ? e[k].get<double>() : -1.0; };
  BenchRow r;
  r.line = index;
  r.model_label = str("model_type");
  r.backend_label = str("backends");
  const auto sp = r.model_label.find(' ');
  r.quant = sp == std::string::npos ? "" : r.model_label.substr(r.model_label.find(' ', sp + 1) + 1);
  const double n_prompt = num("n_prompt"), n_gen = num("n_gen"), depth = std::max(0.0, num("n_depth")), ts = num("avg_ts");
  if (n_prompt < 0 || n_gen < 0 || ts <= 0) return out.errors.push_back(at + "needs n_prompt, n_gen and avg_ts numbers");
  if ((n_prompt > 0) == (n_gen > 0)) return out.errors.push_back(at + "mixes prompt and generation (pg tests are not scored)");
  if (n_prompt > 1e8 || n_gen > 1e8 || depth > 1e9) return out.errors.push_back(at + "has token counts out of range");
  r.decode = n_gen > 0;
  r.n_tokens = int64_t(r.decode ? n_gen : n_prompt);
  r.depth = int64_t(depth);
  r.test = std::string(r.decode ? "tg" : "pp") + std::to_string(r.n_tokens) +
           (r.depth > 0 ? "@d" + std::to_string(r.depth) : "");
  r.tps = ts;
  if (const double s = num("model_size"); s > 0) r.file_bytes = s;
  if (const double p = num("model_n_params"); p > 0) r.params = p;
  if (e.contains("flash_attn")) {
    const auto& f = e["flash_attn"];
    r.flash_attn = f.is_boolean() ? f.get<bool>() : f.is_number() ? f.get<double>() != 0 : false;
  }
  if (const double ub = num("n_ubatch"); ub >= 1 && ub <= 65536) r.n_ubatch = int(ub);
  if (const double b = num("build_number"); b > 0 && b < 1e6) r.build = int(b);
  if (auto k = kv_cache_type(str("type_k"))) r.type_k = *k;
  if (auto v = kv_cache_type(str("type_v"))) r.type_v = *v;
  out.rows.push_back(std::move(r));
}

BenchRows parse_bench_json(std::string_view text) {
  BenchRows out;
  std::vector<Diagnostic> d;
  if (auto root = detail::parse_json(text, d, "the llama-bench JSON")) {
    if (root->is_array()) {
      for (size_t i = 0; i < root->size() && out.rows.size() < kMaxBenchRows; ++i) read_json_entry((*root)[i], int(i + 1), out);
    } else {
      read_json_entry(*root, 1, out);
    }
    return out;
  }
  // JSON lines (-o jsonl): one object per line.
  int n = 0;
  size_t start = 0;
  while (start < text.size() && out.rows.size() < kMaxBenchRows) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    const auto line = trim(text.substr(start, end - start));
    start = end + 1;
    if (line.empty()) continue;
    ++n;
    std::vector<Diagnostic> ld;
    if (auto e = detail::parse_json(line, ld, "line " + std::to_string(n))) read_json_entry(*e, n, out);
    else out.errors.push_back(ld.empty() ? "line " + std::to_string(n) + ": not JSON" : ld.front().message);
  }
  return out;
}

std::vector<std::string> md_cells(std::string_view line) {
  std::vector<std::string> cells;
  line = trim(line);
  if (line.empty() || line.front() != '|') return cells;
  line.remove_prefix(1);
  if (!line.empty() && line.back() == '|') line.remove_suffix(1);
  size_t start = 0;
  while (true) {
    const size_t bar = line.find('|', start);
    cells.emplace_back(trim(line.substr(start, bar == std::string_view::npos ? std::string_view::npos : bar - start)));
    if (bar == std::string_view::npos) break;
    start = bar + 1;
  }
  return cells;
}

double size_bytes(std::string_view s) {
  const auto v = leading_number(s);
  if (!v || *v <= 0) return 0;
  const std::string u = lower(s);
  if (u.find("gib") != std::string::npos) return *v * kGiB;
  if (u.find("mib") != std::string::npos) return *v * 1048576.0;
  if (u.find("gb") != std::string::npos) return *v * 1e9;
  return 0;
}

double param_count(std::string_view s) {
  const auto v = leading_number(s);
  if (!v || *v <= 0) return 0;
  const std::string u(trim(s));
  const char unit = u.empty() ? ' ' : u.back();
  return unit == 'B' ? *v * 1e9 : unit == 'M' ? *v * 1e6 : unit == 'K' ? *v * 1e3 : *v;
}

BenchRows parse_bench_markdown(std::string_view text) {
  BenchRows out;
  std::vector<std::string> head;
  int line_no = 0;
  size_t start = 0;
  while (start <= text.size() && out.rows.size() < kMaxBenchRows) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    const auto line = text.substr(start, end - start);
    start = end + 1;
    ++line_no;
    const auto cells = md_cells(line);
    if (cells.empty()) {
      if (end == text.size()) break;
      continue;
    }
    if (std::find(cells.begin(), cells.end(), "test") != cells.end() &&
        std::find(cells.begin(), cells.end(), "t/s") != cells.end()) {
      head = cells;
      continue;
    }
    const bool rule = std::all_of(cells.begin(), cells.end(), [](const std::string& c) {
      return !c.empty() && c.find_first_not_of("-: ") == std::string::npos;
    });
    if (head.empty() || rule) continue;
    const std::string at = "line " + std::to_string(line_no) + ": ";
    if (cells.size() != head.size()) {
      out.errors.push_back(at + "has " + std::to_string(cells.size()) + " cells; the header has " + std::to_string(head.size()));
      continue;
    }
    auto cell = [&](const char* name) -> std::string {
      const auto it = std::find(head.begin(), head.end(), name);
      return it == head.end() ? std::string() : cells[size_t(it - head.begin())];
    };
    BenchRow r;
    r.line = line_no;
    r.model_label = cell("model");
    const auto sp = r.model_label.find(' ');
    const auto sp2 = sp == std::string::npos ? sp : r.model_label.find(' ', sp + 1);
    r.quant = sp2 == std::string::npos ? "" : r.model_label.substr(sp2 + 1);
    r.backend_label = cell("backend");
    std::string test = cell("test");
    if (const std::string d = cell("n_depth"); !d.empty() && d != "0" && test.find('@') == std::string::npos) test += "@d" + d;
    if (!parse_test_name(test, r)) {
      out.errors.push_back(at + "test '" + test.substr(0, 40) + "' is not a llama-bench test (tgN or ppN, optionally @ dM)");
      continue;
    }
    const auto ts = leading_number(cell("t/s"));
    if (!ts || *ts <= 0) {
      out.errors.push_back(at + "t/s '" + cell("t/s").substr(0, 40) + "' is not a positive number");
      continue;
    }
    r.tps = *ts;
    r.file_bytes = size_bytes(cell("size"));
    r.params = param_count(cell("params"));
    const std::string fa = cell("fa");
    r.flash_attn = fa == "1" || lower(fa) == "on" || lower(fa) == "true";
    if (const auto ub = parse_count(cell("n_ubatch"))) r.n_ubatch = int(std::clamp<int64_t>(*ub, 1, 65536));
    if (auto k = kv_cache_type(cell("type_k"))) r.type_k = *k;
    if (auto v = kv_cache_type(cell("type_v"))) r.type_v = *v;
    out.rows.push_back(std::move(r));
  }
  if (head.empty()) out.errors.push_back("no llama-bench table found: expected a header row with 'test' and 't/s' columns, or JSON output (-o json)");
  return out;
}

}  // namespace

BenchRows parse_llama_bench(std::string_view text) {
  if (text.size() > kMaxBenchText) return {{}, {"the text is larger than 4 MiB"}};
  const auto t = trim(text);
  if (t.empty()) return {{}, {"nothing was pasted"}};
  if (t.front() == '[' || t.front() == '{') return parse_bench_json(t);
  return parse_bench_markdown(text);
}

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
    const bool experts_differ = exact && w.routed_expert_bytes > 0 && double(r.file_bytes) < 0.9 * double(w.total_bytes);
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
    f.fp = prefill_features(in, double(r.depth) + double(r.n_tokens) / 2.0, r.flash_attn, flops, bw, r.n_ubatch);
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

SpeedParams fit_speed_params(const std::vector<RowFeatures>& rows, const std::vector<double>& tps) {
  std::vector<DecodeFeatures> Xd;
  std::vector<PrefillFeatures> Xp;
  std::vector<double> td, tp;
  for (size_t i = 0; i < rows.size(); ++i) {
    if (rows[i].decode) Xd.push_back(rows[i].fd), td.push_back(1.0 / tps[i]);
    else Xp.push_back(rows[i].fp), tp.push_back(1.0 / tps[i]);
  }
  SpeedParams p;
  if (!Xd.empty()) p.decode = fit_robust(Xd, td);
  if (!Xp.empty()) p.prefill = fit_robust(Xp, tp);
  p.decode_rows = int(Xd.size());
  p.prefill_rows = int(Xp.size());
  std::vector<double> rd, rp;
  for (size_t i = 0; i < rows.size(); ++i) {
    const double pred = predicted_tps(p, rows[i]);
    if (pred > 0) (rows[i].decode ? rd : rp).push_back(tps[i] / pred);
  }
  // Rounded outwards to 0.01, so the band holds at least the share it claims.
  if (!rd.empty()) p.decode_lo = std::floor(quantile(rd, 0.1) * 100) / 100, p.decode_hi = std::ceil(quantile(rd, 0.9) * 100) / 100;
  if (!rp.empty()) p.prefill_lo = std::floor(quantile(rp, 0.1) * 100) / 100, p.prefill_hi = std::ceil(quantile(rp, 0.9) * 100) / 100;
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
  res.cal = cal;
  return res;
}

void apply_calibrations(Catalog& c, const std::vector<Calibration>& cals) {
  for (const auto& cal : cals) {
    for (auto& b : c.backends) {
      if (b.id != cal.backend) continue;
      for (auto& v : b.speed.decode) v /= cal.decode_scale;
      for (auto& v : b.speed.prefill) v /= cal.prefill_scale;
      b.speed.fitted_on += "; scaled to your " + std::to_string(cal.decode_rows + cal.prefill_rows) + " llama-bench rows";
    }
  }
}

}  // namespace haloplan
