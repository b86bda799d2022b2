#include "haloplan/view/compare.h"

#include <algorithm>

#include "haloplan/planner/setup.h"
#include "haloplan/text/strings.h"
#include "haloplan/view/answer.h"
#include "haloplan/view/scenario.h"

namespace haloplan {

namespace {

// One setup's column: its knobs, then the focused model's answer under it (a: the state's answer).
std::vector<std::string> column(const ViewState& s, const Catalog& c, const Answer& a) {
  const Machine* m = c.machine(s.machine);
  const Backend* b = c.backend(s.backend);
  if (!m || !b) return {};
  const Scenario sc = scenario_for(s, c);
  const Pools p = machine_pools(*m, sc.knobs);
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
      verdict_label(f.verdict, m->kind),
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

// One ranked choice as a compare cell: model and file, then what it needs and how fast it reads.
std::string choice_cell(const Choice& ch, MemoryKind kind) {
  const Verdict v = ch.change ? ch.change->verdict : ch.verdict;
  return ch.cell.model->name + " " + ch.cell.label() + " — " + verdict_label(v, kind) +
         (ch.change ? " (" + ch.change->label + ")" : "");
}

// The best choices under A and B (a and x: their answers), rank by rank; `fresh` gets the ranks
// whose B choice is a model A does not list.
Table best_table(const Answer& a, const Answer& x, std::vector<size_t>& fresh) {
  Table t;
  t.title = "Best choices under A and B";
  t.headers = {"#", "A: model and file", "A decode t/s (est.)", "B: model and file", "B decode t/s (est.)"};
  const size_t n = std::max(a.best.size(), x.best.size());
  for (size_t i = 0; i < n; ++i) {
    std::vector<std::string> row = {std::to_string(i + 1), "—", "—", "—", "—"};
    if (i < a.best.size()) row[1] = choice_cell(a.best[i], a.kind), row[2] = tps(a.best[i].decode_tps);
    if (i < x.best.size()) {
      row[3] = choice_cell(x.best[i], x.kind), row[4] = tps(x.best[i].decode_tps);
      const auto& id = x.best[i].cell.model->id;
      if (std::none_of(a.best.begin(), a.best.end(), [&](const Choice& y) { return y.cell.model->id == id; }))
        fresh.push_back(i);
    }
    t.rows.push_back(std::move(row));
  }
  t.notes.push_back(
      "Each list ranked as in What fits, with decode at the context full; marked: B's choice is a "
      "model A does not list.");
  return t;
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
  const Answer ans_a = answer_for(s, c, kCompareBest), ans_b = answer_for(cmp.b, c, kCompareBest);
  const auto a = column(s, c, ans_a), b = column(cmp.b, c, ans_b);
  for (size_t i = 0; i < std::size(kRows); ++i) {
    const std::string x = i < a.size() ? a[i] : "—", y = i < b.size() ? b[i] : "—";
    t.rows.push_back({kRows[i], x, y});
    if (x != y) cmp.differ.push_back(i);
  }
  t.notes.push_back("B is this view with: " + s.compare + ". Speeds are estimates with their 80% band.");
  for (const auto& n : cmp.notices) t.notes.push_back("B: " + n.message);
  cmp.best = best_table(ans_a, ans_b, cmp.best_new);
  return cmp;
}

void write_comparison(JsonOut& o, const Comparison& cmp) {
  o.obj().key("table");
  write_table(o, cmp.table);
  o.key("differ").arr();
  for (size_t i : cmp.differ) o.num(double(i));
  o.end_arr().key("best");
  write_table(o, cmp.best);
  o.key("best_new").arr();
  for (size_t i : cmp.best_new) o.num(double(i));
  ViewState b = cmp.b;
  b.custom = nlohmann::json::array();
  o.end_arr().key("b").raw(state_to_json(b).dump()).key("notices").arr();
  for (const auto& n : cmp.notices) o.str(n.message);
  o.end_arr().end_obj();
}

}  // namespace haloplan
