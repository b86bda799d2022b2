#include "haloplan/view/resident.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "haloplan/planner/setup.h"
#include "haloplan/text/strings.h"
#include "haloplan/view/exports.h"
#include "haloplan/view/scenario.h"

namespace haloplan {

namespace {

// A member's model at its quant: a preset, or one of its published files.
Cell cell_for(const ViewState& s, const Catalog& c) {
  const CatalogModel* m = c.model(s.model);
  if (!m) return {};
  if (auto f = ftype_from_name(s.quant)) return Cell{m, *f, nullptr};
  if (const PublishedFile* f = m->published(s.quant)) return Cell{m, f->mix, f};
  return Cell{m, m->release_quant.value_or(FType::Q4_K_M), nullptr};
}

double weights_of(const Cell& cell) {
  return cell.file ? double(cell.file->weights_bytes) : double(model_weights(*cell.model, cell.quant).total_bytes);
}

std::string member_name(const ResidentSet& s, size_t i) {
  return s.cells[i].model ? s.cells[i].model->name : s.members[i].model;
}

}  // namespace

ResidentSet plan_set(const Catalog& c, std::vector<ViewState> members) {
  ResidentSet r;
  if (members.empty()) return r;
  const ViewState first = members.front();
  for (auto& m : members) {
    m.machine = first.machine;
    m.carve_out_gib = first.carve_out_gib;
    m.gtt_gib = first.gtt_gib;
    m.os_reserve_gib = first.os_reserve_gib;
    m.kernel = first.kernel;
    m.backend = first.backend;
    m.builds = first.builds;
    m.cal = first.cal;
  }
  r.members = members;
  r.backend = c.backend(first.backend);
  double gpu = 0, host = 0;
  bool refused = false;
  for (const auto& m : members) {
    r.cells.push_back(cell_for(m, c));
    r.scenarios.push_back(scenario_for(m, c));
    if (!r.cells.back().model || !r.scenarios.back().machine) return r;
    r.plans.push_back(cell_plan(c, r.cells.back(), r.scenarios.back()));
    const BackendPlan* bp = r.backend ? r.plans.back().find(r.backend->id) : nullptr;
    r.gpu_bytes.push_back(bp ? bp->placement.gpu_bytes : 0.0);
    r.host_bytes.push_back(bp ? bp->placement.host_bytes : 0.0);
    gpu += r.gpu_bytes.back();
    host += r.host_bytes.back();
    refused |= !r.plans.back().error.empty();
  }
  if (!r.backend) return r;
  const Scenario& sc = r.scenarios.front();
  r.pools = machine_pools(*sc.machine, sc.knobs);
  r.placement = place(r.pools, backend_reaches_gtt(*r.backend, sc.knobs), gpu, host);
  if (refused) r.placement.verdict = Verdict::Refused;
  return r;
}

std::vector<SetChange> set_changes(const Catalog& c, const ResidentSet& s) {
  std::vector<SetChange> out;
  if (s.fits() || s.plans.size() != s.members.size() || s.placement.verdict == Verdict::Refused) return out;
  std::vector<size_t> order(s.members.size());
  std::iota(order.begin(), order.end(), size_t(0));
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return s.gpu_bytes[a] > s.gpu_bytes[b]; });
  auto keep = [&](size_t i, const char* kind, std::string label, std::vector<ViewState> members) {
    const ResidentSet t = plan_set(c, members);
    if (!t.fits()) return false;
    out.push_back({i, kind, std::move(label), std::move(members), t.placement.verdict, t.placement.headroom});
    return true;
  };
  // GTT-first: the smallest carve-out and a GTT limit that leaves the OS its reserve, for all.
  const Scenario& sc = s.scenarios.front();
  for (const auto& col : setup_strategies(c, *sc.machine, sc.knobs)) {
    if (col.strategy->id != "gtt-first" || !col.knobs.carve_out_gib || !col.knobs.gtt_gib) continue;
    if (std::abs(*col.knobs.carve_out_gib * kGiB - s.pools.carve_out) < 0.5 &&
        std::abs(col.gtt_gib * kGiB - s.pools.gtt) < 0.5)
      continue;  // already so
    std::vector<ViewState> m = s.members;
    m.front().carve_out_gib = col.knobs.carve_out_gib;
    m.front().gtt_gib = col.knobs.gtt_gib;
    keep(s.members.size(), "gtt-first",
         "go GTT-first: carve-out " + gib_amount(*col.knobs.carve_out_gib) + " GiB, GTT limit " +
             gib_amount(*col.knobs.gtt_gib) + " GiB (" + col.kernel.cmdline + ", then reboot)",
         m);
  }
  for (size_t i : order) {
    const std::string name = member_name(s, i);
    // The longest context (a multiple of 256) at which the set fits, the others as they are.
    auto with_ctx = [&](int64_t n) {
      std::vector<ViewState> m = s.members;
      m[i].ctx = n;
      return m;
    };
    int64_t lo = 0, hi = s.members[i].ctx / 256;
    while (hi - lo > 1) {  // invariant: the set fits at lo (or lo is 0), not at hi
      const int64_t mid = lo + (hi - lo) / 2;
      (plan_set(c, with_ctx(mid * 256)).fits() ? lo : hi) = mid;
    }
    if (lo > 0)
      keep(i, "ctx", "shorten " + name + "'s context to " + std::to_string(lo * 256) + " tokens", with_ctx(lo * 256));
    // The most precise smaller preset at which the set fits.
    const double now = weights_of(s.cells[i]);
    for (FType q : quant_ladder()) {
      const Cell cell{s.cells[i].model, q, nullptr};
      if (weights_of(cell) >= now) continue;
      std::vector<ViewState> m = s.members;
      m[i].quant = preset(q).name;
      if (keep(i, "quant", "use " + std::string(preset(q).name) + " for " + name, m)) break;
    }
    if (s.members.size() > 1) {
      std::vector<ViewState> m = s.members;
      m.erase(m.begin() + std::ptrdiff_t(i));
      keep(i, "drop", "leave " + name + " out", m);
    }
  }
  return out;
}

