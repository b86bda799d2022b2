#include "haloplan/view/answer.h"

#include <algorithm>
#include <cmath>

#include "haloplan/planner/setup.h"
#include "haloplan/text/strings.h"
#include "haloplan/view/cluster.h"
#include "haloplan/view/scenario.h"

namespace haloplan {

namespace {

bool fits(Verdict v) { return v == Verdict::CarveOut || v == Verdict::Gtt; }

// The state without its custom models, which the catalog holds already: the changes tried are
// copies of it, and a page's catalog of thousands of models must not be copied with each.
ViewState without_custom(const ViewState& s) {
  ViewState t = s;
  t.custom = nlohmann::json::array();
  return t;
}

// The state's quant of its focused model as a row of the tables.
std::optional<Cell> focus_cell(const ViewState& s, const Catalog& c) {
  const CatalogModel* m = c.model(s.model);
  if (!m) return std::nullopt;
  if (auto f = ftype_from_name(s.quant)) return Cell{m, *f, nullptr};
  if (const PublishedFile* f = m->published(s.quant)) return Cell{m, f->mix, f};
  return Cell{m, FType::Q4_K_M, nullptr};
}

Choice choice_of(const Catalog& c, const Scenario& sc, const Cell& cell, const std::string& backend) {
  Choice ch;
  ch.cell = cell;
  const Plan p = cell_plan(c, cell, sc);
  ch.params = cell.model->published_total_b > 0 ? cell.model->published_total_b * 1e9 : double(p.weights.total_params);
  ch.error = p.error;
  const BackendPlan* bp = p.find(backend);
  if (!bp) return ch;
  ch.verdict = bp->placement.verdict;
  ch.headroom = bp->placement.headroom;
  ch.gpu_bytes = bp->placement.gpu_bytes;
  ch.decode_tps = bp->decode_tps_ctx;
  ch.decode_lo = bp->decode_tps_ctx * bp->decode_lo;
  ch.decode_hi = bp->decode_tps_ctx * bp->decode_hi;
  ch.prefill_tps = bp->prefill_tps;
  ch.prefill_lo = bp->prefill_tps * bp->prefill_lo;
  ch.prefill_hi = bp->prefill_tps * bp->prefill_hi;
  ch.unmeasured = bp->unmeasured;
  ch.calibrated = bp->backend->speed_calibrated;
  return ch;
}

// The weights a choice loads: a larger file of the same model is the more precise one.
double weights_of(const Cell& cell) {
  if (cell.file) return double(cell.file->weights_bytes);
  return double(model_weights(*cell.model, cell.quant).total_bytes);
}

// The change planned: kept when the choice fits with it (or, for a refusal, starts with it).
// A setup change (kind gtt, carve, gtt-first) touches the memory knobs only, so only they are
// checked: the rest of the state was validated already (and a full check looks up the catalog).
std::optional<Change> checked(const Catalog& c, ViewState s2, const Cell& cell, const std::string& kind,
                              std::string label, std::string detail, bool refusal = false) {
  std::vector<Notice> notices;
  const bool setup_only = kind == "gtt" || kind == "carve" || kind == "gtt-first";
  if (const Machine* m = setup_only ? c.machine(s2.machine) : nullptr) validate_memory_knobs(s2, *m, notices);
  else validate_state(s2, c, notices);
  if (!notices.empty()) return std::nullopt;  // the change is not a state the page can hold
  const Choice ch = choice_of(c, scenario_for(s2, c), cell, s2.backend);
  if (refusal ? !ch.error.empty() : !fits(ch.verdict)) return std::nullopt;
  return Change{kind, std::move(label), std::move(detail), std::move(s2), ch.verdict, ch.headroom};
}

std::string kernel_detail(double gib) {
  return kernel_params(gib).cmdline + " on the kernel command line, then reboot";
}

// What the machine's setup (GTT limit, BIOS carve-out, or both: GTT-first) would have to be for
// the choice to fit, with the rest of the state kept.
std::optional<Change> setup_change(const ViewState& s, const Catalog& c, const Cell& cell, const Backend& b) {
  const Scenario sc = with_file(scenario_for(s, c), cell.file);
  if (!sc.machine || sc.machine->kind != MemoryKind::AmdApu) return std::nullopt;
  const Pools now = machine_pools(*sc.machine, sc.knobs);
  if (auto g = min_gtt_gib(c, *cell.model, cell.quant, sc, b); g && *g * kGiB > now.gtt + 0.5) {
    ViewState s2 = s;
    s2.gtt_gib = *g;
    if (auto ch = checked(c, s2, cell, "gtt", "raise the GTT limit to " + gib_amount(*g) + " GiB", kernel_detail(*g)))
      return ch;
  }
  if (auto o = min_carve_out_gib(c, *cell.model, cell.quant, sc, b); o && std::abs(*o * kGiB - now.carve_out) > 0.5) {
    ViewState s2 = s;
    s2.carve_out_gib = *o;
    if (auto ch = checked(c, s2, cell, "carve", "set the BIOS carve-out to " + gib_amount(*o) + " GiB",
                          "in the BIOS (UMA frame buffer size), then reboot"))
      return ch;
  }
  // GTT-first: the smallest carve-out hands the rest to the OS, and the GTT limit borrows it.
  if (!backend_reaches_gtt(b, sc.knobs) || sc.machine->carve_out_options_gib.empty()) return std::nullopt;
  const double smallest =
      *std::min_element(sc.machine->carve_out_options_gib.begin(), sc.machine->carve_out_options_gib.end());
  Scenario first = sc;
  first.knobs.carve_out_gib = smallest;
  first.knobs.gtt_gib.reset();
  const auto g = min_gtt_gib(c, *cell.model, cell.quant, first, b);
  if (!g) return std::nullopt;
  ViewState s2 = s;
  s2.carve_out_gib = smallest;
  s2.gtt_gib = *g;
  return checked(c, s2, cell, "gtt-first",
                 "go GTT-first: carve-out " + gib_amount(smallest) + " GiB, GTT limit " + gib_amount(*g) + " GiB",
                 "the smallest carve-out in the BIOS, and " + kernel_detail(*g));
}

// Every file of the model worth ranking: the state's quants it has, its release format and its
// published files.
std::vector<Cell> model_cells(const CatalogModel& m, const ViewState& s) {
  std::vector<Cell> cells;
  auto add = [&](Cell x) {
    if (std::none_of(cells.begin(), cells.end(), [&](const Cell& y) { return y.key() == x.key(); })) cells.push_back(x);
  };
  for (const auto& q : s.quants) {
    if (auto f = ftype_from_name(q)) add({&m, *f, nullptr});
    else if (const PublishedFile* f = m.published(q)) add({&m, f->mix, f});
  }
  if (m.release_quant) add({&m, *m.release_quant, nullptr});
  for (const auto& f : m.files) add({&m, f.mix, &f});
  return cells;
}

// A model's best choice: its release format when that fits and decodes at reading speed, else
// the most precise file that does, else the fastest that fits; nullopt if none fits at all.
std::optional<Choice> best_of(const CatalogModel& m, const ViewState& s, const Catalog& c, const Scenario& sc,
                              const Backend& b) {
  std::vector<Choice> ok;
  for (const Cell& cell : model_cells(m, s)) {
    Choice ch = choice_of(c, sc, cell, b.id);
    if (!ch.error.empty()) continue;
    if (!ch.fits()) ch.change = setup_change(s, c, cell, b);
    if (ch.fits() || ch.change) ok.push_back(std::move(ch));
  }
  if (ok.empty()) return std::nullopt;
  for (const auto& ch : ok)
    if (m.release_quant && !ch.cell.file && ch.cell.quant == *m.release_quant && ch.usable()) return ch;
  std::stable_sort(ok.begin(), ok.end(), [](const Choice& x, const Choice& y) {
    if (x.usable() != y.usable()) return x.usable();
    if (x.usable()) return weights_of(x.cell) > weights_of(y.cell);
    return x.decode_tps > y.decode_tps;
  });
  return ok.front();
}

std::string where_text(const Choice& ch, const Pools& p, MemoryKind k) {
  const PoolWords& w = pool_words(k);
  if (ch.verdict == Verdict::CarveOut) return "the " + gib(p.carve_out, 0) + " GiB " + w.dedicated;
  return std::string(*w.dedicated ? "" : "the ") + w.gpu_limit + " (" + gib(ch.gpu_bytes + ch.headroom, 1) + " GiB)";
}

std::string speed_text(const Choice& ch, const ViewState& s) {
  return "about " + tps(ch.decode_tps) + " t/s decode with " + std::to_string(s.ctx) + " tokens in context (" +
         tps(ch.decode_lo) + "–" + tps(ch.decode_hi) + ") and " + tps(ch.prefill_tps) + " t/s prefill, estimates";
}

std::string focus_line(const Answer& a, const ViewState& s, const Pools& p) {
  const Choice& f = a.focus;
  const std::string who = f.cell.model->name + " " + f.cell.label();
  const std::string on = a.backend->name;
  if (!f.error.empty()) {
    std::string t = who + ": llama.cpp would refuse these settings (" + f.error + ")";
    if (!a.fixes.empty()) t += "; " + a.fixes.front().label + " and it starts";
    return t + ".";
  }
  switch (f.verdict) {
    case Verdict::Gtt:
      if (a.kind == MemoryKind::Discrete)
        return who + " spills to system RAM on " + on + ": " + gib(f.gpu_bytes - p.carve_out) +
               " GiB of it runs from system RAM at that memory's speed, the rest fills the " + gib(p.carve_out, 0) +
               " GiB of VRAM; " + speed_text(f, s) + ".";
      [[fallthrough]];
    case Verdict::CarveOut:
      return who + " fits " + where_text(f, p, a.kind) + " on " + on + ": " + gib(f.gpu_bytes) +
             " GiB on the GPU side, " + gib(f.headroom) + " GiB to spare; " + speed_text(f, s) + ".";
    case Verdict::OsSqueeze:
    case Verdict::NoFit: {
      std::string t =
          who + (f.verdict == Verdict::OsSqueeze
                     ? " fits on " + on + " only by squeezing the OS below its " + gib(p.os_reserve, 0) + " GiB reserve"
                     : " does not fit on " + on + " as set up: it needs " + gib(f.gpu_bytes) +
                           " GiB on the GPU side, " + gib(-f.headroom) + " GiB more than it can reach");
      if (!a.fixes.empty()) t += ". It fits if you " + a.fixes.front().label;
      return t + ".";
    }
    case Verdict::Refused: break;
  }
  return who + ".";
}

// What would make the focused choice fit (or start), each checked by planning it.
std::vector<Change> focus_fixes(const ViewState& s, const Catalog& c, const Cell& cell, const Choice& f,
                                const Backend& b, int64_t max_ctx) {
  std::vector<Change> out;
  auto keep = [&](std::optional<Change> ch) {
    if (ch) out.push_back(std::move(*ch));
  };
  if (!f.error.empty()) {
    if (!s.flash_attn) {
      ViewState s2 = s;
      s2.flash_attn = true;
      keep(checked(c, s2, cell, "fa", "turn flash attention on", "-fa on", true));
    }
    // K and V of one type (MLA needs it), or both f16 when they are already one type.
    ViewState s2 = s;
    if (s.type_v != s.type_k) s2.type_v = s.type_k;
    else s2.type_k = s2.type_v = "f16";
    keep(checked(c, s2, cell, "vtype", "use " + s2.type_k + "/" + s2.type_v + " for the K/V cache",
                 "-ctk " + s2.type_k + " -ctv " + s2.type_v, true));
    if (!s.draft.empty()) {
      ViewState s3 = s;
      s3.draft.clear();
      keep(checked(c, s3, cell, "draft", "drop the draft model", "no -md", true));
    }
    return out;
  }
  if (fits(f.verdict)) return out;
  keep(setup_change(s, c, cell, b));
  if (max_ctx > 0 && max_ctx < s.ctx) {
    ViewState s2 = s;
    s2.ctx = max_ctx;
    keep(checked(c, s2, cell, "ctx", "shorten the context to " + std::to_string(max_ctx) + " tokens",
                 "-c " + std::to_string(max_ctx) + ", the longest that fits"));
  }
  if (s.type_k == "f16" && s.type_v == "f16") {
    ViewState s2 = s;
    s2.type_k = s2.type_v = "q8_0";
    s2.flash_attn = true;
    keep(checked(c, s2, cell, "kv", "quantise the KV cache to q8_0", "-ctk q8_0 -ctv q8_0 -fa on"));
  }
  for (int n = s.slots - 1; n >= 1; --n) {
    ViewState s2 = s;
    s2.slots = n;
    if (auto ch = checked(c, s2, cell, "slots", "serve " + std::to_string(n) + (n == 1 ? " slot" : " slots"),
                          "-np " + std::to_string(n))) {
      out.push_back(std::move(*ch));
      break;
    }
  }
  // The most precise smaller file of the same model that fits.
  std::vector<Cell> smaller;
  for (FType q : picker_quants()) smaller.push_back({cell.model, q, nullptr});
  for (const auto& pf : cell.model->files) smaller.push_back({cell.model, pf.mix, &pf});
  std::stable_sort(smaller.begin(), smaller.end(),
                   [](const Cell& x, const Cell& y) { return weights_of(x) > weights_of(y); });
  for (const Cell& q : smaller) {
    if (weights_of(q) >= weights_of(cell)) continue;
    ViewState s2 = s;
    s2.quant = q.key();
    if (std::find(s2.quants.begin(), s2.quants.end(), q.key()) == s2.quants.end()) s2.quants.push_back(q.key());
    if (auto ch = checked(c, s2, q, "quant", "use " + q.label() + " (" + gib(weights_of(q)) + " GiB of weights)",
                          q.file ? "-hf " + q.file->repo + ":" + q.file->tag : "llama-quantize … " + q.label())) {
      out.push_back(std::move(*ch));
      break;
    }
  }
  if (s.vision && cell.model->mmproj) {
    ViewState s2 = s;
    s2.vision = false;
    keep(checked(c, s2, cell, "vision", "leave the vision projector out", "--no-mmproj"));
  }
  if (!s.draft.empty()) {
    ViewState s2 = s;
    s2.draft.clear();
    keep(checked(c, s2, cell, "draft", "drop the draft model", "no -md"));
  }
  if (s.mtp) {
    ViewState s2 = s;
    s2.mtp = false;
    keep(checked(c, s2, cell, "mtp", "do without MTP self-speculation", "no --spec-type draft-mtp"));
  }
  const Machine* m = c.machine(s.machine);
  for (const Backend* other : m ? backends_for(c, *m) : std::vector<const Backend*>{}) {
    if (other == &b) continue;
    ViewState s2 = s;
    s2.backend = other->id;
    keep(checked(c, s2, cell, "backend", "use " + other->name, "the same settings on " + other->name));
  }
  // Beyond one box: the fewest boxes of this machine that hold it (llama.cpp RPC, or vLLM's tensor
  // parallel on a vLLM backend).
  if (m && f.error.empty() && !s.nodes && !fits(f.verdict)) {
    const Scenario sc = scenario_for(s, c);
    for (int n = 2; n <= 4; ++n) {
      const ClusterRequest r = same_boxes(cell, sc, n, &b, link_kind(s.link));
      if (!cluster_problem(c, r).empty()) continue;  // vLLM: the heads may divide by 4, not by 3
      const ClusterPlan p = plan_cluster_request(c, r);
      if (!fits(p.verdict)) continue;
      double headroom = 0;
      for (size_t i = 0; i < p.nodes.size(); ++i) {
        const double h = p.nodes[i].placement.gpu_limit - p.nodes[i].placement.gpu_bytes;
        headroom = i == 0 ? h : std::min(headroom, h);
      }
      ViewState s2 = s;
      s2.nodes = n;
      const std::string boxes = "run it on " + std::to_string(n) + " boxes ";
      out.push_back(p.tensor_parallel
                        ? Change{"cluster", boxes + "with vLLM's tensor parallel",
                                 "Ray on each box, vllm serve --tensor-parallel-size " + std::to_string(n) +
                                     " on the head: about " + tps(p.decode_tps) + " t/s decode (uncalibrated estimate)",
                                 std::move(s2), p.verdict, headroom}
                        : Change{"cluster", boxes + "joined by llama.cpp RPC",
                                 "rpc-server on each worker, llama-server --rpc on the head: about " +
                                     tps(p.decode_tps) + " t/s decode (estimate)",
                                 std::move(s2), p.verdict, headroom});
      break;
    }
  }
  return out;
}

void write_choice(JsonOut& o, const Choice& ch, MemoryKind kind, bool close = true) {
  o.obj().field("model", ch.cell.model->id).field("name", ch.cell.model->name).field("quant", ch.cell.key());
  o.field("quant_label", ch.cell.label()).field("file", ch.cell.file != nullptr).field("params", ch.params);
  o.field("verdict", verdict_id(ch.verdict)).field("verdict_label", verdict_label(ch.verdict, kind));
  o.field("headroom", ch.headroom).field("gpu_bytes", ch.gpu_bytes).field("error", ch.error);
  o.field("decode_tps", ch.decode_tps).key("decode_band").arr().num(ch.decode_lo).num(ch.decode_hi).end_arr();
  o.field("prefill_tps", ch.prefill_tps).key("prefill_band").arr().num(ch.prefill_lo).num(ch.prefill_hi).end_arr();
  o.field("usable", ch.usable()).field("unmeasured", ch.unmeasured).field("calibrated", ch.calibrated);
  if (close) o.end_obj();
}

void write_change(JsonOut& o, const nlohmann::json& before, const Change& ch, MemoryKind kind) {
  o.obj().field("kind", ch.kind).field("label", ch.label).field("detail", ch.detail);
  o.field("verdict", verdict_id(ch.verdict)).field("verdict_label", verdict_label(ch.verdict, kind));
  o.field("headroom", ch.headroom).key("patch").obj();
  // The state fields the change sets, as the page's state names them.
  const nlohmann::json after = state_to_json(ch.state);
  for (const auto& [k, v] : after.items())
    if (!before.contains(k) || before[k] != v) o.key(k).raw(v.dump());
  o.end_obj().end_obj();
}

}  // namespace

std::optional<Change> focus_setup_change(const ViewState& with_custom, const Catalog& c) {
  const ViewState s = without_custom(with_custom);
  const Backend* b = c.backend(s.backend);
  const auto cell = focus_cell(s, c);
  if (!b || !cell) return std::nullopt;
  const Choice f = choice_of(c, scenario_for(s, c), *cell, b->id);
  if (!f.error.empty() || f.fits()) return std::nullopt;
  return setup_change(s, c, *cell, *b);
}

Answer answer_for(const ViewState& with_custom, const Catalog& c, size_t n_best) {
  const ViewState s = without_custom(with_custom);
  Answer a;
  a.backend = c.backend(s.backend);
  const Scenario sc = scenario_for(s, c);
  if (!a.backend || !sc.machine) return a;
  a.kind = sc.machine->kind;
  const Backend& b = *a.backend;
  // Models by parameters, largest first: once n_best choices decode at reading speed, no smaller
  // model can rank above them, so the rest need no plan (a catalog of thousands stays quick). A
  // model whose every file is larger than the machine's RAM cannot fit with any change.
  struct Candidate {
    const CatalogModel* m;
    double params;
  };
  std::vector<Candidate> order;
  order.reserve(c.models.size());
  for (const auto& m : c.models)
    if (m.role.empty())  // an embedder or reranker is served beside a chat model, not instead of one
      order.push_back({&m, m.published_total_b > 0 ? m.published_total_b * 1e9
                                                   : double(model_weights(m, FType::Q4_K_M).total_params)});
  std::stable_sort(order.begin(), order.end(),
                   [](const Candidate& x, const Candidate& y) { return x.params > y.params; });
  const double ram = sc.machine->ram_gib * kGiB;
  std::vector<Choice> best;
  size_t usable = 0;
  a.models = c.models.size();
  for (const Candidate& x : order) {
    if (usable >= n_best) {
      a.exhaustive = false;
      break;
    }
    const auto cells = model_cells(*x.m, s);
    if (std::all_of(cells.begin(), cells.end(), [&](const Cell& cell) { return weights_of(cell) > ram; })) continue;
    if (auto ch = best_of(*x.m, s, c, sc, b)) {
      usable += ch->usable() ? 1 : 0;
      best.push_back(std::move(*ch));
    }
  }
  a.fitting = best.size();
  // Reading speed first, then the larger model (parameters), then the more precise file.
  std::stable_sort(best.begin(), best.end(), [](const Choice& x, const Choice& y) {
    if (x.usable() != y.usable()) return x.usable();
    if (x.params != y.params) return x.params > y.params;
    return weights_of(x.cell) > weights_of(y.cell);
  });
  if (best.size() > n_best) best.resize(n_best);
  a.best = std::move(best);
  if (const auto cell = focus_cell(s, c)) {
    a.focus = choice_of(c, sc, *cell, b.id);
    a.max_context = a.focus.error.empty() ? max_context(c, *cell->model, cell->quant, with_file(sc, cell->file), b) : 0;
    a.fixes = focus_fixes(s, c, *cell, a.focus, b, a.max_context);
    a.line = focus_line(a, s, machine_pools(*sc.machine, sc.knobs));
  }
  return a;
}

void write_answer(JsonOut& o, const ViewState& with_custom, const Answer& a) {
  const nlohmann::json before = state_to_json(without_custom(with_custom));
  o.obj();
  if (!a.backend) {
    o.end_obj();
    return;
  }
  o.field("backend", a.backend->id).field("backend_name", a.backend->name);
  o.field("min_decode_tps", kUsableDecodeTps).field("models", double(a.models)).key("fitting");
  if (a.exhaustive) o.num(double(a.fitting));
  else o.null();
  o.key("best").arr();
  for (const auto& ch : a.best) {
    write_choice(o, ch, a.kind, false);
    o.key("change");
    if (ch.change) write_change(o, before, *ch.change, a.kind);
    else o.null();
    o.end_obj();
  }
  o.end_arr();
  if (a.focus.cell.model) {
    o.key("focus");
    write_choice(o, a.focus, a.kind, false);
    o.field("line", a.line).field("max_context", double(a.max_context)).key("fixes").arr();
    for (const auto& f : a.fixes) write_change(o, before, f, a.kind);
    o.end_arr().end_obj();
  }
  o.end_obj();
}

Table answer_table(const Answer& a, const ViewState& s, const Catalog& c) {
  Table t;
  const Machine* m = c.machine(s.machine);
  t.title = "Best choices — " + (m ? m->name : s.machine) + ", " + (a.backend ? a.backend->name : s.backend) + ", " +
            std::to_string(s.ctx) + " tokens";
  t.headers = {"#", "model", "quant", "fits", "headroom GiB", "decode t/s (est.)", "prefill t/s (est.)", "needs"};
  int rank = 0;
  for (const auto& ch : a.best) {
    const Verdict v = ch.change ? ch.change->verdict : ch.verdict;
    const double head = ch.change ? ch.change->headroom : ch.headroom;
    t.rows.push_back({std::to_string(++rank), ch.cell.model->name, ch.cell.label(), verdict_label(v, a.kind), gib(head),
                      tps(ch.decode_tps) + (ch.usable() ? "" : " (slow)"), tps(ch.prefill_tps),
                      ch.change ? ch.change->label : "nothing to change"});
  }
  t.notes.push_back(
      "Each model at its release format when that fits, else the most precise of the chosen quants and "
      "its published files that fits and decodes at " +
      num_text(kUsableDecodeTps) + " t/s or more; ranked by reading speed, then parameters." +
      (a.exhaustive ? " " + std::to_string(a.fitting) + " of " + std::to_string(a.models) + " models fit." : ""));
  t.notes.push_back("Decode is with the context full (" + std::to_string(s.ctx) +
                    " tokens); speeds are estimates (80% bands in the page and in plan).");
  if (!a.line.empty()) t.notes.push_back(a.line);
  for (const auto& f : a.fixes) t.notes.push_back("To make it fit: " + f.label + " — " + f.detail + ".");
  return t;
}

}  // namespace haloplan
