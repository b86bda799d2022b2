// bench/conformance: the planner against llama.cpp itself (bench/oracle, fetched by scripts/oracle).
// For every catalog model it writes the F16 GGUF llama.cpp's converter would write (a header and
// a sparse data section: a 1T-parameter model costs no disk), then asks the oracle
//   - to load it (llama.cpp refuses a missing tensor, a wrong shape or an unknown one, so the
//     planner's tensor list is proven to be the layout llama.cpp expects) and to create contexts at
//     several settings: KV cache + recurrent state, output buffer and CPU compute buffer;
//   - to dry-run llama-quantize for every preset: each tensor's type and the total size;
// and compares those with the planner, then imports the same file as a user would (GGUF import)
// and compares again. Prints one table; --check exits 1 on any difference.
//   conformance --oracle PATH [--work DIR] [--model ID]... [--check] [--verbose] [--leave-out TENSOR]
// --leave-out writes every file without that tensor: llama.cpp must refuse what haloplan's
// import accepts, and the harness must say so with both messages (ctest conformance.planted).
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "gguf_writer.h"
#include "haloplan/catalog/gguf.h"
#include "haloplan/catalog/gguf_import.h"
#include "haloplan/catalog/load.h"
#include "haloplan/default_catalog.h"
#include "haloplan/planner/memory.h"

using namespace haloplan;
using nlohmann::json;

namespace {

struct Options {
  std::string oracle, work = "build/conformance";
  std::vector<std::string> models;
  bool check = false, verbose = false;
  std::string leave_out;
};

// What haloplan's GGUF import makes of a file: a catalog model, or its refusal in err.
std::optional<json> import_file(const std::string& bytes, uint64_t file_size, const std::string& name,
                                std::string& err) {
  const std::vector<uint8_t> head(bytes.begin(), bytes.end());
  const auto parsed = parse_gguf(head, file_size);
  if (parsed.status != GgufParse::Status::Ok) {
    err = parsed.error;
    return std::nullopt;
  }
  return gguf_to_model(parsed.header, name, &err);
}

// One context the oracle creates: what llama-server's -c, -np, -ctk/-ctv, -fa, --kv-unified and
// -ub set.
struct Setting {
  int64_t ctx;
  int slots;
  GgmlType k, v;
  bool fa, unified;
  int ubatch;
  std::string arg() const {
    return std::to_string(ctx) + "," + std::to_string(slots) + "," + kv_cache_type_name(k) + "," +
           kv_cache_type_name(v) + "," + (fa ? "1" : "0") + "," + (unified ? "1" : "0") + "," + std::to_string(ubatch);
  }
  ContextParams params() const {
    ContextParams c;
    c.n_ctx = ctx;
    c.n_seq = slots;
    c.kv_unified = unified;
    c.type_k = k;
    c.type_v = v;
    c.flash_attn = fa;
    c.n_ubatch = ubatch;
    return c;
  }
};

const std::vector<Setting> kSettings = {
    {4096, 1, GgmlType::F16, GgmlType::F16, true, false, 512},
    {32768, 4, GgmlType::Q8_0, GgmlType::Q8_0, true, false, 512},
    {16384, 2, GgmlType::F16, GgmlType::F16, true, true, 1024},
    {8192, 1, GgmlType::Q8_0, GgmlType::F16, false, false, 512},
    {8192, 1, GgmlType::Q4_0, GgmlType::Q4_0, false, false, 512},
};

// Settings for MTP self-speculation: the target's, with llama-server's draft-mtp defaults.
const std::vector<Setting> kMtpSettings = {
    {32768, 1, GgmlType::F16, GgmlType::F16, true, true, 512},
    {16384, 2, GgmlType::Q8_0, GgmlType::Q8_0, true, false, 512},
};

std::string run(const std::string& cmd) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return out;
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  pclose(p);
  return out;
}

std::vector<json> json_lines(const std::string& text) {
  std::vector<json> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    auto j = json::parse(text.substr(start, end - start), nullptr, false);
    if (!j.is_discarded()) out.push_back(std::move(j));
    start = end + 1;
  }
  return out;
}