std::vector<Table> set_tables(const ResidentSet& s, const std::vector<SetChange>& changes) {
  std::vector<Table> out;
  if (!s.backend || s.plans.size() != s.members.size()) return out;
  const MemoryKind kind = s.scenarios.front().machine->kind;
  Table t;
  t.title = "Resident together — " + s.scenarios.front().machine->name + ", " + s.backend->name;
  t.headers = {"model",
               "quant",
               "context",
               "slots",
               "K/V",
               "GPU side GiB",
               "host GiB",
               "alone",
               "decode t/s (est.)",
               "prefill t/s (est.)"};
  for (size_t i = 0; i < s.members.size(); ++i) {
    const ViewState& m = s.members[i];
    const BackendPlan* bp = s.plans[i].find(s.backend->id);
    t.rows.push_back({member_name(s, i), s.cells[i].label(), std::to_string(m.ctx), std::to_string(m.slots),
                      m.type_k + "/" + m.type_v, gib(s.gpu_bytes[i]), gib(s.host_bytes[i], 2),
                      bp ? verdict_label(bp->placement.verdict, kind) : "-", bp ? tps(bp->decode_tps_ctx) : "-",
                      bp ? tps(bp->prefill_tps) : "-"});
  }
  const double gpu = std::accumulate(s.gpu_bytes.begin(), s.gpu_bytes.end(), 0.0);
  const double host = std::accumulate(s.host_bytes.begin(), s.host_bytes.end(), 0.0);
  t.rows.push_back({"all " + std::to_string(s.members.size()) + " together", "", "", "", "", gib(gpu), gib(host, 2),
                    verdict_label(s.placement.verdict, kind), "", ""});
  const PoolWords& w = pool_words(kind);
  t.notes.push_back(std::string("Together: ") + verdict_label(s.placement.verdict, kind) + ", " +
                    (s.placement.headroom >= 0 ? gib(s.placement.headroom) + " GiB to spare"
                                               : gib(-s.placement.headroom) + " GiB short") +
                    " of the " + gib(s.placement.gpu_limit) + " GiB " + w.gpu_limit +
                    " this backend reaches; the OS keeps " + gib(s.pools.os_reserve, 0) +
                    " GiB (OS free with all loaded: " + gib(s.placement.os_free) + " GiB).");
  t.notes.push_back(
      "Each model is its own llama-server: its weights, cache, compute buffer and runtime overhead count once each. "
      "Speeds are each model's alone, with the context full; two decoding at once share the memory bandwidth.");
  out.push_back(std::move(t));
  if (!changes.empty()) {
    Table ch;
    ch.title = "What would make the set fit";
    ch.headers = {"change", "then"};
    for (const auto& x : changes)
      ch.rows.push_back(
          {x.label, std::string(verdict_label(x.verdict, kind)) + ", " + gib(x.headroom) + " GiB to spare"});
    ch.notes.push_back("Largest member first; each change alone, the others as they are, planned.");
    out.push_back(std::move(ch));
  }
  return out;
}

