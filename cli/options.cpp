#include "options.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <set>

#include "haloplan/view/view.h"

namespace haloplan::cli {

namespace {

const std::set<std::string> kCommands = {"fit",      "speed",    "setup",  "guide",     "plan", "models",
                                         "machines", "backends", "import", "calibrate", "help"};

double parse_number(const std::string& flag, const std::string& v, double lo, double hi) {
  char* end = nullptr;
  errno = 0;
  const double d = std::strtod(v.c_str(), &end);
  if (v.empty() || errno != 0 || *end != '\0' || !std::isfinite(d))
    throw UsageError(flag + " expects a number, got '" + v + "'");
  if (d < lo || d > hi)
    throw UsageError(flag + " " + v + " is out of range (" + std::to_string(int64_t(lo)) + " to " +
                     std::to_string(int64_t(hi)) + ")");
  return d;
}

int64_t parse_count(const std::string& flag, std::string v, int64_t lo, int64_t hi) {
  int64_t mult = 1;
  if (!v.empty() && (v.back() == 'k' || v.back() == 'K')) {
    mult = 1024;
    v.pop_back();
  }
  char* end = nullptr;
  errno = 0;
  const long long n = std::strtoll(v.c_str(), &end, 10);
  if (v.empty() || errno != 0 || *end != '\0') throw UsageError(flag + " expects a whole number, got '" + v + "'");
  const int64_t r = int64_t(n) * mult;
  if (r < lo || r > hi)
    throw UsageError(flag + " " + std::to_string(r) + " is out of range (" + std::to_string(lo) + " to " +
                     std::to_string(hi) + ")");
  return r;
}

bool parse_onoff(const std::string& flag, const std::string& v) {
  if (v == "on" || v == "true" || v == "1") return true;
  if (v == "off" || v == "false" || v == "0") return false;
  throw UsageError(flag + " expects on or off, got '" + v + "'");
}

std::vector<std::string> split_list(const std::string& v) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= v.size()) {
    size_t comma = v.find(',', start);
    if (comma == std::string::npos) comma = v.size();
    if (comma > start) out.push_back(v.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

// A page link (or its fragment) sets the scenario as the page had it; later flags override it.
void apply_link(std::string v, Options& o) {
  const auto hash = v.find('#');
  if (hash != std::string::npos) v = v.substr(hash + 1);
  std::vector<Notice> notices;
  const ViewState s = decode_link(v, notices);
  for (const auto& n : notices) o.link_notices.push_back(n.message);
  if (!s.machine.empty()) o.machine = s.machine;
  o.carve_out = s.carve_out_gib;
  o.gtt = s.gtt_gib;
  o.os_reserve = s.os_reserve_gib;
  o.rocm_gtt = s.rocm_gtt;
  o.ctx = s.ctx;
  o.k_type = s.type_k;
  o.v_type = s.type_v;
  o.slots = s.slots;
  o.kv_unified = s.kv_unified;
  o.flash_attn = s.flash_attn;
  o.prompt = s.prompt;
  o.quants = s.quants;
  if (o.command == "speed" || o.command == "plan") o.backend = s.backend;
  if (o.command == "plan" && !s.model.empty()) {
    o.models = {s.model};
    o.quants = {s.quant};
  }
  o.link_custom = s.custom;
  o.link_removed = s.removed;
  o.cal = s.cal;
}

}  // namespace

std::string usage() {
  return R"(haloplan — will this model fit, how fast will it run, how to set up the machine

Usage: haloplan COMMAND [flags]

Commands:
  fit        memory fit table: models x quants, verdict per backend
  speed      decode/prefill table and the bandwidth ceiling
  setup      UMA-first vs GTT-first, kernel parameters for a GTT size
  guide      the Strix Halo guide's tables, computed for this machine
  plan       one model's full breakdown (--format json: a stable object for scripts)
  import FILE...  GGUF files (headers only; split parts together) or Hugging Face config.json:
             the catalog entry, then its fit and speed
  calibrate FILE  your llama-bench output (markdown table or -o json; '-' reads stdin): the
             speed model before and after fitting it, and the --cal value that applies it
  models | machines | backends   list the catalog

Flags:
  --machine ID        machine (default framework-desktop-128)
  --carve-out GIB     BIOS carve-out (default: the machine's default)
  --gtt GIB|default   GTT limit (default: the kernel's rule, half of OS-visible RAM)
  --os-reserve GIB    memory to leave to the OS (default: the machine's)
  --rocm-gtt on|off   ROCm/HIP allocates from GTT (kernels 6.10+; default off, as the guide)
  --backend ID        one backend (default: every backend of the machine)
  --model ID[,ID]     model(s) (default: the whole catalog)
  --quant PRESET[,..] quantisation preset(s), e.g. Q4_K_M; 'all' for the ladder
  --ctx N             context length, e.g. 32768 or 32k (default 32768)
  --kv-type TYPE      K and V cache type: f16, bf16, q8_0, q4_0, ...
  --k-type / --v-type TYPE   set them separately
  --slots N           parallel slots (default 1)
  --kv-unified on|off one KV pool for all slots (default on)
  --flash-attn on|off (default on)
  --prompt N          prompt tokens for time to first token (default 4096)
  --catalog FILE      extra model catalog (same schema as data/models.json); repeatable
  --link URL          the page's scenario from a haloplan link (flags after it override it)
  --cal B:D:P:ND:NP   apply a calibration printed by 'haloplan calibrate' (comma-separated)
  --format markdown|csv|json
)";
}

Options parse_options(int argc, char** argv) {
  Options o;
  int i = 1;
  if (argc < 2) throw UsageError("missing command; try 'haloplan help'");
  o.command = argv[i++];
  if (o.command == "--help" || o.command == "-h") o.command = "help";
  if (!kCommands.count(o.command)) throw UsageError("unknown command '" + o.command + "'; try 'haloplan help'");
  auto value = [&](const std::string& flag) -> std::string {
    if (i >= argc) throw UsageError(flag + " needs a value");
    return argv[i++];
  };
  while (i < argc) {
    const std::string a = argv[i++];
    if (a == "--machine") o.machine = value(a);
    else if (a == "--carve-out") o.carve_out = parse_number(a, value(a), 0, 65536);
    else if (a == "--gtt") {
      const std::string v = value(a);
      if (v == "default") o.gtt.reset();
      else o.gtt = parse_number(a, v, 0, 65536);
    } else if (a == "--os-reserve") o.os_reserve = parse_number(a, value(a), 0, 65536);
    else if (a == "--rocm-gtt") o.rocm_gtt = parse_onoff(a, value(a));
    else if (a == "--backend") o.backend = value(a);
    else if (a == "--model") {
      for (auto& m : split_list(value(a))) o.models.push_back(m);
    } else if (a == "--quant") {
      for (auto& q : split_list(value(a))) o.quants.push_back(q);
    } else if (a == "--ctx") o.ctx = parse_count(a, value(a), 1, int64_t(1) << 26);
    else if (a == "--kv-type") o.k_type = o.v_type = value(a);
    else if (a == "--k-type") o.k_type = value(a);
    else if (a == "--v-type") o.v_type = value(a);
    else if (a == "--slots") o.slots = int(parse_count(a, value(a), 1, 256));
    else if (a == "--kv-unified") o.kv_unified = parse_onoff(a, value(a));
    else if (a == "--flash-attn") o.flash_attn = parse_onoff(a, value(a));
    else if (a == "--prompt") o.prompt = parse_count(a, value(a), 1, int64_t(1) << 26);
    else if (a == "--catalog") o.catalogs.push_back(value(a));
    else if (a == "--link") apply_link(value(a), o);
    else if (a == "--cal") {
      const std::string err = parse_calibrations(value(a), o.cal);
      if (!err.empty()) throw UsageError("--cal: " + err);
    } else if (a == "--format") {
      const std::string f = value(a);
      if (f == "markdown" || f == "md") o.format = Format::Markdown;
      else if (f == "csv") o.format = Format::Csv;
      else if (f == "json") o.format = Format::Json;
      else throw UsageError("--format expects markdown, csv or json, got '" + f + "'");
    } else if (a == "--help" || a == "-h") o.command = "help";
    else if (a.rfind("--", 0) == 0) throw UsageError("unknown flag '" + a + "'; try 'haloplan help'");
    else o.positional.push_back(a);
  }
  if (o.command == "import" && o.positional.empty())
    throw UsageError("import needs one or more GGUF files or config.json files: haloplan import MODEL.gguf");
  if (o.command == "calibrate" && o.positional.size() != 1)
    throw UsageError("calibrate needs one file of llama-bench output ('-' for stdin): haloplan calibrate bench.md");
  if (!o.positional.empty() && o.command != "help" && o.command != "import" && o.command != "calibrate")
    throw UsageError("unexpected argument '" + o.positional.front() + "'");
  return o;
}

FType parse_quant(const std::string& q) {
  if (auto f = ftype_from_name(q)) return *f;
  std::string names;
  for (FType f : quant_ladder()) names += std::string(names.empty() ? "" : ", ") + preset(f).name;
  throw UsageError("unknown quant '" + q + "'; known presets include " + names + ", Q4_0, MXFP4_MOE, F16");
}

namespace {
GgmlType parse_cache_type(const std::string& flag, const std::string& v) {
  static const std::set<std::string> ok = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "IQ4_NL"};
  auto t = type_from_name(v);
  if (!t || !ok.count(type_name(*t)))
    throw UsageError(flag + " '" + v +
                     "' is not a KV cache type; use f32, f16, bf16, q8_0, q5_1, q5_0, q4_1, q4_0 or iq4_nl");
  return *t;
}
}  // namespace

Scenario make_scenario(const Options& o, const Catalog& c) {
  Scenario s;
  s.machine = c.machine(o.machine);
  if (!s.machine) {
    std::string ids;
    for (const auto& m : c.machines) ids += (ids.empty() ? "" : ", ") + m.id;
    throw UsageError("unknown machine '" + o.machine + "'; known: " + ids);
  }
  if (o.carve_out) {
    if (s.machine->kind != MemoryKind::AmdApu)
      throw UsageError("--carve-out applies to AMD APUs; " + s.machine->id + " has no BIOS carve-out");
    if (*o.carve_out >= s.machine->ram_gib)
      throw UsageError("--carve-out " + std::to_string(int(*o.carve_out)) + " GiB leaves nothing of the machine's " +
                       std::to_string(int(s.machine->ram_gib)) + " GiB to the OS");
  }
  s.knobs.carve_out_gib = o.carve_out;
  s.knobs.gtt_gib = o.gtt;
  s.knobs.os_reserve_gib = o.os_reserve;
  s.knobs.rocm_gtt = o.rocm_gtt;
  if (!o.backend.empty()) {
    const Backend* b = c.backend(o.backend);
    if (!b) {
      std::string ids;
      for (const auto& x : c.backends) ids += (ids.empty() ? "" : ", ") + x.id;
      throw UsageError("unknown backend '" + o.backend + "'; known: " + ids);
    }
    const auto list = backends_for(c, *s.machine);
    if (std::find(list.begin(), list.end(), b) == list.end())
      throw UsageError("backend '" + b->id + "' does not run on " + s.machine->id);
  }
  s.ctx.n_ctx = o.ctx;
  s.ctx.n_seq = o.slots;
  s.ctx.kv_unified = o.kv_unified;
  s.ctx.flash_attn = o.flash_attn;
  if (o.k_type) s.ctx.type_k = parse_cache_type("--k-type", *o.k_type);
  if (o.v_type) s.ctx.type_v = parse_cache_type("--v-type", *o.v_type);
  if (!o.flash_attn && traits(s.ctx.type_v).quantized)
    throw UsageError("a quantized V cache (" + std::string(type_name(s.ctx.type_v)) +
                     ") requires --flash-attn on; llama.cpp refuses to start otherwise");
  s.prompt_tokens = o.prompt;
  return s;
}

Selection select(const Options& o, const Catalog& c) {
  Selection sel;
  for (const auto& id : o.models) {
    const CatalogModel* m = c.model(id);
    if (!m) {
      std::string close;
      for (const auto& x : c.models)
        if (x.id.find(id) != std::string::npos || id.find(x.id) != std::string::npos)
          close += (close.empty() ? "" : ", ") + x.id;
      throw UsageError("unknown model '" + id + "'" +
                       (close.empty() ? "; 'haloplan models' lists them" : "; did you mean " + close + "?"));
    }
    sel.models.push_back(m);
  }
  if (sel.models.empty())
    for (const auto& m : c.models) sel.models.push_back(&m);
  for (const auto& q : o.quants) {
    if (q == "all" || q == "ALL") {
      for (FType f : quant_ladder()) sel.quants.push_back(f);
    } else {
      sel.quants.push_back(parse_quant(q));
    }
  }
  sel.quants_given = !sel.quants.empty();
  if (sel.quants.empty()) sel.quants.push_back(FType::Q4_K_M);
  if (const Machine* m = c.machine(o.machine)) {
    for (const Backend* b : backends_for(c, *m))
      if (o.backend.empty() || b->id == o.backend) sel.backends.push_back(b);
  }
  return sel;
}

}  // namespace haloplan::cli
