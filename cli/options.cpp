#include "options.h"

#include <algorithm>
#include <set>

#include "haloplan/text/strings.h"
#include "haloplan/view/scenario.h"

namespace haloplan::cli {

namespace {

const std::set<std::string> kCommands = {"best",   "fit",       "speed",    "setup",    "guide",
                                         "plan",   "models",    "machines", "backends", "builds",
                                         "import", "calibrate", "doctor",   "cluster",  "help"};

// A flag's value into one field of the scenario, by the link's own reader.
void set_field(Options& o, const std::string& flag, const char* key, const std::string& v) {
  const std::string err = set_state_field(o.state, key, v);
  if (!err.empty()) throw UsageError(flag + ": " + err);
}

// A page link (or its fragment) sets the scenario as the page had it; later flags override it.
void apply_link(std::string v, Options& o) {
  const auto hash = v.find('#');
  if (hash != std::string::npos) v = v.substr(hash + 1);
  std::vector<Notice> notices;
  ViewState s = decode_link(v, notices);
  for (const auto& n : notices) o.link_notices.push_back(n.message);
  if (s.machine.empty()) s.machine = o.state.machine;
  o.quants = s.quants;
  if (o.command == "speed" || o.command == "plan") o.backend = s.backend;
  if (o.command == "plan" && !s.model.empty()) {
    o.models = {s.model};
    o.quants = {s.quant};
  }
  if (!s.machine.empty()) o.machine_given = true;
  o.state = std::move(s);
}

}  // namespace

std::string usage() {
  return R"(haloplan — will this model fit, how fast will it run, how to set up the machine

Usage: haloplan COMMAND [flags]

Commands:
  best       the best model x quant choices for the machine and backend, ranked, and the focused
             model's (--model) answer with what would make it fit
  fit        memory fit table: models x quants, verdict per backend
  speed      decode/prefill table and the bandwidth ceiling
  setup      UMA-first vs GTT-first, kernel parameters for a GTT size
  guide      the Strix Halo guide's tables, computed for this machine
  plan       one model's full breakdown (--format json: a stable object for scripts); with
             several --model, the set resident together: each --model's own --quant, --ctx,
             --slots, --kv-type ... follow it; the set's verdict, what to shrink first, and the
             launch configuration (one llama-server per model, and a llama-swap config)
  import FILE...  GGUF files (headers only; split parts together) or Hugging Face config.json:
             the catalog entry, then its fit and speed
  calibrate FILE  your llama-bench output (markdown table or -o json; '-' reads stdin): the
             speed model before and after fitting it, and the --cal value that applies it
  doctor     this Linux box as it is: the carve-out, GTT limit, RAM, kernel and its parameters
             read from /sys, /proc and /etc/modprobe.d; what each backend can reach; how far
             the model (--model, --quant) is from fitting and the exact changes to get there
  cluster    one model over 2-4 boxes joined by llama.cpp RPC (-sm layer): layers and their KV
             split by free memory (or --ts, in llama-server's order: the workers, then the
             head), each node's verdict, decode and prefill, and the
             rpc-server and llama-server --rpc commands (--nodes 2 or --nodes ID,ID; --link
             1gbe|2.5gbe|10gbe|25gbe|50gbe|usb4|rdma); with a vLLM --backend, vLLM's
             tensor parallel instead: 1/N of every layer per box, Ray and vllm serve commands
  models | machines | backends | builds   list the catalog

Flags:
  --machine ID        machine (default framework-desktop-128)
  --carve-out GIB     BIOS carve-out (default: the machine's default)
  --gtt GIB|default   GTT limit (default: the kernel's rule, half of OS-visible RAM)
  --os-reserve GIB    memory to leave to the OS (default: the machine's)
  --kernel VERSION    the Linux kernel (6.8, 6.18.4, or 'older'): HIP stacks (llama.cpp-ROCm, vLLM,
                      Ollama's ROCm runner) reach GTT on 6.10 or newer (the default), only the
                      carve-out before
  --rocm-gtt on|off   the same as --kernel 6.10 / --kernel older
  --backend ID        one backend (default: every backend of the machine)
  --model ID[,ID]     model(s) (default: the whole catalog)
  --quant PRESET[,..] quantisation preset(s), e.g. Q4_K_M; 'all' for the ladder; or a published
                      file of known size, e.g. UD-Q4_K_XL or unsloth:UD-Q4_K_XL
  --ctx N             context length, e.g. 32768 or 32k (default 32768)
  --kv-type TYPE      K and V cache type: f16, bf16, q8_0, q4_0, ...
  --k-type / --v-type TYPE   set them separately
  --slots N           parallel slots (default 1)
  --kv-unified on|off one KV pool for all slots (default on)
  --flash-attn on|off (default on)
  --prompt N          prompt tokens for time to first token (default 4096)
  --ctx-checkpoints N llama-server's context checkpoints per slot (default 32; host memory)
  --cache-ram MIB     llama-server's prompt cache cap (default 8192; -1 no limit, 0 off)
  --vision on|off     load a vision model's projector, --mmproj (default on)
  --mmproj MIB        the projector's size, for a model whose size the catalog does not know
  --draft ID          a draft model for speculative decoding (-md): its weights, KV and buffers
  --draft-quant PRESET the draft model's quant (default Q8_0)
  --mtp on|off        self-speculate with the model's own MTP layers (--spec-type draft-mtp),
                      where it has them: their weights, an f16 cache, recurrent snapshots
  --n-cpu-moe N|auto  on a discrete GPU: the routed experts of the first N layers stay in system
                      RAM, as llama.cpp's flag (default auto: as many as VRAM needs, then
                      whole layers with -ngl)
  --catalog FILE      extra model catalog (same schema as data/models.json); repeatable
  --link URL          the page's scenario from a haloplan link (flags after it override it)
  --cal B:D:P:ND:NP   apply a calibration printed by 'haloplan calibrate' (comma-separated)
  --build FAMILY[,..] the llama.cpp build you run, per engine: vulkan-radv (default),
                      vulkan-amdvlk; rocm (2026 builds, default), rocm-2025, rocm-rocwmma,
                      rocm-rocblas; 'haloplan builds' lists them with their rows
  --compare K:V[;..]  with 'best': a second setup beside this one, as changes to it, e.g.
                      'carve:0.5;gtt:120' (GTT-first) or 'backend:llamacpp-rocm;ctx:131072'
  --root DIR          with 'doctor': read DIR/sys, DIR/proc, DIR/etc instead of / (a copy
                      of another box's files)
  --link              with 'doctor': print only the page link of the scenario it read
  --format markdown|csv|json|svg
                      svg: the tables as one picture (e.g. '> fit.svg' for a forum post)
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
  o.state.machine = "framework-desktop-128";  // the guide's machine
  // plan: a flag of one model's own after its --model belongs to it (see Options::members).
  const std::vector<std::pair<std::string, std::string>> member_flags = {
      {"--quant", "quant"},   {"--ctx", "ctx"},           {"--slots", "slots"},   {"--kv-type", "kvtype"},
      {"--k-type", "ktype"},  {"--v-type", "vtype"},      {"--flash-attn", "fa"}, {"--vision", "vision"},
      {"--mmproj", "mmproj"}, {"--kv-unified", "unified"}};
  while (i < argc) {
    const std::string a = argv[i++];
    if (o.command == "plan" && a == "--model") {
      const std::string v = value(a);
      for (auto& m : split(v, ',')) o.members.push_back({m, {}});
      continue;
    }
    if (o.command == "plan" && !o.members.empty()) {
      const auto f =
          std::find_if(member_flags.begin(), member_flags.end(), [&](const auto& x) { return x.first == a; });
      if (f != member_flags.end()) {
        const std::string v = value(a);
        // Checked now, with the link's reader, so a wrong value names its flag.
        ViewState probe;
        const std::string key = f->second == "kvtype" ? "ktype" : f->second;
        if (key != "quant")
          if (const std::string err = set_state_field(probe, key, v); !err.empty()) throw UsageError(a + ": " + err);
        o.members.back().fields.push_back({f->second, v});
        continue;
      }
    }
    if (a == "--machine") {
      set_field(o, a, "machine", value(a));
      o.machine_given = true;
    } else if (a == "--root") {
      if (o.command != "doctor") throw UsageError("--root is doctor's flag: haloplan doctor --root DIR");
      o.root = value(a);
      if (o.root.empty()) throw UsageError("--root needs a directory");
    } else if (a == "--link" && o.command == "doctor") o.print_link = true;
    else if (o.command == "cluster" && a == "--nodes") {
      o.nodes = split(value(a), ',');
      if (o.nodes.empty()) throw UsageError("--nodes needs a count (2 to 4) or machine ids");
    } else if (o.command == "cluster" && a == "--link") o.link = value(a);
    else if (o.command == "cluster" && a == "--ts") {
      for (const auto& x : split(value(a), ',')) {
        const auto v = parse_number(x, 0, 1e6);
        if (!v) throw UsageError("--ts expects proportions such as 1,1 or 60,40, got '" + x.substr(0, 32) + "'");
        o.ts.push_back(*v);
      }
    } else if (a == "--carve-out") set_field(o, a, "carve", value(a));
    else if (a == "--gtt") set_field(o, a, "gtt", value(a));
    else if (a == "--os-reserve") set_field(o, a, "reserve", value(a));
    else if (a == "--rocm-gtt") set_field(o, a, "rocmgtt", value(a));
    else if (a == "--kernel") set_field(o, a, "kernel", value(a));
    else if (a == "--backend") {
      o.backend = value(a);
      set_field(o, a, "backend", o.backend);
    } else if (a == "--model") {
      for (auto& m : split(value(a), ',')) o.models.push_back(m);
    } else if (a == "--quant") {
      for (auto& q : split(value(a), ',')) o.quants.push_back(q);
    } else if (a == "--ctx") set_field(o, a, "ctx", value(a));
    else if (a == "--kv-type") {
      const std::string v = value(a);
      set_field(o, a, "ktype", v);
      set_field(o, a, "vtype", v);
    } else if (a == "--k-type") set_field(o, a, "ktype", value(a));
    else if (a == "--v-type") set_field(o, a, "vtype", value(a));
    else if (a == "--slots") set_field(o, a, "slots", value(a));
    else if (a == "--kv-unified") set_field(o, a, "unified", value(a));
    else if (a == "--flash-attn") set_field(o, a, "fa", value(a));
    else if (a == "--prompt") set_field(o, a, "prompt", value(a));
    else if (a == "--ctx-checkpoints") set_field(o, a, "ckpt", value(a));
    else if (a == "--cache-ram") set_field(o, a, "cacheram", value(a));
    else if (a == "--vision") set_field(o, a, "vision", value(a));
    else if (a == "--mmproj") set_field(o, a, "mmproj", value(a));
    else if (a == "--draft") set_field(o, a, "draft", value(a));
    else if (a == "--draft-quant") set_field(o, a, "draftq", value(a));
    else if (a == "--mtp") set_field(o, a, "mtp", value(a));
    else if (a == "--n-cpu-moe") set_field(o, a, "ncmoe", value(a));
    else if (a == "--catalog") o.catalogs.push_back(value(a));
    else if (a == "--link") apply_link(value(a), o);
    else if (a == "--cal") set_field(o, a, "cal", value(a));
    else if (a == "--build") set_field(o, a, "builds", value(a));
    else if (a == "--compare") set_field(o, a, "cmp", value(a));
    else if (a == "--format") {
      const std::string f = value(a);
      if (f == "markdown" || f == "md") o.format = Format::Markdown;
      else if (f == "csv") o.format = Format::Csv;
      else if (f == "json") o.format = Format::Json;
      else if (f == "svg") o.format = Format::Svg;
      else throw UsageError("--format expects markdown, csv, json or svg, got '" + f + "'");
    } else if (a == "--help" || a == "-h") o.command = "help";
    else if (a.rfind("--", 0) == 0) throw UsageError("unknown flag '" + a + "'; try 'haloplan help'");
    else o.positional.push_back(a);
  }
  // One model: its flags are the scenario's, as before there were sets.
  for (const auto& m : o.members) {
    o.models.push_back(m.model);
    size_t quants = 0;
    for (const auto& [key, v] : m.fields)
      if (key == "quant") quants += split(v, ',').size();
    if (quants > 1)
      throw UsageError(o.members.size() > 1 ? "plan needs exactly one --quant per --model (" + m.model + " has " +
                                                  std::to_string(quants) + ")"
                                            : "plan needs exactly one --quant");
  }
  if (o.command == "plan" && o.members.size() == 1) {
    for (const auto& [key, v] : o.members.front().fields) {
      if (key == "quant") {
        o.quants = {v};
      } else if (key == "kvtype") {
        set_field(o, "--kv-type", "ktype", v);
        set_field(o, "--kv-type", "vtype", v);
      } else {
        set_field(o, "--" + key, key.c_str(), v);
      }
    }
  }
  if (o.command == "import" && o.positional.empty())
    throw UsageError("import needs one or more GGUF files or config.json files: haloplan import MODEL.gguf");
  if (o.command == "calibrate" && o.positional.size() != 1)
    throw UsageError("calibrate needs one file of llama-bench output ('-' for stdin): haloplan calibrate bench.md");
  if (o.command == "doctor") {
    if (o.state.carve_out_gib || o.state.gtt_gib || !o.state.kernel.empty())
      throw UsageError(
          "doctor reads the carve-out, the GTT limit and the kernel from the machine; to try other values use "
          "'haloplan best' or 'haloplan fit' with --carve-out, --gtt, --kernel");
    if (o.models.size() > 1) throw UsageError("doctor checks one --model at a time");
    if (o.quants.size() > 1) throw UsageError("doctor checks one --quant at a time");
  }
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

std::string resolve_file(const std::string& q, const Catalog& c) {
  std::vector<std::string> keys;  // every published file whose key or tag is q
  for (const auto& m : c.models)
    for (const auto& f : m.files)
      if ((f.key() == q || f.tag == q) && std::find(keys.begin(), keys.end(), f.key()) == keys.end())
        keys.push_back(f.key());
  if (keys.size() == 1) return keys.front();
  if (keys.size() > 1) throw UsageError("'" + q + "' names several published files: " + join(keys, ", "));
  std::string names;
  for (FType f : quant_ladder()) names += std::string(names.empty() ? "" : ", ") + preset(f).name;
  throw UsageError("unknown quant '" + q + "': not a preset (" + names +
                   ", Q4_0, MXFP4_MOE, F16 ...) and no model in the catalog has a published file of that name");
}

Scenario make_scenario(const Options& o, const Catalog& c) {
  ViewState s = o.state;
  // One model asked for is the focus, so what is checked against a model (its trained context) is
  // checked against it.
  if ((o.command == "plan" || o.command == "best") && o.models.size() == 1 && c.model(o.models.front()))
    s.model = o.models.front();
  std::vector<Notice> notices;
  validate_state(s, c, notices);
  if (!notices.empty()) throw UsageError(notices.front().what_is_wrong());
  Scenario sc = scenario_for(s, c);
  sc.extras_for = nullptr;  // --draft and --mmproj apply to every model the command shows
  if (!sc.ctx.flash_attn && traits(sc.ctx.type_v).quantized)
    throw UsageError("a quantized V cache (" + std::string(type_name(sc.ctx.type_v)) +
                     ") requires --flash-attn on; llama.cpp refuses to start otherwise");
  return sc;
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
    } else if (ftype_from_name(q)) {
      sel.quants.push_back(parse_quant(q));
    } else {
      sel.files.push_back(resolve_file(q, c));
    }
  }
  for (const auto& k : sel.files)
    if (std::none_of(sel.models.begin(), sel.models.end(), [&](const CatalogModel* m) { return m->published(k); }))
      throw UsageError("none of the chosen models has the published file '" + k + "'");
  sel.quants_given = !sel.quants.empty() || !sel.files.empty();
  if (!sel.quants_given) sel.quants.push_back(FType::Q4_K_M);
  if (const Machine* m = c.machine(o.state.machine)) {
    for (const Backend* b : backends_for(c, *m))
      if (o.backend.empty() || b->id == o.backend) sel.backends.push_back(b);
  }
  return sel;
}

}  // namespace haloplan::cli
