#include "haloplan/view/view.h"

#include <algorithm>

#include "haloplan/planner/setup.h"
#include "haloplan/text/decimal.h"
#include "haloplan/text/json_out.h"
#include "haloplan/text/strings.h"
#include "haloplan/view/answer.h"
#include "haloplan/view/cluster.h"
#include "haloplan/view/compare.h"
#include "haloplan/view/evidence.h"
#include "haloplan/view/exports.h"
#include "haloplan/view/resident.h"
#include "haloplan/view/scenario.h"
#include "haloplan/view/tables.h"

namespace haloplan {

using nlohmann::json;

namespace {

void write_pools(JsonOut& o, const Pools& p) {
  o.obj().field("ram", double(p.ram)).field("carve_out", double(p.carve_out)).field("os_visible", double(p.os_visible));
  o.field("gpu_ceiling", double(p.carve_out + p.gtt));  // the most any backend can reach
  o.field("gtt", double(p.gtt)).field("os_reserve", double(p.os_reserve)).field("gtt_default", p.gtt_default);
  o.key("warnings").strs(p.warnings).end_obj();
}

}  // namespace

namespace {

// What every part of the view shares: the scenario and the fit table's selection (every model,
// the state's quants, the machine's backends).
struct ViewSetup {
  Scenario sc;
  Selection fit_sel;
  FType focus_q = FType::Q4_K_M;
  const PublishedFile* focus_file = nullptr;
};

ViewSetup view_setup(const ViewState& s, const Catalog& c) {
  ViewSetup v{scenario_for(s, c), {}, ftype_from_name(s.quant).value_or(FType::Q4_K_M), nullptr};
  if (const CatalogModel* fm = c.model(s.model); fm && !ftype_from_name(s.quant)) {
    v.focus_file = fm->published(s.quant);
    if (v.focus_file) v.focus_q = v.focus_file->mix;
  }
  if (!v.sc.machine) return v;
  for (const auto& x : c.models) v.fit_sel.models.push_back(&x);
  for (const auto& q : s.quants)
    if (auto f = ftype_from_name(q)) v.fit_sel.quants.push_back(*f);
    else v.fit_sel.files.push_back(q);
  v.fit_sel.quants_given = true;
  v.fit_sel.backends = backends_for(c, *v.sc.machine);
  return v;
}

// The fit table's cells (model x quant, catalog order) whose "model name quant" contains the
// state's filter, case-insensitive.
std::vector<Cell> fit_cells(const Selection& sel, const ViewState& s) {
  std::string q = s.filter;
  q.erase(0, q.find_first_not_of(" \t\n\r"));
  q.erase(q.find_last_not_of(" \t\n\r") + 1);
  q = lower(q);
  std::vector<Cell> cells;
  for (const auto& cell : selection_cells(sel))
    if (q.empty() || lower(cell.model->id + " " + cell.model->name + " " + cell.label()).find(q) != std::string::npos)
      cells.push_back(cell);
  return cells;
}

// The rows of t in the order of the state's sort column (stable): a number cell sorts as a
// number, other cells as lower-case text; a backend's column sorts by verdict (carve-out > GTT >
// OS squeeze > no fit), then headroom.
std::vector<size_t> sort_order(const Table& t, const std::vector<Plan>& plans, const ViewState& s,
                               const Backend* fits_backend = nullptr) {
  std::vector<size_t> order(plans.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  const auto col = std::find(t.headers.begin(), t.headers.end(), s.sort);
  if (s.sort.empty() || col == t.headers.end()) return order;
  const size_t j = size_t(col - t.headers.begin());
  struct Key {
    bool number;
    double n;
    std::string text;
  };
  std::vector<Key> keys(plans.size());
  for (size_t i = 0; i < plans.size(); ++i) {
    // A backend's column, or the speed table's "fits" column (its backend's verdict).
    const BackendPlan* bp = fits_backend && s.sort == "fits" ? plans[i].find(fits_backend->id) : plans[i].find(s.sort);
    if (bp) {
      double rank = 0;  // no fit
      switch (bp->placement.verdict) {
        case Verdict::CarveOut: rank = 3; break;
        case Verdict::Gtt: rank = 2; break;
        case Verdict::OsSqueeze: rank = 1; break;
        case Verdict::NoFit:
        case Verdict::Refused: break;
      }
      keys[i] = {true, rank * 1e15 + double(bp->placement.headroom), {}};
      continue;
    }
    const std::string& cell = t.rows[i][j];
    double n = 0;
    // A figure with its band ("44.7 (41.6-51.4)") sorts by the figure.
    if (detail::parse_decimal(cell, n) || detail::parse_decimal(cell.substr(0, cell.find(' ')), n))
      keys[i] = {true, n, {}};
    else keys[i] = {false, 0, lower(cell)};
  }
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const Key& x = keys[s.desc ? b : a];
    const Key& y = keys[s.desc ? a : b];
    if (x.number && y.number) return x.n < y.n;
    const std::string xs = x.number ? num_text(x.n) : x.text, ys = y.number ? num_text(y.n) : y.text;
    return xs < ys;
  });
  return order;
}

}  // namespace

