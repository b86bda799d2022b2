#include "haloplan/catalog/bench.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>

#include "haloplan/planner/memory.h"
#include "haloplan/planner/platform.h"
#include "haloplan/planner/quant.h"
#include "haloplan/text/json_parse.h"
#include "haloplan/text/strings.h"

namespace haloplan {

namespace {

using json = nlohmann::json;

constexpr size_t kMaxBenchText = 4u << 20;  // 4 MiB of pasted or read text
constexpr size_t kMaxBenchRows = 20000;

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

void read_conditions(std::string_view notes, BenchRow& r) {
  if (auto fa = note_value(notes, "fa")) r.flash_attn = *fa == "1" || *fa == "on" || *fa == "true";
  if (auto ub = note_value(notes, "ub"); ub && parse_count(*ub))
    r.n_ubatch = int(std::clamp<int64_t>(*parse_count(*ub), 1, 1 << 16));
  if (auto k = note_value(notes, "ctk"); k && kv_cache_type(*k)) r.type_k = *kv_cache_type(*k);
  if (auto v = note_value(notes, "ctv"); v && kv_cache_type(*v)) r.type_v = *kv_cache_type(*v);
}

}  // namespace

std::vector<std::pair<int, std::vector<std::string>>> parse_csv(std::string_view text) { return csv_records(text); }

std::optional<FType> quant_of(std::string_view label, bool& exact) {
  std::string q(trim(label));
  exact = true;
  if (auto f = ftype_from_name(q)) return f;
  // llama.cpp's file type names: "Q4_K - Medium", "IQ4_NL - 4.5 bpw", "MXFP4 MoE".
  const auto dash = q.find(" - ");
  std::string head = q.substr(0, q.find(' '));
  if (dash != std::string::npos) {
    const std::string tail = lower(q.substr(dash + 3));
    const char* suffix = tail.rfind("medium", 0) == 0        ? "_M"
                         : tail.rfind("small", 0) == 0       ? "_S"
                         : tail.rfind("large", 0) == 0       ? "_L"
                         : tail.rfind("extra small", 0) == 0 ? "_XS"
                                                             : "";
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

namespace {
// A label that names rocWMMA as in use: "rocm-rocwmma", "rocWMMA FA on", not "rocWMMA off" or
// "rocWMMA FA off" (a source saying it built without it).
bool rocwmma_on(const std::string& lowered) {
  const size_t at = lowered.find("rocwmma");
  if (at == std::string::npos) return false;
  const std::string_view rest = std::string_view(lowered).substr(at + 7);
  return rest.rfind(" off", 0) != 0 && rest.rfind(" fa off", 0) != 0;
}
}  // namespace

std::string speed_family_of(std::string_view backend_label, int build, std::string_view date) {
  const std::string b = lower(backend_label);
  auto has = [&](const char* s) { return b.find(s) != std::string::npos; };
  if (b.rfind("unspecified", 0) == 0) return "";
  if (has("amdvlk")) return "vulkan-amdvlk";
  if (has("vulkan") || has("radv")) return "vulkan-radv";
  if (has("rocm") || has("hip")) {
    if (!has("hipblaslt") && build > 0 && build < 6500) return "rocm-rocblas";
    if (rocwmma_on(b) && !has("tune")) return "rocm-rocwmma";
    const bool before_2026 = build > 0 ? build < 7000 : !date.empty() && date < "2025-12";
    return before_2026 ? "rocm-2025" : "rocm";
  }
  if (has("metal")) return "metal";
  if (has("cuda")) return "cuda";
  return "";
}

bool vec_flash_attention_prompts(std::string_view backend_label, int build, std::string_view date) {
  const std::string b = lower(backend_label);
  if (b.find("rocm") == std::string::npos && b.find("hip") == std::string::npos) return false;
  if (rocwmma_on(b)) return false;
  return build > 0 ? build < 6500 : !date.empty() && date < "2025-09";
}

int parse_build_number(std::string_view t) {
  size_t i = 0;
  if (!t.empty() && (t[0] == 'b' || t[0] == 'B')) i = 1;
  size_t j = i;
  while (j < t.size() && t[j] >= '0' && t[j] <= '9' && j - i < 8) ++j;
  if (j == i || (j < t.size() && t[j] != ' ' && t[j] != '(' && t[j] != ',')) return 0;
  if (j - i > 6) return 0;  // a short commit hash of digits only ("8161641"): builds have five
  const int n = std::atoi(std::string(t.substr(i, j - i)).c_str());
  return n >= 1000 ? n : 0;
}

namespace {
// "2026-03-14", "2026-03" -> "2026-03"; anything else -> "".
std::string month_of(std::string_view t) {
  auto digit = [&](size_t i) { return i < t.size() && t[i] >= '0' && t[i] <= '9'; };
  for (size_t i : {0, 1, 2, 3, 5, 6})
    if (!digit(i)) return "";
  return t.size() >= 7 && t[4] == '-' ? std::string(t.substr(0, 7)) : "";
}
}  // namespace

std::string weight_class_of(std::string_view label) {
  std::string s(label);
  for (auto& ch : s) ch = char(std::toupper(static_cast<unsigned char>(ch)));
  if (s.find("MXFP4") != std::string::npos) return "MXFP4";
  if (s.rfind("UD-", 0) == 0) s = s.substr(3);
  auto starts = [&](const char* p) { return s.rfind(p, 0) == 0; };
  if (starts("F16") || starts("BF16") || starts("F32")) return "F16/BF16";
  if (starts("Q8_0") || starts("Q8_K")) return "Q8_0";
  if (starts("IQ") || starts("TQ")) return "IQ";
  for (const char* p : {"Q4_0", "Q4_1", "Q5_0", "Q5_1"})
    if (starts(p) && (s.size() == 4 || s[4] == ' ' || s[4] == '-')) return "legacy";
  if (s.size() >= 4 && s[0] == 'Q' && s[1] >= '2' && s[1] <= '6' && s[2] == '_' && s[3] == 'K') return "K-quant";
  return "other";
}

std::string source_of(std::string_view url) {
  std::string u(url);
  for (const char* scheme : {"https://", "http://"})
    if (u.rfind(scheme, 0) == 0) u = u.substr(std::strlen(scheme));
  std::vector<std::string> parts = split(u, '/');
  // host/owner/repo, or host/owner/repo/issues|pull/N for a thread
  size_t keep = std::min<size_t>(parts.size(), 3);
  if (parts.size() >= 5 && (parts[3] == "issues" || parts[3] == "pull" || parts[3] == "discussions")) keep = 5;
  parts.resize(keep);
  return join(parts, "/");
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
             c_name = col("model_name"), c_build = col("llama_cpp_build"), c_src = col("source"),
             c_date = col("date_if_known");
  // clang-format off
  for (const auto& [name, c] : {std::pair{"catalog_id", c_id}, {"quant", c_q}, {"file_size_gib", c_size},
                                {"backend", c_b}, {"test", c_t}, {"tokens_per_s", c_tps}})
    // clang-format on
    if (!c) out.errors.push_back("line 1: no column '" + std::string(name) + "'");
  if (!out.errors.empty()) return out;
  for (size_t i = 1; i < recs.size() && out.rows.size() < kMaxBenchRows; ++i) {
    const auto& [line, v] = recs[i];
    const std::string at = "line " + std::to_string(line) + ": ";
    if (v.size() != head.size()) {
      out.errors.push_back(at + "has " + std::to_string(v.size()) + " fields; the header has " +
                           std::to_string(head.size()));
      continue;
    }
    BenchRow r;
    r.line = line;
    r.model_id = v[*c_id];
    r.model_label = c_name ? v[*c_name] : "";
    r.backend_label = v[*c_b];
    r.quant = v[*c_q];
    if (!parse_test_name(v[*c_t], r)) {
      out.errors.push_back(at + "test '" + v[*c_t].substr(0, 40) +
                           "' is not a llama-bench test (tgN or ppN, optionally @dM)");
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
    if (c_build) r.build = parse_build_number(v[*c_build]);
    if (c_src) r.source = source_of(v[*c_src]), r.url = std::string(trim(v[*c_src]));
    if (c_date) r.date = month_of(v[*c_date]);
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
  const double n_prompt = num("n_prompt"), n_gen = num("n_gen"), depth = std::max(0.0, num("n_depth")),
               ts = num("avg_ts");
  if (n_prompt < 0 || n_gen < 0 || ts <= 0)
    return out.errors.push_back(at + "needs n_prompt, n_gen and avg_ts numbers");
  if ((n_prompt > 0) == (n_gen > 0))
    return out.errors.push_back(at + "mixes prompt and generation (pg tests are not scored)");
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
      for (size_t i = 0; i < root->size() && out.rows.size() < kMaxBenchRows; ++i)
        read_json_entry((*root)[i], int(i + 1), out);
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
      out.errors.push_back(at + "has " + std::to_string(cells.size()) + " cells; the header has " +
                           std::to_string(head.size()));
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
    if (const std::string d = cell("n_depth"); !d.empty() && d != "0" && test.find('@') == std::string::npos)
      test += "@d" + d;
    if (!parse_test_name(test, r)) {
      out.errors.push_back(at + "test '" + test.substr(0, 40) +
                           "' is not a llama-bench test (tgN or ppN, optionally @ dM)");
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
  if (head.empty())
    out.errors.push_back(
        "no llama-bench table found: expected a header row with 'test' and 't/s' columns, or JSON output (-o json)");
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

}  // namespace haloplan
