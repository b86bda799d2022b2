// haloplan command line: the planner core's tables as Markdown, CSV or JSON.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "haloplan/catalog/gguf_import.h"
#include "haloplan/catalog/hf_config.h"
#include "haloplan/default_catalog.h"
#include "haloplan/planner/cluster.h"
#include "haloplan/planner/setup.h"
#include "haloplan/text/strings.h"
#include "haloplan/view/answer.h"
#include "haloplan/view/cluster.h"
#include "haloplan/view/compare.h"
#include "haloplan/view/doctor.h"
#include "haloplan/view/evidence.h"
#include "haloplan/view/exports.h"
#include "haloplan/view/resident.h"
#include "haloplan/view/scenario.h"
#include "haloplan/view/tables.h"
#include "haloplan/view/view.h"
#include "options.h"
#include "root_reader.h"

using namespace haloplan;
using namespace haloplan::cli;

namespace {

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw UsageError("cannot read catalog file '" + path + "'");
  std::ostringstream ss;
  ss << f.rdbuf();
  if (ss.str().size() > (64u << 20)) throw UsageError("catalog file '" + path + "' is larger than 64 MiB");
  return ss.str();
}

void load_catalog(const Options& o, Catalog& c) {
  auto d = load_default_catalog(c);
  if (has_errors(d)) {
    for (const auto& x : d) std::cerr << "haloplan: " << x.text() << "\n";
    throw std::runtime_error("the shipped catalog is broken");
  }
  const ViewState& st = o.state;
  if (!st.custom.empty() || !st.removed.empty() || !st.cal.empty() || !st.builds.empty()) {
    for (const auto& cal : st.cal)
      if (!c.backend(cal.backend)) throw UsageError("--cal: unknown backend '" + cal.backend + "'");
    // A wrong --build is refused with validate_state's own words.
    ViewState probe = st;
    std::vector<Notice> refused;
    validate_state(probe, c, refused);
    for (const auto& n : refused)
      if (n.key == "builds") throw UsageError("--build: " + n.what_is_wrong());
    std::vector<Notice> notices;
    c = apply_custom(c, st, notices);
    for (const auto& n : notices) std::cerr << "haloplan: warning: link: " << n.message << "\n";
  }
  for (const auto& path : o.catalogs) {
    const auto text = read_file(path);
    auto diags = merge_models(text, c);
    for (const auto& x : diags) std::cerr << "haloplan: " << path << ": " << x.text() << "\n";
    if (has_errors(diags))
      throw UsageError("catalog file '" + path + "' has errors (listed above); nothing was loaded from it");
  }
}

void print(const std::string& s) { std::fwrite(s.data(), 1, s.size(), stdout); }

void print_tables(const std::vector<Table>& tables, Format f) {
  if (f == Format::Svg) {
    print(render_svg(tables));
    return;
  }
  if (f == Format::Json) {
    print("[");
    for (size_t i = 0; i < tables.size(); ++i) print((i ? "," : "") + tables[i].render(f));
    print("]\n");
    return;
  }
  for (size_t i = 0; i < tables.size(); ++i) {
    if (i) print("\n");
    print(tables[i].render(f));
  }
}

// Reads only as much of a GGUF file as its header needs, growing the read until it is complete.
GgufHeader read_gguf_header(const std::string& path) {
  std::ifstream f(path, std::ios::binary | std::ios::ate);
  if (!f) throw UsageError("cannot read '" + path + "'");
  const auto end = f.tellg();
  if (end < 0) throw UsageError("cannot read '" + path + "'");
  const uint64_t size = uint64_t(end);
  std::vector<uint8_t> buf;
  uint64_t want = std::min<uint64_t>(size, 1 << 20);
  for (;;) {
    const uint64_t had = buf.size();
    buf.resize(size_t(want));
    f.seekg(std::streamoff(had));
    f.read(reinterpret_cast<char*>(buf.data() + had), std::streamsize(want - had));
    if (!f) throw UsageError("cannot read '" + path + "'");
    auto r = parse_gguf(buf, size);
    if (r.status == GgufParse::Status::Ok) return std::move(r.header);
    if (r.status == GgufParse::Status::Error) throw UsageError(path + ": " + r.error);
    want = r.need_bytes;
  }
}