std::string set_launch_script(const ResidentSet& s) {
  if (!s.backend || s.backend->id.rfind("llamacpp-", 0) != 0 || s.plans.size() != s.members.size()) return "";
  std::string out;
  for (size_t i = 0; i < s.members.size(); ++i) {
    const auto cmd = launch_command(s.plans[i], s.scenarios[i], *s.backend);
    if (!cmd) return "";
    out += *cmd + " --port " + std::to_string(8080 + i) + " &\n";
  }
  return out + "wait\n";
}

std::string set_llama_swap_config(const ResidentSet& s) {
  if (set_launch_script(s).empty()) return "";
  std::vector<std::string> names;
  for (size_t i = 0; i < s.members.size(); ++i) {
    std::string n = s.cells[i].model->id;
    if (std::find(names.begin(), names.end(), n) != names.end()) n += "-" + std::to_string(i + 1);
    names.push_back(n);
  }
  std::string y = "# haloplan: " + std::to_string(names.size()) + " models resident together on " +
                  s.scenarios.front().machine->name + " (" + s.backend->name + ")\nmodels:\n";
  for (size_t i = 0; i < names.size(); ++i)
    y += "  \"" + names[i] + "\":\n    cmd: " + *launch_command(s.plans[i], s.scenarios[i], *s.backend) +
         " --port ${PORT}\n";
  y += "matrix:\n  vars:\n";
  std::string set;
  for (size_t i = 0; i < names.size(); ++i) {
    y += "    m" + std::to_string(i + 1) + ": \"" + names[i] + "\"\n";
    set += (i ? " & m" : "m") + std::to_string(i + 1);
  }
  y += "  sets:\n    resident: \"" + set + "\"\nhooks:\n  on_startup:\n    preload:\n";
  for (const auto& n : names) y += "      - \"" + n + "\"\n";
  return y;
}

void write_set(JsonOut& o, const ResidentSet& s, const std::vector<SetChange>& changes) {
  const MemoryKind kind = s.scenarios.empty() ? MemoryKind::AmdApu : s.scenarios.front().machine->kind;
  o.obj().field("backend", s.backend ? s.backend->id : "").field("verdict", verdict_id(s.placement.verdict));
  o.field("verdict_label", verdict_label(s.placement.verdict, kind));
  o.field("gpu_bytes", s.placement.gpu_bytes).field("host_bytes", s.placement.host_bytes);
  o.field("headroom", s.placement.headroom).field("gpu_limit", s.placement.gpu_limit);
  o.field("os_free", s.placement.os_free).key("members").arr();
  for (size_t i = 0; i < s.plans.size(); ++i) {
    const ViewState& m = s.members[i];
    const BackendPlan* bp = s.backend ? s.plans[i].find(s.backend->id) : nullptr;
    o.obj().field("model", m.model).field("quant", s.cells[i].key()).field("ctx", double(m.ctx));
    o.field("slots", double(m.slots)).field("ktype", m.type_k).field("vtype", m.type_v);
    o.field("gpu_bytes", s.gpu_bytes[i]).field("host_bytes", s.host_bytes[i]);
    o.field("verdict_alone", bp ? verdict_id(bp->placement.verdict) : "");
    o.field("decode_tps", bp ? bp->decode_tps_ctx : 0.0).field("prefill_tps", bp ? bp->prefill_tps : 0.0);
    const auto cmd = s.backend ? launch_command(s.plans[i], s.scenarios[i], *s.backend) : std::nullopt;
    o.field("command", cmd ? *cmd + " --port " + std::to_string(8080 + i) : std::string()).end_obj();
  }
  o.end_arr().key("changes").arr();
  for (const auto& x : changes) {
    o.obj().field("member", double(x.member)).field("kind", x.kind).field("label", x.label);
    o.field("verdict", verdict_id(x.verdict)).field("headroom", x.headroom);
    // The page's state with the change applied: the first member is the focused model, the rest
    // its set.
    const ViewState& f = x.members.front();
    o.key("patch").obj().field("model", f.model).field("quant", f.quant).field("ctx", double(f.ctx));
    o.key("carve");
    if (f.carve_out_gib) o.num(*f.carve_out_gib);
    else o.null();
    o.key("gtt");
    if (f.gtt_gib) o.num(*f.gtt_gib);
    else o.null();
    o.key("set").arr();
    for (size_t i = 1; i < x.members.size(); ++i)
      o.str(x.members[i].model + "@" + x.members[i].quant + "@" + std::to_string(x.members[i].ctx));
    o.end_arr().end_obj().end_obj();
  }
  o.end_arr().field("launch", set_launch_script(s)).field("llama_swap", set_llama_swap_config(s)).end_obj();
}

}  // namespace haloplan