bool same_type(const std::string& ggml_name, GgmlType t) {
  const auto parsed = type_from_name(ggml_name);
  return parsed && *parsed == t;
}

std::string shell_quote(const std::string& s) { return "'" + s + "'"; }

// "CPU output buffer size =     0.49 MiB": the figure, in bytes (llama.cpp prints two decimals).
std::optional<double> logged_mib(const json& lines, const std::string& what) {
  for (const auto& l : lines) {
    const std::string s = l.get<std::string>();
    const size_t at = s.find(what);
    if (at == std::string::npos) continue;
    const size_t eq = s.find('=', at);
    if (eq == std::string::npos) continue;
    return std::strtod(s.c_str() + eq + 1, nullptr) * 1048576.0;
  }
  return std::nullopt;
}

struct Tally {
  std::string row;  // this model's line of the table
  int models = 0, refused = 0;
  int presets = 0, presets_exact = 0;
  int contexts = 0, contexts_exact = 0, contexts_refused_both = 0;
  int outputs = 0, outputs_exact = 0;
  int loads = 0, loads_exact = 0;  // weight bytes llama.cpp allocates, per context
  int imports = 0, imports_exact = 0;
  int mtps = 0, mtps_exact = 0;  // MTP self-speculation: weights, target context and MTP context
  std::vector<double> compute_err, mtp_compute_err;
  std::vector<std::string> failures;
  std::vector<std::string> unanswered;  // settings where llama.cpp aborted
  std::vector<std::string> far;         // --verbose: compute buffer estimates off by over 25 %

  void add(const Tally& o) {
    row += o.row;
    models += o.models, refused += o.refused;
    presets += o.presets, presets_exact += o.presets_exact;
    contexts += o.contexts, contexts_exact += o.contexts_exact, contexts_refused_both += o.contexts_refused_both;
    outputs += o.outputs, outputs_exact += o.outputs_exact;
    loads += o.loads, loads_exact += o.loads_exact;
    imports += o.imports, imports_exact += o.imports_exact;
    mtps += o.mtps, mtps_exact += o.mtps_exact;
    compute_err.insert(compute_err.end(), o.compute_err.begin(), o.compute_err.end());
    mtp_compute_err.insert(mtp_compute_err.end(), o.mtp_compute_err.begin(), o.mtp_compute_err.end());
    failures.insert(failures.end(), o.failures.begin(), o.failures.end());
    unanswered.insert(unanswered.end(), o.unanswered.begin(), o.unanswered.end());
    far.insert(far.end(), o.far.begin(), o.far.end());
  }
};

template <typename... A>
std::string format(const char* f, A... a) {
  char buf[512];
  std::snprintf(buf, sizeof buf, f, a...);
  return buf;
}

std::string mib(double b) {
  char s[32];
  std::snprintf(s, sizeof s, "%.2f", b / 1048576.0);
  return s;
}

// The presets the page offers and every other llama-quantize preset the planner knows.
std::vector<FType> presets() {
  std::vector<FType> out;
  for (const auto& p : all_presets())
    if (p.ftype != FType::F32 && p.ftype != FType::TQ1_0 && p.ftype != FType::TQ2_0) out.push_back(p.ftype);
  return out;
}