// haloplan import: one catalog entry per model (split parts combined), then its tables.
void import_command(const Options& o, Catalog& c, const Scenario& s) {
  if (o.format == Format::Svg)
    throw UsageError("import prints a catalog entry, which is not a picture; use --format markdown or json");
  GgufImport ggufs;
  std::vector<nlohmann::json> entries;
  for (const auto& path : o.positional) {
    std::ifstream probe(path, std::ios::binary);
    if (!probe) throw UsageError("cannot read '" + path + "'");
    char head[64] = {};
    probe.read(head, sizeof head);
    switch (import_kind(std::string_view(head, size_t(probe.gcount())))) {
      case ImportKind::HfConfig: {
        auto r = hf_config_to_model(read_file(path), hf_config_name(path));
        if (!r.model) throw UsageError(path + ": " + r.error);
        entries.push_back(*r.model);
        break;
      }
      case ImportKind::Gguf: ggufs.add(path, read_gguf_header(path)); break;
      case ImportKind::Unknown: throw UsageError(path + ": neither a GGUF file nor a Hugging Face config.json");
    }
  }
  auto r = ggufs.finish();
  if (!r.errors.empty()) throw UsageError(r.errors.front());
  entries.insert(entries.end(), r.models.begin(), r.models.end());
  const nlohmann::json env = {{"schema", "haloplan-models"}, {"version", kCatalogSchemaVersion}, {"models", entries}};
  const auto d = merge_models(env.dump(), c);
  for (const auto& x : d) std::cerr << "haloplan: import: " << x.text() << "\n";
  if (has_errors(d)) throw UsageError("the imported header does not make a valid catalog entry (listed above)");
  const Selection sel = select(o, c);  // the machine's backends
  std::vector<Table> out;
  for (const auto& e : entries) {
    Selection one = sel;
    one.models = {c.model(e["id"].get<std::string>())};
    one.quants = {e.contains("gguf") ? *ftype_from_name(e["gguf"]["quant"].get<std::string>())
                                     : (o.quants.empty() ? FType::Q4_K_M : parse_quant(o.quants.front()))};
    out.push_back(fit_table(c, s, one));
    out.push_back(speed_table(c, s, one));
  }
  if (o.format == Format::Json) {
    nlohmann::json j = {{"catalog", env}, {"tables", nlohmann::json::array()}};
    for (const auto& t : out) j["tables"].push_back(table_json(t));
    print(j.dump(1) + "\n");
    return;
  }
  print("### Catalog entry (save as a file and pass it with --catalog)\n\n" + env.dump(2) + "\n\n");
  print_tables(out, o.format);
}

// Fits the user's llama-bench output; prints each row before and after, and the --cal value.
void calibrate_command(const Options& o, const Catalog& c, const Scenario& s) {
  const std::string& path = o.positional.front();
  std::string text;
  if (path == "-") {
    std::ostringstream ss;
    ss << std::cin.rdbuf();
    text = ss.str();
  } else {
    std::ifstream f(path, std::ios::binary);
    if (!f) throw UsageError("cannot read llama-bench output '" + path + "'");
    std::ostringstream ss;
    ss << f.rdbuf();
    text = ss.str();
  }
  const Backend* b = nullptr;
  if (!o.backend.empty() && !(b = c.backend(o.backend))) throw UsageError("unknown backend '" + o.backend + "'");
  const CatalogModel* fallback = nullptr;
  if (!o.models.empty() && !(fallback = c.model(o.models.front())))
    throw UsageError("unknown model '" + o.models.front() + "'");
  const auto r = calibrate_from_bench(c, *s.machine, b, text, fallback);
  print_tables({calibration_table(r, c)}, o.format);
  if (!r.cal) throw UsageError(path + ": " + r.error);
}

// The page's first screen: the ranked choices and the focused model's answer.
void best_command(const Options& o, const Catalog& c) {
  ViewState s = o.state;
  if (!o.backend.empty()) s.backend = o.backend;
  if (!o.models.empty()) s.model = o.models.front();
  if (!o.quants.empty()) {
    s.quants.clear();
    for (const auto& q : o.quants) s.quants.push_back(ftype_from_name(q) ? q : resolve_file(q, c));
    s.quant = s.quants.front();
  }
  std::vector<Notice> notices;
  validate_state(s, c, notices);
  for (const auto& n : notices) std::cerr << "haloplan: warning: " << n.message << "\n";
  const Answer a = answer_for(s, c);
  if (o.format == Format::Json) {
    JsonOut j;
    write_answer(j, s, a);
    print(j.take() + "\n");
    return;
  }
  std::vector<Table> tables = {answer_table(a, s, c)};
  if (!s.compare.empty()) {
    Comparison cmp = compare_setups(s, c);
    tables.push_back(std::move(cmp.table));
    tables.push_back(std::move(cmp.best));
  }
  print_tables(tables, o.format);
}