namespace {

// The machine as the page draws it, with the bandwidth its ceiling uses (measured if known).
void write_machine(JsonOut& o, const Machine& m) {
  o.key("machine").obj().field("id", m.id).field("name", m.name).field("kind", memory_kind_id(m.kind));
  o.field("apu", m.kind == MemoryKind::AmdApu).field("ram_gib", m.ram_gib);
  const PoolWords& w = pool_words(m.kind);
  o.key("words").obj().field("dedicated", w.dedicated).field("borrowed", w.borrowed).field("gpu_limit", w.gpu_limit);
  o.field("fits_dedicated", w.fits_dedicated).field("fits_borrowed", w.fits_borrowed);
  o.field("cell_dedicated", w.cell_dedicated).field("cell_borrowed", w.cell_borrowed).end_obj();
  o.key("carve_out_options_gib").arr();
  for (double g : m.carve_out_options_gib) o.num(g);
  o.end_arr().field("bandwidth_gbs", m.bandwidth_gbs).field("bandwidth_measured_gbs", m.bandwidth_measured_gbs);
  o.field("ceiling_bandwidth_gbs", ceiling_bandwidth_gbs(m)).end_obj();
}

void write_kernel(JsonOut& o, const KernelParams& k, const std::string& reason = "") {
  o.obj().field("gtt_gib", k.gtt_gib).field("pages", double(k.pages)).field("cmdline", k.cmdline);
  o.field("modprobe", k.modprobe).field("legacy_cmdline", k.legacy_cmdline).key("notes").strs(k.notes);
  if (!reason.empty()) o.field("reason", reason);
  o.end_obj();
}

// UMA-first and GTT-first as numbers (GiB), and the kernel parameters the setup advice shows.
void write_setup(JsonOut& o, const Catalog& c, const Machine& m, const ViewState& s, const Knobs& k) {
  const auto cols = setup_strategies(c, m, k);
  o.key("strategies").arr();
  for (const auto& col : cols) {
    o.obj().field("id", col.strategy->id).field("name", col.strategy->name);
    o.field("carve_out_gib", col.carve_out_gib).field("gtt_gib", col.gtt_gib);
    o.field("os_visible_gib", col.os_visible_gib).field("kernel_default", col.kernel_default);
    o.key("gpu_pool_gib").obj();
    for (const auto& [b, gib] : col.gpu_pool_gib) o.field(b->id, gib);
    o.end_obj().key("kernel");
    if (col.kernel_default) o.null();
    else write_kernel(o, col.kernel);
    o.end_obj();
  }
  o.end_arr().key("kernel");
  // The parameters for the GTT limit the user set; else the one the focused model needs; else
  // GTT-first's.
  std::optional<double> gtt = s.gtt_gib;
  std::string reason = "the GTT limit you set";
  if (!gtt && !cols.empty()) {
    const auto need = focus_setup_change(s, c);
    if (need && need->state.gtt_gib) {
      gtt = need->state.gtt_gib;
      const CatalogModel* fm = c.model(s.model);
      const Backend* b = c.backend(s.backend);
      reason = "the smallest limit at which " + (fm ? fm->name : s.model) + " " + s.quant + " fits on " +
               (b ? b->name : s.backend) + (need->kind == "gtt-first" ? ", with the smallest carve-out" : "");
    } else {
      reason = "GTT-first: the largest limit that leaves the OS its reserve";
    }
  }
  if (const auto kp = advised_kernel_params(cols, gtt)) write_kernel(o, *kp, reason);
  else o.null();
}

// An estimate and its 80% band as [low, high].
void write_band(JsonOut& o, const char* key, double v, double lo, double hi) {
  o.key(key).arr().num(v * lo).num(v * hi).end_arr();
}

void write_focus_backend(JsonOut& o, const Catalog& c, const Plan& p, const Scenario& sc, const BackendPlan& bp) {
  const auto& pl = bp.placement;
  o.obj().field("id", bp.backend->id).field("name", bp.backend->name).field("verdict", verdict_id(pl.verdict));
  o.field("verdict_label", verdict_label(pl.verdict, sc.machine->kind)).field("gpu_bytes", double(pl.gpu_bytes));
  o.field("host_bytes", double(pl.host_bytes)).field("in_carve_out", double(pl.in_carve_out));
  o.field("in_gtt", double(pl.in_gtt)).field("gpu_limit", double(pl.gpu_limit)).field("headroom", double(pl.headroom));
  o.field("os_free", double(pl.os_free)).field("overhead", double(bp.overhead_bytes));
  o.field("max_context", double(max_context(c, *p.model, p.quant, sc, *bp.backend)));
  o.field("decode_tps_0", bp.decode_tps_0).field("decode_tps_ctx", bp.decode_tps_ctx);
  o.field("prefill_tps", bp.prefill_tps).field("ttft_s", bp.ttft_s).field("decode_lo", bp.decode_lo);
  o.field("decode_hi", bp.decode_hi).field("prefill_lo", bp.prefill_lo).field("prefill_hi", bp.prefill_hi);
  o.key("bands").obj();
  write_band(o, "decode_tps_0", bp.decode_tps_0, bp.decode_lo, bp.decode_hi);
  write_band(o, "decode_tps_ctx", bp.decode_tps_ctx, bp.decode_lo, bp.decode_hi);
  write_band(o, "prefill_tps", bp.prefill_tps, bp.prefill_lo, bp.prefill_hi);
  // Time to first token: a faster prefill gives the shorter time.
  const double lo = bp.prefill_hi > 0 ? bp.ttft_s / bp.prefill_hi : 0,
               hi = bp.prefill_lo > 0 ? bp.ttft_s / bp.prefill_lo : 0;
  o.key("ttft_s").arr().num(lo).num(hi).end_arr().end_obj();
  o.field("decode_rows", double(bp.backend->speed.decode_rows)).field("build", bp.backend->speed_family);
  o.field("prefill_rows", double(bp.backend->speed.prefill_rows));
  o.field("calibrated", bp.backend->speed_calibrated).field("unmeasured", bp.unmeasured);
  o.field("command", launch_command(p, sc, *bp.backend).value_or("")).end_obj();
}

// The focused model: breakdown, placement per backend, decode speed against depth.
void write_focus(JsonOut& o, const ViewState& s, const Catalog& c, const ViewSetup& v, const CatalogModel& fm) {
  const Scenario& sc = v.sc;
  const Machine& m = *sc.machine;
  const Scenario fsc = with_file(sc, v.focus_file);
  const Plan p = make_plan(c, fm, v.focus_q, fsc);
  o.key("focus").obj().field("model", fm.id).field("name", fm.name);
  o.field("quant", v.focus_file ? v.focus_file->key() : std::string(preset(v.focus_q).name));
  o.field("quant_label", p.quant_label()).field("has_mmproj", fm.mmproj.has_value());
  o.field("has_mtp", fm.arch.n_nextn > 0);
  o.field("verified", fm.verified).key("sources").strs(fm.sources).field("notes", fm.notes).field("error", p.error);
  o.field("read_bytes", p.speed_in.weight_read_bytes);  // weights read per token (the guide's figure)
  // The bandwidth ceiling for those bytes: every weight read once per token, nothing else.
  const double read_gb = p.speed_in.weight_read_bytes / 1e9;
  o.field("ceiling_tps", read_gb > 0 ? ceiling_bandwidth_gbs(m) / read_gb : 0.0);
  o.key("tables").arr();
  for (const auto& t : plan_tables(c, fsc, p, v.fit_sel)) write_table(o, t);
  o.end_arr();
  o.key("terms").obj().field("weights", double(p.weights.total_bytes - p.weights.token_embd_bytes));
  o.field("token_embd", double(p.weights.token_embd_bytes)).field("output_copy", double(p.weights.output_copy_bytes));
  o.field("kv", double(p.kv.kv_bytes()));
  o.field("state", double(p.kv.state_bytes)).field("compute", double(p.buffers.compute_bytes));
  o.field("host", double(p.buffers.output_bytes + p.buffers.host_compute_bytes));
  o.field("checkpoints", double(p.buffers.checkpoint_bytes))
      .field("prompt_cache", double(p.buffers.prompt_cache_bytes));
  o.field("mmproj", double(p.projector_bytes)).field("mtp", p.mtp ? p.mtp->gpu_bytes() : 0.0);
  o.field("draft", p.draft ? p.draft->gpu_bytes() : 0.0).field("draft_host", p.draft ? p.draft->host_bytes() : 0.0);
  o.end_obj();
  o.key("backends").arr();
  for (const auto& bp : p.backends) write_focus_backend(o, c, p, fsc, bp);
  o.end_arr();
  if (const Backend* b = c.backend(s.backend)) {
    o.key("curve").obj().field("backend", b->id).field("band_lo", b->speed.decode_lo);
    o.field("band_hi", b->speed.decode_hi);
    // Capacity cliffs: the longest context that stays in the carve-out, and the longest that fits
    // at all. The axis runs past the second (or to the trained context) so both can be seen.
    const int64_t in_carve = p.error.empty() ? max_context(c, fm, p.quant, fsc, *b, true) : 0;
    const int64_t fit_ctx = p.error.empty() ? max_context(c, fm, p.quant, fsc, *b) : 0;
    int64_t axis = fm.arch.max_context > 0 ? fm.arch.max_context : s.ctx;
    if (fit_ctx > 0 && fit_ctx < axis) axis = std::min<int64_t>(axis, (fit_ctx * 5 / 4 + 255) / 256 * 256);
    axis = std::max(axis, s.ctx);
    o.field("context", double(s.ctx)).field("slots", double(s.slots));
    o.field("carve_out_ctx", double(in_carve)).field("fit_ctx", double(fit_ctx));
    o.field("reaches_gtt", backend_reaches_gtt(*b, fsc.knobs)).key("points").arr();
    constexpr int kPoints = 32;
    for (int i = 0; i <= kPoints; ++i) {
      // A context of n tokens over the slots: each slot's depth runs to n / slots.
      const int64_t n = axis * i / kPoints;
      ContextParams cp = fsc.ctx;
      cp.n_ctx = std::max<int64_t>(n, 256);
      const int64_t d = std::max<int64_t>(0, n / std::max(1, s.slots));
      o.arr().num(double(n)).num(decode_tps(*b, m, p.speed_in, fm.arch, cp, d)).end_arr();
    }
    o.end_arr().end_obj();
  }
  o.end_obj();
}

// Every model x chosen quant on the state's backend: memory needed on the GPU side against decode
// speed with the context full, with the pool limits as lines. At most kMapPoints points.
constexpr size_t kMapPoints = 2000;
void write_map(JsonOut& o, const ViewState& s, const Catalog& c, const ViewSetup& v) {
  const Backend* b = c.backend(s.backend);
  o.key("map").obj();
  if (!b || !v.sc.machine) {
    o.end_obj();
    return;
  }
  const Pools pools = machine_pools(*v.sc.machine, v.sc.knobs);
  const bool gtt = backend_reaches_gtt(*b, v.sc.knobs);
  o.field("backend", b->id).field("backend_name", b->name).field("ctx", double(s.ctx));
  o.field("carve_out", pools.carve_out).field("gpu_limit", pools.carve_out + (gtt ? pools.gtt : 0.0));
  o.field("ram", pools.ram).field("apu", v.sc.machine->kind == MemoryKind::AmdApu);
  std::vector<Cell> cells = fit_cells(v.fit_sel, s);
  // An embedder or reranker does not decode text: it is served beside a chat model, not mapped.
  std::erase_if(cells, [](const Cell& cell) { return !cell.model->role.empty(); });
  o.field("total", double(cells.size()));
  if (cells.size() > kMapPoints) cells.resize(kMapPoints);
  o.key("points").arr();
  for (const Cell& cell : cells) {
    const Plan p = cell_plan(c, cell, v.sc);
    const BackendPlan* bp = p.find(b->id);
    if (!bp) continue;
    o.arr().str(cell.model->id).str(cell.model->name).str(cell.key()).str(cell.label());
    o.num(bp->placement.gpu_bytes).num(bp->decode_tps_ctx).str(verdict_id(bp->placement.verdict)).end_arr();
  }
  o.end_arr().end_obj();
}

}  // namespace