void conform(const Options& o, const CatalogModel& m, Tally& t) {
  ++t.models;
  const ModelArch& a = m.arch;
  const std::string file = o.work + "/" + m.id + ".gguf";
  const auto g = test::write_gguf(m, FType::F16, /*tokens_array=*/false, -1, 0, o.leave_out);
  {
    std::ofstream f(file, std::ios::binary | std::ios::trunc);
    f << g.bytes;
  }
  std::filesystem::resize_file(file, (g.bytes.size() + 31) / 32 * 32 + g.data_bytes);
  auto fail = [&](const std::string& what) { t.failures.push_back(m.id + ": " + what); };

  // Load and contexts.
  std::string cmd = shell_quote(o.oracle) + " load " + shell_quote(file);
  for (const auto& s : kSettings) cmd += " " + s.arg();
  const auto loaded = json_lines(run(cmd + " 2>&1"));
  if (loaded.empty() || loaded[0].contains("error")) {
    ++t.refused;
    const std::string why = loaded.empty() ? "no answer" : loaded[0]["error"].get<std::string>();
    t.row = format("%-28s %-14s llama.cpp refuses the file: %s\n", m.id.c_str(), a.arch.c_str(), why.c_str());
    std::string err;
    const auto imported = import_file(g.bytes, std::filesystem::file_size(file), m.id + ".gguf", err);
    fail("llama.cpp refuses the file (" + why + "); haloplan's import " +
         (imported ? "accepts it as a " + (*imported)["arch"].get<std::string>() + " model"
                   : "refuses it too (" + err + ")"));
    return;
  }
  const json& L = loaded[0];
  const auto tensors = build_tensors(a);
  uint64_t params = 0;
  for (const auto& x : tensors) params += uint64_t(x.elements());
  if (L["n_params"].get<uint64_t>() != params)
    fail("llama.cpp counts " + std::to_string(L["n_params"].get<uint64_t>()) + " parameters, the planner " +
         std::to_string(params));

  int ctx_ok = 0, ctx_n = 0, out_ok = 0, out_n = 0;
  uint64_t loaded_f16 = 0;
  for (const auto& q : quantize(a, tensors, FType::F16)) {
    if (q.spec->role & kRoleNextn) continue;
    const GgmlType type = test::converter_type(*q.spec);
    const uint64_t bytes = row_bytes(type, uint64_t(q.spec->ne[0])) * uint64_t(q.spec->ne[1] * q.spec->ne[2]);
    loaded_f16 += (bytes + 31) / 32 * 32;
    // gemma4.cpp creates the tied output head before token_embd, so even one CPU buffer holds
    // both copies (elsewhere the copy exists only when the output layer is on another device).
    if (a.tied_embeddings && a.arch == "gemma4" && (q.spec->role & kRoleTokenEmbd))
      loaded_f16 += (bytes + 31) / 32 * 32;
  }
  std::string ctx_note;
  for (size_t i = 0; i < kSettings.size(); ++i) {
    const Setting& s = kSettings[i];
    const json& r = L["settings"][i];
    const auto cp = s.params();
    const KvBreakdown kv = kv_cache(a, cp);
    if (r.contains("aborted")) {  // llama.cpp itself could not answer: shown, not counted
      t.unanswered.push_back(m.id + " at " + s.arg() + ": " + r["aborted"].get<std::string>());
      continue;
    }
    ++ctx_n;
    ++t.contexts;
    if (r.contains("error")) {
      if (!kv.error.empty()) {
        ++ctx_ok, ++t.contexts_exact, ++t.contexts_refused_both;
      } else {
        fail("setting " + s.arg() + ": llama.cpp refuses (" + r["error"].get<std::string>() + "), the planner accepts");
      }
      continue;
    }
    if (!kv.error.empty()) {
      fail("setting " + s.arg() + ": the planner refuses (" + kv.error + "), llama.cpp accepts");
      continue;
    }
    // What llama.cpp allocates for the weights: every tensor but the NextN blocks it skips, each
    // at the CPU buffer's 32-byte alignment.
    const uint64_t loaded = r["model"].get<uint64_t>();
    ++t.loads;
    if (loaded == loaded_f16) ++t.loads_exact;
    else
      fail("setting " + s.arg() + ": llama.cpp loads " + std::to_string(loaded) + " B of weights, the planner " +
           std::to_string(loaded_f16) + " B");
    const uint64_t mine = kv.kv_bytes() + kv.state_bytes;
    const uint64_t theirs = r["context"].get<uint64_t>();
    if (mine == theirs) {
      ++ctx_ok, ++t.contexts_exact;
    } else {
      fail("setting " + s.arg() + ": context " + std::to_string(theirs) + " B in llama.cpp, planner " +
           std::to_string(mine) + " B");
    }
    const BufferEstimate b = buffers(a, cp, kv);
    if (auto out = logged_mib(r["log"], "output buffer size")) {
      ++t.outputs, ++out_n;
      if (mib(*out) == mib(double(b.output_bytes))) ++out_ok, ++t.outputs_exact;
      else fail("setting " + s.arg() + ": output buffer " + mib(*out) + " MiB, planner " + mib(b.output_bytes));
    }
    const double compute = r["compute"].get<double>();
    if (compute > 0) {
      const double err = (double(b.host_compute_bytes + b.compute_bytes) - compute) / compute;
      t.compute_err.push_back(err);
      if (o.verbose && std::abs(err) > 0.25)
        t.far.push_back(format("%s at %s: llama.cpp %.0f MiB, estimate %+.0f %%", m.id.c_str(), s.arg().c_str(),
                               compute / 1048576.0, 100 * err));
    }
  }

  // MTP self-speculation (--spec-type draft-mtp), for models with NextN layers: llama.cpp loads
  // them, keeps rollback snapshots of the target's recurrent state and makes an MTP context.
  if (a.n_nextn > 0) {
    uint64_t with_nextn = loaded_f16;
    for (const auto& q : quantize(a, tensors, FType::F16))
      if (q.spec->role & kRoleNextn) {
        const uint64_t bytes =
            row_bytes(test::converter_type(*q.spec), uint64_t(q.spec->ne[0])) * uint64_t(q.spec->ne[1] * q.spec->ne[2]);
        with_nextn += (bytes + 31) / 32 * 32;
      }
    std::string mcmd = shell_quote(o.oracle) + " load-mtp " + shell_quote(file);
    for (const auto& s : kMtpSettings) mcmd += " " + s.arg();
    const auto mtp = json_lines(run(mcmd + " 2>&1"));
    for (size_t i = 0; i < kMtpSettings.size(); ++i) {
      ++t.mtps;
      const Setting& s = kMtpSettings[i];
      if (mtp.empty() || mtp[0].contains("error") || i >= mtp[0]["settings"].size()) {
        fail("MTP at " + s.arg() + ": llama.cpp did not answer (" +
             (mtp.empty() ? std::string("no output") : mtp[0].dump()) + ")");
        continue;
      }
      const json& r = mtp[0]["settings"][i];
      if (r.contains("error") || !r.contains("mtp") || r["mtp"].contains("error")) {
        fail("MTP at " + s.arg() + ": llama.cpp refuses (" + r.dump().substr(0, 300) + ")");
        continue;
      }
      ContextParams cp = s.params();
      cp.n_rs_seq = 3;
      const KvBreakdown target = kv_cache(a, cp);
      ContextParams mc = s.params();
      mc.type_k = mc.type_v = GgmlType::F16;
      const KvBreakdown draft = mtp_kv_cache(a, mc);
      std::string why;
      if (r["model"].get<uint64_t>() != with_nextn)
        why = "weights " + r["model"].dump() + " B in llama.cpp, planner " + std::to_string(with_nextn) + " B";
      else if (r["context"].get<uint64_t>() != target.kv_bytes() + target.state_bytes)
        why = "target context " + r["context"].dump() + " B in llama.cpp, planner " +
              std::to_string(target.kv_bytes() + target.state_bytes) + " B";
      else if (r["mtp"]["context"].get<uint64_t>() != draft.kv_bytes())
        why = "MTP context " + r["mtp"]["context"].dump() + " B in llama.cpp, planner " +
              std::to_string(draft.kv_bytes()) + " B";
      // The MTP context's compute buffer: the planner takes the target's device estimate.
      if (const double theirs = r["mtp"]["compute"].get<double>(); theirs > 0) {
        const BufferEstimate b = buffers(a, s.params(), kv_cache(a, s.params()));
        t.mtp_compute_err.push_back((double(b.host_compute_bytes + b.compute_bytes) - theirs) / theirs);
      }
      if (why.empty()) ++t.mtps_exact;
      else fail("MTP at " + s.arg() + ": " + why);
    }
  }

  // Quantisation: per-tensor types and total bytes of every preset.
  cmd = shell_quote(o.oracle) + " quantize " + shell_quote(file);
  const auto ps = presets();
  for (FType f : ps) cmd += " " + std::to_string(preset(f).llama_ftype);
  const auto dry = json_lines(run(cmd + " 2>&1"));
  int q_ok = 0;
  std::string q_note;
  for (size_t i = 0; i < ps.size(); ++i) {
    ++t.presets;
    const char* name = preset(ps[i]).name;
    if (i >= dry.size() || dry[i].contains("error")) {
      fail(std::string(name) + ": the dry run failed" +
           (i < dry.size() ? ": " + dry[i]["error"].get<std::string>() : std::string()));
      continue;
    }
    const auto qt = quantize(a, tensors, ps[i]);
    std::map<std::string, std::pair<std::string, uint64_t>> by_name;
    for (const auto& x : dry[i]["tensors"]) by_name[x[0]] = {x[1], x[2]};
    uint64_t total = 0;
    int wrong = 0;
    std::string first;
    for (const auto& q : qt) {
      total += q.bytes;
      const auto it = by_name.find(q.spec->name);
      if (it == by_name.end() || !same_type(it->second.first, q.type)) {
        if (wrong++ == 0)
          first = q.spec->name + " " + type_name(q.type) + " vs " +
                  (it == by_name.end() ? std::string("absent") : it->second.first);
      }
    }
    const uint64_t theirs = dry[i]["total"].get<uint64_t>();
    if (wrong == 0 && total == theirs) {
      ++q_ok, ++t.presets_exact;
    } else {
      fail(std::string(name) + ": " + std::to_string(wrong) + " tensor types differ (first: " + first + "), total " +
           std::to_string(theirs) + " B in llama.cpp, planner " + std::to_string(total) + " B");
      if (q_note.empty()) q_note = name;
    }
  }

  // Import round trip: the same file through haloplan's GGUF import.
  ++t.imports;
  std::string imp = "exact";
  {
    std::string err;
    const auto model = import_file(g.bytes, std::filesystem::file_size(file), m.id + ".gguf", err);
    Catalog c;
    if (!model) {
      imp = "haloplan's import refuses the file (" + err + "); llama.cpp loads it as " + L["desc"].get<std::string>();
    } else {
      const auto diags = load_models(
          json{{"schema", "haloplan-models"}, {"version", kCatalogSchemaVersion}, {"models", json::array({*model})}}
              .dump(),
          c);
      if (c.models.empty() || has_errors(diags))
        imp = "not loadable: " + (diags.empty() ? std::string("no model") : diags.front().text());
    }
    if (imp == "exact") {
      const ModelArch& b = c.models.front().arch;
      const WeightBreakdown w = weight_breakdown(b, FType::F16);
      if (w.file_bytes() != L["model_bytes"].get<uint64_t>())
        imp = "weights " + std::to_string(w.file_bytes()) + " B vs llama.cpp " + L["model_bytes"].dump() + " B";
      for (size_t i = 0; i < kSettings.size() && imp == "exact"; ++i) {
        const json& r = L["settings"][i];
        if (r.contains("error") || r.contains("aborted")) continue;
        const KvBreakdown kv = kv_cache(b, kSettings[i].params());
        if (kv.kv_bytes() + kv.state_bytes != r["context"].get<uint64_t>())
          imp = "context at " + kSettings[i].arg() + ": " + std::to_string(kv.kv_bytes() + kv.state_bytes) +
                " B vs llama.cpp " + r["context"].dump() + " B";
      }
    }
    if (imp == "exact") ++t.imports_exact;
    else fail("import round trip: " + imp);
  }
  t.row = format("%-28s %-14s %9.2f GiB  presets %2d/%-2zu  contexts %d/%d  output %d/%d  import %s\n", m.id.c_str(),
                 a.arch.c_str(), L["model_bytes"].get<double>() / 1073741824.0, q_ok, ps.size(), ctx_ok, ctx_n, out_ok,
                 out_n, imp == "exact" ? "exact" : "differs");
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--oracle" && i + 1 < argc) o.oracle = argv[++i];
    else if (a == "--work" && i + 1 < argc) o.work = argv[++i];
    else if (a == "--model" && i + 1 < argc) o.models.push_back(argv[++i]);
    else if (a == "--check") o.check = true;
    else if (a == "--verbose") o.verbose = true;
    else if (a == "--leave-out" && i + 1 < argc) o.leave_out = argv[++i];
    else {
      std::fprintf(stderr,
                   "usage: conformance --oracle PATH [--work DIR] [--model ID]... [--check] [--leave-out TENSOR]\n");
      return 2;
    }
  }
  if (o.oracle.empty() || !std::filesystem::exists(o.oracle)) {
    std::fprintf(stderr, "conformance: no oracle at '%s' (scripts/oracle fetches and builds it)\n", o.oracle.c_str());
    return 77;  // ctest: skipped
  }
  std::filesystem::create_directories(o.work);
  Catalog c;
  load_default_catalog(c);
  std::vector<const CatalogModel*> todo;
  for (const auto& m : c.models)
    if (o.models.empty() || std::find(o.models.begin(), o.models.end(), m.id) != o.models.end()) todo.push_back(&m);
  // The oracle runs one process per question: as many models at once as there are cores.
  std::vector<Tally> per(todo.size());
  std::atomic<size_t> next{0};
  std::vector<std::thread> workers;
  for (unsigned w = 0; w < std::max(1u, std::thread::hardware_concurrency()); ++w)
    workers.emplace_back([&] {
      for (size_t i; (i = next++) < todo.size();) conform(o, *todo[i], per[i]);
    });
  for (auto& w : workers) w.join();
  Tally t;
  for (const auto& x : per) t.add(x);
  std::printf("%-28s %-14s %13s  %-13s %-12s %-10s %s\n", "model", "arch", "F16 weights", "presets", "contexts",
              "output", "import");
  std::fputs(t.row.c_str(), stdout);
  std::sort(t.compute_err.begin(), t.compute_err.end(), [](double x, double y) { return std::abs(x) < std::abs(y); });
  const double med = t.compute_err.empty() ? 0 : t.compute_err[t.compute_err.size() / 2];
  const double worst = t.compute_err.empty() ? 0 : t.compute_err.back();
  std::printf(
      "\n%d models (%d refused by llama.cpp); presets exact %d/%d; contexts exact %d/%d (%d refused by both); "
      "loaded weights %d/%d; output buffer %d/%d; import round trip %d/%d; MTP (weights, target and MTP "
      "contexts) %d/%d\n",
      t.models, t.refused, t.presets_exact, t.presets, t.contexts_exact, t.contexts, t.contexts_refused_both,
      t.loads_exact, t.loads, t.outputs_exact, t.outputs, t.imports_exact, t.imports, t.mtps_exact, t.mtps);
  std::printf(
      "CPU compute buffer (planner's host + device estimate vs llama.cpp's CPU buffer): median %+.0f %%, "
      "worst %+.0f %% over %zu contexts\n",
      100 * med, 100 * worst, t.compute_err.size());
  std::sort(t.mtp_compute_err.begin(), t.mtp_compute_err.end(),
            [](double x, double y) { return std::abs(x) < std::abs(y); });
  if (!t.mtp_compute_err.empty())
    std::printf(
        "MTP context compute buffer (the target's estimate vs llama.cpp's CPU buffer): median %+.0f %%, "
        "worst %+.0f %% over %zu contexts\n",
        100 * t.mtp_compute_err[t.mtp_compute_err.size() / 2], 100 * t.mtp_compute_err.back(),
        t.mtp_compute_err.size());
  if (!t.far.empty()) {
    std::printf("\nCPU compute buffer estimates off by more than 25 %%:\n");
    for (const auto& f : t.far) std::printf("  %s\n", f.c_str());
  }
  if (!t.unanswered.empty()) {
    std::printf("\nllama.cpp could not answer %zu settings (not counted):\n", t.unanswered.size());
    for (const auto& u : t.unanswered) std::printf("  %s\n", u.c_str());
  }
  if (!t.failures.empty()) {
    std::printf("\n%zu differences:\n", t.failures.size());
    for (const auto& f : t.failures) std::printf("  %s\n", f.c_str());
  }
  return o.check && !t.failures.empty() ? 1 : 0;
}
