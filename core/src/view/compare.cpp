#include "haloplan/view/compare.h"

#include "haloplan/planner/setup.h"
#include "haloplan/text/strings.h"
#include "haloplan/view/answer.h"
#include "haloplan/view/scenario.h"

namespace haloplan {

namespace {

// One setup's column: its knobs, then the focused model's answer under it.
std::vector<std::string> column(const ViewState& s, const Catalog& c) {
  const Machine* m = c.machine(s.machine);
  const Backend* b = c.backend(s.backend);
  if (!m || !b) return {};
  const Scenario sc = scenario_for(s, c);
  const Pools p = machine_pools(*m, sc.knobs);
  const Answer a = answer_for(s, c, 0);
  const Choice& f = a.focus;
  std::vector<std::string> col = {
      m->name,
      m->kind == MemoryKind::AmdApu ? gib(p.carve_out) : "none",
      m->kind == MemoryKind::AmdApu ? gib(p.gtt) + (p.gtt_default ? " (kernel default)" : "") : "—",
      gib(p.os_reserve),
      b->name + (b->speed_family.empty() ? "" : " · " + b->speed_family),
      std::to_string(s.ctx) + " tokens, " + s.type_k + "/" + s.type_v + ", " + std::to_string(s.slots) +
          (s.slots == 1 ? " slot" : " slots") + ", FA " + (s.flash_attn ? "on" : "off"),
      f.cell.model ? f.cell.model->name + " " + f.cell.label() : "—",
      verdict_label(f.verdict),
      gib(f.gpu_bytes),
      f.error.empty() ? signed_gib(f.headroom) : "—",
      tps(f.decode_tps) + " (" + tps(f.decode_lo) + "–" + tps(f.decode_hi) + ")",
      tps(f.prefill_tps) + " (" + tps(f.prefill_lo) + "–" + tps(f.prefill_hi) + ")",
      a.max_context > 0 ? std::to_string(a.max_context) + " tokens" : "none",
  };
  if (m->kind == MemoryKind::AmdApu)
    col.push_back(p.gtt_default ? "none (kernel default)" : kernel_params(p.gtt / kGiB).cmdline);
  else col.push_back("—");
  return col;
}

}  // namespace

Comparison compare_setups(const ViewState& s, const Catalog& c) {
  Comparison cmp;
  std::string err;
  cmp.b = compared_state(s, err);
  validate_state(cmp.b, c, cmp.notices);
  Table& t = cmp.table;
  const CatalogModel* fm = c.model(s.model);
  t.title = "Two setups for " + (fm ? fm->name : s.model);
  t.headers = {"", "A: this view", "B: compared"};
  static const char* kRows[] = {"machine",
                                "BIOS carve-out GiB",
                                "GTT limit GiB",
                                "OS reserve GiB",
                                "backend, build",
                                "context and cache",
                                "model and file",
                                "verdict",
                                "GPU side GiB",
                                "headroom GiB",
                                "decode t/s (est.)",
                                "prefill t/s (est.)",
                                "longest context that fits",
                                "kernel parameter"};
  const auto a = column(s, c), b = column(cmp.b, c);
  for (size_t i = 0; i < std::size(kRows); ++i) {
    const std::string x = i < a.size() ? a[i] : "—", y = i < b.size() ? b[i] : "—";
    t.rows.push_back({kRows[i], x, y});
    if (x != y) cmp.differ.push_back(i);
  }
  t.notes.push_back("B is this view with: " + s.compare + ". Speeds are estimates with their 80% band.");
  for (const auto& n : cmp.notices) t.notes.push_back("B: " + n.message);
  return cmp;
}

void write_comparison(JsonOut& o, const Comparison& cmp) {
  o.obj().key("table");
  write_table(o, cmp.table);
  o.key("differ").arr();
  for (size_t i : cmp.differ) o.num(double(i));
  ViewState b = cmp.b;
  b.custom = nlohmann::json::array();
  o.end_arr().key("b").raw(state_to_json(b).dump()).key("notices").arr();
  for (const auto& n : cmp.notices) o.str(n.message);
  o.end_arr().end_obj();
}

}  // namespace haloplan