void write_view_head(JsonOut& o, const ViewState& s, const Catalog& c) {
  const ViewSetup v = view_setup(s, c);
  if (!v.sc.machine) return;
  const Machine& m = *v.sc.machine;
  o.key("pools");
  write_pools(o, machine_pools(m, v.sc.knobs));
  o.field("hip_gtt", v.sc.knobs.hip_gtt);  // the kernel the state states lets HIP reach GTT
  write_machine(o, m);
  o.key("backends").arr();
  for (const Backend* b : v.fit_sel.backends)
    o.obj()
        .field("id", b->id)
        .field("name", b->name)
        .field("reaches_gtt", backend_reaches_gtt(*b, v.sc.knobs))
        .end_obj();
  o.end_arr();
  write_setup(o, c, m, s, v.sc.knobs);
  o.key("calibrations").arr();
  for (const auto& k : s.cal) {
    o.obj().field("backend", k.backend).field("decode_scale", k.decode_scale).field("prefill_scale", k.prefill_scale);
    o.field("decode_rows", double(k.decode_rows)).field("prefill_rows", double(k.prefill_rows)).end_obj();
  }
  o.end_arr();
  if (const CatalogModel* fm = c.model(s.model)) write_focus(o, s, c, v, *fm);
}

bool write_view_part(JsonOut& o, std::string_view part, const ViewState& s, const Catalog& c, size_t max_rows) {
  const ViewSetup v = view_setup(s, c);
  if (!v.sc.machine) return false;
  const Scenario& sc = v.sc;
  const Machine& m = *sc.machine;
  const Selection& fit_sel = v.fit_sel;
  if (part == "answer") {
    o.key("answer");
    write_answer(o, s, answer_for(s, c));
    return true;
  }
  if (part == "compare") {
    o.key("compare");
    if (s.compare.empty()) o.null();
    else write_comparison(o, compare_setups(s, c));
    return true;
  }
  if (part == "map") {
    write_map(o, s, c, v);
    return true;
  }
  if (part == "resident") {
    // The focused model and the models beside it, each its own llama-server.
    o.key("resident");
    if (s.set.empty()) {
      o.null();
      return true;
    }
    ViewState focus = s;
    focus.custom = nlohmann::json::array();
    focus.set.clear();
    std::vector<ViewState> members = {focus};
    for (const auto& e : s.set) {
      const auto parts = split(e, '@');
      ViewState m = focus;
      m.model = parts[0];
      m.quant = parts[1];
      m.quants = {parts[1]};
      m.ctx = *parse_whole(parts[2], 256, int64_t(1) << 26);
      m.draft.clear();
      m.mtp = false;
      members.push_back(std::move(m));
    }
    const ResidentSet set = plan_set(c, members);
    const auto changes = set_changes(c, set);
    o.obj().key("set");
    write_set(o, set, changes);
    o.key("tables").arr();
    for (const auto& t : set_tables(set, changes)) write_table(o, t);
    o.end_arr().end_obj();
    return true;
  }
  if (part == "cluster") {
    // The focused model over several boxes of this machine (RPC, -sm layer), or why not.
    o.key("cluster");
    const CatalogModel* m = c.model(s.model);
    if (!s.nodes || !m) {
      o.null();
      return true;
    }
    const ClusterRequest r =
        same_boxes(Cell{m, v.focus_q, v.focus_file}, v.sc, s.nodes, c.backend(s.backend), link_kind(s.link));
    o.obj().field("nodes", double(s.nodes)).field("link", s.link);
    if (const std::string why = cluster_problem(c, r); !why.empty()) {
      o.field("error", why).end_obj();
      return true;
    }
    const ClusterPlan p = plan_cluster_request(c, r);
    o.key("plan");
    write_cluster(o, r, p);
    o.key("tables").arr();
    write_table(o, cluster_table(r, p));
    o.end_arr().end_obj();
    return true;
  }
  if (part == "evidence") {
    // The evidence behind the focused model's speeds on the state's backend (the part the page
    // reads only while its panel is open).
    o.key("evidence");
    const CatalogModel* fm = c.model(s.model);
    if (!fm) {
      o.null();
      return true;
    }
    const Scenario fsc = with_file(sc, v.focus_file);
    const Plan p = make_plan(c, *fm, v.focus_q, fsc);
    const BackendPlan* bp = p.find(s.backend);
    if (bp) write_evidence(o, speed_evidence(c, p, *bp, fsc));
    else o.null();
    return true;
  }
  if (part == "ceiling") {
    o.key("ceiling");
    write_table(o, ceiling_table(m));
    return true;
  }
  if (part == "setup") {
    o.key("setup").arr();
    for (const auto& t : setup_tables(c, sc, s.gtt_gib)) write_table(o, t);
    o.end_arr();
    return true;
  }
  if (part != "fit" && part != "speed") return false;
  // Plans are made only for the rows sent, unless a sort needs every row's cells.
  auto plans_for = [&](const std::vector<Cell>& cells) {
    std::vector<Plan> plans;
    plans.reserve(cells.size());
    for (const auto& cell : cells) plans.push_back(cell_plan(c, cell, sc));
    return plans;
  };
  // Keeps the rows that fit as set up: on any shown backend (fit table) or on `one` (speed table).
  auto keep_fitting = [&](std::vector<Plan>& plans, const Backend* one) {
    std::erase_if(plans, [&](const Plan& p) {
      return std::none_of(p.backends.begin(), p.backends.end(), [&](const BackendPlan& bp) {
        return (!one || bp.backend == one) &&
               (bp.placement.verdict == Verdict::CarveOut || bp.placement.verdict == Verdict::Gtt);
      });
    });
  };
  // The rows in the state's order, at most max_rows of them (plans and table rows together).
  auto order_rows = [&](Table& shown, std::vector<Plan>& plans, bool sorted, const Backend* fits_backend) {
    std::vector<size_t> order(plans.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    if (sorted) order = sort_order(shown, plans, s, fits_backend);
    if (max_rows && order.size() > max_rows) order.resize(max_rows);
    std::vector<Plan> p2;
    std::vector<std::vector<std::string>> rows;
    for (size_t i : order) {
      p2.push_back(std::move(plans[i]));
      rows.push_back(std::move(shown.rows[i]));
    }
    plans = std::move(p2);
    shown.rows = std::move(rows);
  };
  auto sorts_by = [&](const Table& probe) {
    return !s.sort.empty() && std::find(probe.headers.begin(), probe.headers.end(), s.sort) != probe.headers.end();
  };
  if (part == "speed") {
    Selection speed_sel = fit_sel;
    speed_sel.backends.clear();
    const Backend* b = c.backend(s.backend);
    if (b) speed_sel.backends.push_back(b);
    std::vector<Cell> cells = fit_cells(fit_sel, s);
    const size_t total = selection_cells(fit_sel).size();
    const size_t filtered = cells.size();
    const bool sorted = sorts_by(speed_table(sc, speed_sel, {}));
    // Plans are made only for the rows sent, unless a sort or "only what fits" needs every row's.
    if (!sorted && !s.fits_only && max_rows && cells.size() > max_rows) cells.resize(max_rows);
    std::vector<Plan> plans = plans_for(cells);
    if (s.fits_only) keep_fitting(plans, b);
    const size_t matching = s.fits_only ? plans.size() : filtered;
    Table shown = speed_table(sc, speed_sel, plans);
    order_rows(shown, plans, sorted, b);
    o.key("speed");
    write_table(o, shown, /*close=*/false);
    o.field("matching", double(matching)).field("total", double(total)).end_obj();
    return true;
  }
  // Fit table plus the raw numbers behind each row (for the verdict colours and the picture), in
  // the order shown (filter, fits, sort) and at most max_rows of them.
  std::vector<Cell> cells = fit_cells(fit_sel, s);
  size_t matching = cells.size();
  const bool sorted = sorts_by(fit_table(sc, fit_sel, {}));
  if (!sorted && !s.fits_only && max_rows && cells.size() > max_rows) cells.resize(max_rows);
  std::vector<Plan> plans = plans_for(cells);
  if (s.fits_only) {
    keep_fitting(plans, nullptr);
    matching = plans.size();
  }
  Table shown = fit_table(sc, fit_sel, plans);
  order_rows(shown, plans, sorted, nullptr);
  o.key("fit");
  write_table(o, shown, /*close=*/false);
  o.field("matching", double(matching)).field("total", double(selection_cells(fit_sel).size()));
  o.key("data").arr();
  for (const Plan& p : plans) {
    const CatalogModel* x = p.model;
    o.obj().field("model", x->id).field("name", x->name);
    o.field("quant", p.file ? p.file->key() : std::string(preset(p.quant).name)).field("quant_label", p.quant_label());
    o.field("weights", double(p.weights.total_bytes)).field("kv", double(p.kv.kv_bytes()));
    o.field("state", double(p.kv.state_bytes));
    o.field("buffers", double(p.buffers.compute_bytes + p.buffers.output_bytes + p.buffers.host_compute_bytes));
    o.field("total", p.total_bytes()).field("error", p.error).key("verdicts").obj();
    for (const auto& bp : p.backends) {
      o.key(bp.backend->id).obj().field("verdict", verdict_id(bp.placement.verdict));
      o.field("headroom", double(bp.placement.headroom)).end_obj();
    }
    o.end_obj().end_obj();
  }
  o.end_arr().end_obj();
  return true;
}

void write_view(JsonOut& o, const ViewState& s, const Catalog& c) {
  write_view_head(o, s, c);
  for (const char* part : kViewParts) write_view_part(o, part, s, c, 0);
}

json compute_view(const ViewState& s, const Catalog& c) {
  JsonOut o;
  o.obj();
  write_view(o, s, c);
  o.end_obj();
  return json::parse(o.text());
}

std::string catalog_info(const Catalog& c) {
  JsonOut o;
  o.obj().key("machines").arr();
  for (const auto& m : c.machines) {
    o.obj()
        .field("id", m.id)
        .field("name", m.name)
        .field("apu", m.kind == MemoryKind::AmdApu)
        .field("ram_gib", m.ram_gib);
    o.key("carve_out_options_gib").arr();
    for (double g : m.carve_out_options_gib) o.num(g);
    o.end_arr().field("default_carve_out_gib", m.default_carve_out_gib);
    o.field("default_os_reserve_gib", m.default_os_reserve_gib).field("gpu_limit_fraction", m.gpu_limit_fraction);
    o.field("bandwidth_gbs", m.bandwidth_gbs).key("backends").arr();
    for (const Backend* b : backends_for(c, m)) o.str(b->id);
    o.end_arr().end_obj();
  }
  o.end_arr().key("backends").arr();
  for (const auto& b : c.backends) o.obj().field("id", b.id).field("name", b.name).field("hip", b.hip).end_obj();
  // The llama.cpp builds a user can say they run: each calibrated speed family with its engine,
  // its rows, and whether it is the engine's default (the family llama.cpp's backend ships with).
  o.end_arr().key("builds").arr();
  for (const auto& f : c.speed_families) {
    if (f.params.decode_rows + f.params.prefill_rows == 0) continue;
    const bool is_default = std::any_of(c.backends.begin(), c.backends.end(), [&](const Backend& b) {
      return b.id.rfind("llamacpp-", 0) == 0 && b.default_speed_family == f.id;
    });
    o.obj().field("id", f.id).field("name", f.name).field("engine", engine_of(f.id));
    o.field("rows", double(f.params.decode_rows + f.params.prefill_rows)).field("default", is_default).end_obj();
  }
  o.end_arr().key("models").arr();
  for (const auto& m : c.models) {
    o.obj().field("id", m.id).field("name", m.name).field("vision", m.mmproj.has_value());
    o.field("release", m.release_quant ? preset(*m.release_quant).name : "").field("role", m.role);
    o.field("mtp", m.arch.n_nextn > 0).key("files").arr();
    for (const auto& f : m.files) o.str(f.key());
    o.end_arr().end_obj();
  }
  o.end_arr().key("quants").arr();
  for (FType f : picker_quants()) o.str(preset(f).name);
  // Published files by key, in catalog order, with how many models have each.
  std::vector<std::pair<std::string, int>> files;
  for (const auto& m : c.models)
    for (const auto& f : m.files) {
      auto it = std::find_if(files.begin(), files.end(), [&](const auto& x) { return x.first == f.key(); });
      if (it == files.end()) files.emplace_back(f.key(), 1);
      else ++it->second;
    }
  std::stable_sort(files.begin(), files.end(), [](const auto& a, const auto& b) {
    return a.first.substr(a.first.find(':') + 1) < b.first.substr(b.first.find(':') + 1);
  });
  o.end_arr().key("files").arr();
  for (const auto& [k, n] : files) o.obj().field("key", k).field("models", double(n)).end_obj();
  o.end_arr().key("links").arr();  // how boxes of a cluster are joined
  for (const auto& l : link_kinds()) o.obj().field("id", l.id).field("name", l.name).end_obj();
  o.end_arr().key("cache_types").arr();
  for (GgmlType t : kv_cache_types()) o.str(kv_cache_type_name(t));
  o.end_arr().key("tunings").arr();
  for (const auto& t : c.setup.tunings) {
    o.obj().field("id", t.id).field("name", t.name).field("parameter", t.parameter).field("effect", t.effect);
    o.field("side_effect", t.side_effect).key("sources").strs(t.sources).end_obj();
  }
  return o.end_arr().end_obj().take();
}

}  // namespace haloplan