// haloplan doctor: the box as it is, read from its files.
void doctor_command(const Options& o, const Catalog& c) {
  std::error_code ec;
  if (!std::filesystem::is_directory(o.root, ec)) throw UsageError("--root '" + o.root + "' is not a directory");
  ViewState s = o.state;
  if (!o.backend.empty()) s.backend = o.backend;
  if (!o.models.empty()) s.model = o.models.front();
  if (!o.quants.empty()) {
    const std::string q = ftype_from_name(o.quants.front()) ? o.quants.front() : resolve_file(o.quants.front(), c);
    s.quants = {q};
    s.quant = q;
  }
  if (!o.machine_given) s.machine.clear();
  const Probe p = probe_system(RootReader(o.root));
  const DoctorReport d = doctor(p, c, s, o.machine_given ? o.state.machine : std::string());
  if (o.print_link) {
    if (d.link.empty())
      throw UsageError("no page link: " + (!d.notices.empty()   ? d.notices.front().message
                                           : p.findings.empty() ? std::string("the machine's pools could not be read")
                                                                : p.findings.back()));
    print("#" + d.link + "\n");
    return;
  }
  if (o.format == Format::Json) {
    JsonOut j;
    write_doctor(j, d);
    print(j.take() + "\n");
    return;
  }
  print_tables(doctor_tables(d), o.format);
}

// haloplan cluster: one model over several boxes joined by llama.cpp RPC.
void cluster_command(const Options& o, const Catalog& c, const Scenario& s, const Selection& sel) {
  if (sel.models.size() != 1 || o.models.size() != 1) throw UsageError("cluster needs exactly one --model");
  const CatalogModel& model = *sel.models.front();
  if (o.quants.size() > 1) throw UsageError("cluster needs one --quant");
  FType quant = model.release_quant.value_or(FType::Q4_K_M);
  Scenario sc = s;
  if (!o.quants.empty()) {
    if (auto f = ftype_from_name(o.quants.front())) quant = *f;
    else if (const PublishedFile* pf = model.published(resolve_file(o.quants.front(), c)))
      quant = pf->mix, sc = with_file(sc, pf);
    else throw UsageError(model.id + " has no published file '" + o.quants.front() + "'");
  }
  std::vector<ClusterNode> nodes;
  if (o.nodes.size() == 1 && parse_whole(o.nodes.front(), 1, 99)) {
    const int64_t n = *parse_whole(o.nodes.front(), 1, 99);
    if (n < 2 || n > 4) throw UsageError("--nodes: a cluster has 2 to 4 nodes, got " + o.nodes.front());
    for (int64_t i = 0; i < n; ++i) nodes.push_back({s.machine, s.knobs});
  } else {
    if (o.nodes.size() < 2 || o.nodes.size() > 4) throw UsageError("--nodes: a cluster has 2 to 4 nodes");
    for (const auto& id : o.nodes) {
      const Machine* m = c.machine(id);
      if (!m) throw UsageError("--nodes: unknown machine '" + id + "'");
      nodes.push_back({m, m == s.machine ? s.knobs : Knobs{}});
    }
  }
  ClusterRequest r{&model, quant, sc, nodes, sel.speed_backend(), link_kind(o.link), o.ts};
  if (!r.link) throw UsageError("--link: unknown link '" + o.link + "'; known: " + link_kind_ids());
  if (const std::string why = cluster_problem(c, r); !why.empty()) throw UsageError(why);
  const ClusterPlan cp = plan_cluster_request(c, r);
  if (o.format == Format::Json) {
    JsonOut j;
    write_cluster(j, r, cp);
    print(j.take() + "\n");
    return;
  }
  print_tables({cluster_table(r, cp)}, o.format);
  if (o.format == Format::Markdown && !cp.commands.empty()) {
    print("\n```sh\n");
    for (const auto& cmd : cp.commands) print(cmd + "\n");
    print("```\n");
  }
}

// haloplan plan --model A [its flags] --model B [its flags] ...: the set resident together.
void set_command(const Options& o, const Catalog& c) {
  if (o.format == Format::Svg) throw UsageError("a resident set prints tables and launch files; use markdown or json");
  std::vector<ViewState> members;
  for (const auto& m : o.members) {
    ViewState s = o.state;
    s.model = m.model;
    if (!o.quants.empty()) s.quant = o.quants.front();
    else if (const CatalogModel* cm = c.model(m.model); cm && cm->release_quant)
      s.quant = preset(*cm->release_quant).name;
    for (const auto& [key, v] : m.fields) {
      if (key == "quant") {
        s.quant = ftype_from_name(v) ? v : resolve_file(v, c);
      } else if (key == "kvtype") {
        set_state_field(s, "ktype", v);
        set_state_field(s, "vtype", v);
      } else {
        set_state_field(s, key, v);
      }
    }
    s.quants = {s.quant};
    if (!o.backend.empty()) s.backend = o.backend;
    std::vector<Notice> notices;
    validate_state(s, c, notices);
    if (!notices.empty()) throw UsageError(m.model + ": " + notices.front().what_is_wrong());
    if (const CatalogModel* cm = c.model(s.model); cm && !cm->published(s.quant) && !ftype_from_name(s.quant))
      throw UsageError(m.model + ": no quant or published file '" + s.quant + "'");
    members.push_back(std::move(s));
  }
  const ResidentSet set = plan_set(c, members);
  const auto changes = set_changes(c, set);
  if (o.format == Format::Json) {
    JsonOut j;
    write_set(j, set, changes);
    print(j.take() + "\n");
    return;
  }
  print_tables(set_tables(set, changes), o.format);
  if (o.format != Format::Markdown) return;
  if (const std::string launch = set_launch_script(set); !launch.empty())
    print("\n### One llama-server per model\n\n```sh\n" + launch +
          "```\n\n### llama-swap, all resident together\n\n```yaml\n" + set_llama_swap_config(set) + "```\n");
}

}  // namespace

int main(int argc, char** argv) {
  try {
    Options o = parse_options(argc, argv);
    if (o.command == "help") {
      print(usage());
      return 0;
    }
    for (const auto& n : o.link_notices) std::cerr << "haloplan: warning: link: " << n << "\n";
    Catalog c;
    load_catalog(o, c);
    // `setup --gtt N` asks for the kernel parameters of a GTT limit; one beyond what the default
    // carve-out leaves the OS is GTT-first's, so it is read with the smallest carve-out.
    if (o.command == "setup" && o.state.gtt_gib && !o.state.carve_out_gib)
      if (const Machine* m = o.state.machine.empty() ? &c.machines.front() : c.machine(o.state.machine);
          m && m->kind == MemoryKind::AmdApu && !m->carve_out_options_gib.empty() &&
          *o.state.gtt_gib > m->ram_gib - m->default_carve_out_gib)
        o.state.carve_out_gib = *std::min_element(m->carve_out_options_gib.begin(), m->carve_out_options_gib.end());
    const Scenario s = make_scenario(o, c);
    const Selection sel = select(o, c);
    if (o.command == "models" || o.command == "machines" || o.command == "backends" || o.command == "builds") {
      print_tables({list_table(o.command, c)}, o.format);
    } else if (o.command == "cluster") {
      cluster_command(o, c, s, sel);
    } else if (o.command == "doctor") {
      doctor_command(o, c);
    } else if (o.command == "best") {
      best_command(o, c);
    } else if (o.command == "fit") {
      print_tables({fit_table(c, s, sel)}, o.format);
    } else if (o.command == "speed") {
      print_tables({speed_table(c, s, sel), ceiling_table(*s.machine)}, o.format);
    } else if (o.command == "setup") {
      print_tables(setup_tables(c, s, o.state.gtt_gib), o.format);
    } else if (o.command == "guide") {
      Guide guide;
      const auto d = load_guide(embedded::guide_json(), c, guide);
      if (has_errors(d)) throw UsageError("data/guide.json: " + d.front().text());
      print_tables(guide_tables(c, s, sel, guide), o.format);
    } else if (o.command == "import") {
      import_command(o, c, s);
    } else if (o.command == "calibrate") {
      calibrate_command(o, c, s);
    } else if (o.command == "plan" && o.members.size() > 1) {
      set_command(o, c);
    } else if (o.command == "plan") {
      if (sel.models.size() != 1) throw UsageError("plan needs exactly one --model");
      if (sel.quants.size() + sel.files.size() > 1) throw UsageError("plan needs exactly one --quant");
      const auto cells = selection_cells(sel);
      // The chosen preset or file (a release-format row comes after it).
      const auto p = cell_plan(c, cells.front(), s);
      if (o.format == Format::Json) {
        print(plan_json(c, s, p, sel) + "\n");
      } else {
        auto tables = plan_tables(c, s, p, sel);
        // What stands behind the speed backend's figures: the formula's terms and the nearest rows.
        if (const Backend* sb = sel.speed_backend())
          if (const BackendPlan* bp = p.find(sb->id))
            for (auto& t : evidence_tables(speed_evidence(c, p, *bp, s), *sb)) tables.push_back(std::move(t));
        print_tables(tables, o.format);
      }
    }
    return 0;
  } catch (const UsageError& e) {
    std::cerr << "haloplan: error: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "haloplan: internal error: " << e.what() << "\n";
    return 1;
  }
}
