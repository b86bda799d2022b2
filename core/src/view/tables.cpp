#include "haloplan/view/tables.h"

#include <algorithm>
#include <cmath>

#include "haloplan/planner/setup.h"
#include "haloplan/text/strings.h"
#include "haloplan/view/scenario.h"

namespace haloplan {

namespace {

// The verdict with its headroom, in the machine's words ("carve-out (+3.8)", "RAM spill (+9.6)").
std::string verdict_cell(const BackendPlan& bp, MemoryKind kind) {
  const auto& pl = bp.placement;
  const PoolWords& w = pool_words(kind);
  switch (pl.verdict) {
    case Verdict::CarveOut: return std::string(w.cell_dedicated) + " (" + signed_gib(pl.headroom) + ")";
    case Verdict::Gtt: return std::string(w.cell_borrowed) + " (" + signed_gib(pl.headroom) + ")";
    case Verdict::NoFit: return "no fit (" + signed_gib(pl.headroom) + ")";
    case Verdict::OsSqueeze: return "OS squeeze (OS " + gib(pl.os_free) + " free)";
    case Verdict::Refused: return "refused";
  }
  return "?";
}

// What the verdict cells mean on this kind of machine.
std::string verdict_legend(MemoryKind k) {
  std::string n = "Verdict per backend with headroom in GiB: ";
  switch (k) {
    case MemoryKind::AmdApu: n += "carve-out = fits the BIOS carve-out; GTT = fits only by spilling into GTT"; break;
    case MemoryKind::Apple: n += "wired = fits the GPU's wired limit (iogpu.wired_limit_mb)"; break;
    case MemoryKind::UnifiedNvidia: n += "unified = fits the unified memory CUDA can allocate"; break;
    case MemoryKind::Discrete:
      n += "VRAM = fits the GPU's memory; RAM spill = the rest runs from system RAM (--n-cpu-moe, -ngl), at its "
           "speed";
      break;
  }
  return n + "; no fit = short by; OS squeeze = fits but leaves the OS below its reserve.";
}

std::string pools_note(const Scenario& s, const Pools& p) {
  const Machine& m = *s.machine;
  std::string n = m.name + ": ";
  if (m.kind == MemoryKind::AmdApu) {
    n += "carve-out " + gib(p.carve_out) + " GiB, GTT limit " + gib(p.gtt) + " GiB" +
         (p.gtt_default ? " (kernel default: half of OS-visible RAM)" : " (set)") + ", OS sees " + gib(p.os_visible) +
         " GiB, OS reserve " + gib(p.os_reserve) + " GiB.";
  } else if (m.kind == MemoryKind::Discrete) {
    n += "VRAM " + gib(p.carve_out) + " GiB; system RAM for offloaded layers " + gib(p.gtt) + " GiB.";
  } else {
    n += "GPU may use " + gib(p.gtt) + " GiB of " + gib(p.ram) + " GiB.";
  }
  for (const auto& w : p.warnings) n += " Warning: " + w + ".";
  return n;
}

std::string ctx_note(const Scenario& s) {
  return "Context " + std::to_string(s.ctx.n_ctx) + " tokens, K " + type_name(s.ctx.type_k) + " / V " +
         type_name(s.ctx.type_v) + ", " + std::to_string(s.ctx.n_seq) + " slot(s)" +
         (s.ctx.kv_unified ? "" : " (per-slot cache)") + ", flash attention " + (s.ctx.flash_attn ? "on" : "off") + ".";
}

const char* kEstimateNote =
    "Weights and KV cache are exact (llama.cpp's quantisation rules and cache layout); compute/output "
    "buffers and runtime overhead are estimates.";

}  // namespace

Table list_table(const std::string& what, const Catalog& c) {
  Table t;
  if (what == "models") {
    t.title = "Models in the catalog";
    t.headers = {"id", "name", "arch", "layers", "params (B, computed)", "active (B)", "max context", "verified"};
    for (const auto& m : c.models) {
      const auto w = weight_breakdown(m.arch, FType::BF16);
      t.rows.push_back({m.id, m.name, m.arch.arch, std::to_string(m.arch.n_layer), fixed(w.total_params / 1e9, 2),
                        fixed(w.active_params / 1e9, 2), std::to_string(m.arch.max_context),
                        m.verified ? "yes" : "partly"});
    }
  } else if (what == "machines") {
    t.title = "Machines";
    t.headers = {"id", "name", "RAM GiB", "bandwidth GB/s", "measured GB/s", "FP16 TFLOPS", "carve-out options GiB"};
    for (const auto& m : c.machines) {
      std::string opts;
      for (double o : m.carve_out_options_gib) opts += (opts.empty() ? "" : " ") + fixed(o, o == std::floor(o) ? 0 : 1);
      t.rows.push_back({m.id, m.name, fixed(m.ram_gib, 0), fixed(m.bandwidth_gbs, 0),
                        m.bandwidth_measured_gbs > 0 ? fixed(m.bandwidth_measured_gbs, 0) : "-",
                        fixed(m.fp16_tflops, 1), opts.empty() ? "-" : opts});
    }
  } else if (what == "builds") {
    t.title = "llama.cpp builds (--build, builds= in a link)";
    t.headers = {"id", "name", "engine", "default", "decode rows", "prefill rows", "decode band", "prefill band"};
    for (const auto& f : c.speed_families) {
      const auto& p = f.params;
      if (p.decode_rows + p.prefill_rows == 0) continue;
      const bool is_default = std::any_of(c.backends.begin(), c.backends.end(), [&](const Backend& b) {
        return b.id.rfind("llamacpp-", 0) == 0 && b.default_speed_family == f.id;
      });
      t.rows.push_back({f.id, f.name, engine_of(f.id), is_default ? "yes" : "", std::to_string(p.decode_rows),
                        std::to_string(p.prefill_rows), fixed(p.decode_lo, 2) + "-" + fixed(p.decode_hi, 2) + "x",
                        fixed(p.prefill_lo, 2) + "-" + fixed(p.prefill_hi, 2) + "x"});
    }
    t.notes.push_back(
        "Bands: 80% of measured/predicted on rows of models and of sources (builds) the fit did not see "
        "(leave-one-model-out and leave-one-source-out). The default "
        "of each engine is the newest build family with data.");
  } else {
    t.title = "Backends";
    t.headers = {"id", "name", "reaches GTT", "overhead MiB (estimate)", "speed calibration"};
    for (const auto& b : c.backends) {
      t.rows.push_back({b.id, b.name, b.hip ? "HIP: kernel 6.10+ (--kernel)" : (b.reaches_gtt ? "yes" : "no"),
                        fixed(b.runtime_overhead_mib, 0),
                        b.speed_calibrated ? std::to_string(b.speed.decode_rows + b.speed.prefill_rows) + " rows (" +
                                                 b.speed_family + "), " + b.speed.fitted_on
                                           : "not calibrated (estimate)"});
    }
  }
  return t;
}

std::string Cell::key() const { return file ? file->key() : std::string(preset(quant).name); }
std::string Cell::label() const { return file ? file_label(*file) : std::string(preset(quant).name); }

Plan cell_plan(const Catalog& c, const Cell& cell, const Scenario& s) {
  return cell.file ? make_plan(c, *cell.model, cell.quant, with_file(s, cell.file))
                   : make_plan(c, *cell.model, cell.quant, s);
}

std::vector<Cell> selection_cells(const Selection& sel) {
  std::vector<Cell> cells;
  cells.reserve(sel.models.size() * (sel.quants.size() + 1));
  for (const auto* m : sel.models) {
    for (FType q : sel.quants) cells.push_back({m, q, nullptr});
    for (const auto& k : sel.files)
      if (const PublishedFile* f = m->published(k)) cells.push_back({m, f->mix, f});
    if (m->release_quant && std::find(sel.quants.begin(), sel.quants.end(), *m->release_quant) == sel.quants.end())
      cells.push_back({m, *m->release_quant, nullptr});
  }
  return cells;
}

std::vector<Plan> selection_plans(const Catalog& c, const Scenario& s, const Selection& sel) {
  std::vector<Plan> plans;
  const auto cells = selection_cells(sel);
  plans.reserve(cells.size());
  for (const auto& cell : cells) plans.push_back(cell_plan(c, cell, s));
  return plans;
}

// Which rows are published files, and what is known of them.
static std::string files_note(const std::vector<Plan>& plans) {
  std::vector<std::string> seen;
  for (const Plan& p : plans)
    if (p.file && std::find(seen.begin(), seen.end(), p.file->key()) == seen.end()) seen.push_back(p.file->key());
  if (seen.empty()) return "";
  return "Published files (" + join(seen, ", ") +
         "): file size known (llama-bench's model size, from the cited run), tensor mix estimated (the mix preset's "
         "split scaled to that size).";
}

Table fit_table(const Catalog& c, const Scenario& s, const Selection& sel) {
  return fit_table(s, sel, selection_plans(c, s, sel));
}

// Which rows are there because a model is released in that format.
static std::string release_note(const Selection& sel) {
  std::string ids;
  for (const auto* m : sel.models)
    if (m->release_quant && std::find(sel.quants.begin(), sel.quants.end(), *m->release_quant) == sel.quants.end())
      ids += (ids.empty() ? "" : ", ") + m->id + " " + preset(*m->release_quant).name;
  return ids.empty() ? "" : "Also shown in the format each is released in: " + ids + ".";
}

Table fit_table(const Scenario& s, const Selection& sel, const std::vector<Plan>& plans) {
  Table t;
  t.title = "What fits — " + s.machine->name;
  t.headers = {"model", "quant", "weights GiB", "bpw", "KV GiB", "state GiB", "buffers GiB (est.)", "total GiB"};
  for (const Backend* b : sel.backends) t.headers.push_back(b->id);
  Pools pools = machine_pools(*s.machine, s.knobs);
  for (const Plan& p : plans) {
    std::vector<std::string> row = {
        p.model->id,
        p.quant_label(),
        gib(double(p.weights.total_bytes)),
        fixed(p.weights.bits_per_weight(), 2),
        gib(double(p.kv.kv_bytes())),
        gib(double(p.kv.state_bytes), 2),
        gib(double(p.buffers.compute_bytes + p.buffers.output_bytes + p.buffers.host_compute_bytes)),
        gib(p.total_bytes())};
    for (const Backend* b : sel.backends) {
      const BackendPlan* bp = p.find(b->id);
      row.push_back(p.error.empty() ? verdict_cell(*bp, s.machine->kind) : "refused: " + p.error);
    }
    t.rows.push_back(std::move(row));
  }
  t.notes.push_back(pools_note(s, pools));
  t.notes.push_back(ctx_note(s));
  if (auto n = release_note(sel); !n.empty()) t.notes.push_back(n);
  if (auto n = files_note(plans); !n.empty()) t.notes.push_back(n);
  if (std::any_of(plans.begin(), plans.end(), [](const Plan& p) { return p.projector_bytes > 0; }))
    t.notes.push_back(
        "Totals include the vision projector (--mmproj) of the models that have one, at its published size; turn "
        "vision off to leave it out.");
  if (s.draft)
    t.notes.push_back("Totals" + (s.extras_for ? " for " + s.extras_for->id : std::string()) +
                      " include the draft model " + s.draft->id + " " + preset(s.draft_quant).name +
                      " (-md): its weights, f16 KV cache at the same context and its compute buffer.");
  if (s.ctx.ctx_checkpoints > 0 || s.ctx.cache_ram_mib != 0)
    t.notes.push_back(
        "llama-server also fills host RAM as it runs, up to its caps and not in these totals: context "
        "checkpoints (" +
        std::to_string(s.ctx.ctx_checkpoints) +
        " per slot, for models with recurrent or sliding-window layers) and a prompt cache (" +
        (s.ctx.cache_ram_mib < 0 ? std::string("no limit") : std::to_string(s.ctx.cache_ram_mib) + " MiB") +
        "); each model's breakdown shows them.");
  t.notes.push_back(verdict_legend(s.machine->kind));
  t.notes.push_back(kEstimateNote);
  return t;
}

namespace {
std::string band_note(const SpeedParams& p) {
  auto pct = [](double v) { return fixed(v * 100, 0); };
  return "Bands (in brackets) hold 80% of the calibration measurements of models and sources the fit did not "
         "see (each model's rows, and each source's, predicted without them): decode " +
         pct(p.decode_lo) + "–" + pct(p.decode_hi) + "% of the estimate over " + std::to_string(p.decode_rows) +
         " measurements, prefill " + pct(p.prefill_lo) + "–" + pct(p.prefill_hi) + "% over " +
         std::to_string(p.prefill_rows) + " (" + p.fitted_on + ").";
}
}  // namespace

Table calibration_table(const CalibrationResult& r, const Catalog& c) {
  Table t;
  const Backend* b = r.cal ? c.backend(r.cal->backend) : nullptr;
  t.title = "Your llama-bench rows" + (b ? " — " + b->name : std::string());
  t.headers = {"line", "model", "test", "fa", "measured t/s", "model t/s", "error", "calibrated t/s", "error"};
  auto err = [](double pred, double meas) {
    const double e = 100 * (pred / meas - 1);
    return std::string(e >= 0 ? "+" : "") + fixed(e, 1) + "%";
  };
  for (const auto& row : r.rows)
    t.rows.push_back({std::to_string(row.row.line), row.model_id, row.row.test, row.row.flash_attn ? "1" : "0",
                      tps(row.row.tps), tps(row.before), err(row.before, row.row.tps), tps(row.after),
                      err(row.after, row.row.tps)});
  auto pct = [](double v) { return fixed(100 * v, 1) + "%"; };
  if (r.cal) {
    const auto& k = *r.cal;
    // The error each row gets from the scale of the other rows, and the band the rows leave.
    auto kind = [&](const char* name, int n, const ErrorStats& before, const ErrorStats& after, const ErrorStats& loo,
                    double scale, double lo, double hi, double lo0, double hi0) {
      std::string s = std::string(name) + ": " + std::to_string(n) + " rows, median error " + pct(before.median) +
                      " before, " + pct(after.median) + " after";
      s += loo.n ? ", " + pct(loo.median) + " (p90 " + pct(loo.p90) + ") for a row left out of the fit"
                 : " (one row: no leave-one-out error)";
      s += "; speeds scaled by " + fixed(scale, 3) + ". 80% band × " + fixed(lo, 2) + "–" + fixed(hi, 2);
      s += lo < lo0 || hi > hi0
               ? " (shipped × " + fixed(lo0, 2) + "–" + fixed(hi0, 2) +
                     ", widened: the published rows show a rescale leaves models it did not measure as scattered "
                     "as before, and these rows add their own spread)."
               : " (the shipped band: the published rows show a rescale leaves models it did not measure as "
                 "scattered as before).";
      t.notes.push_back(s);
    };
    if (b && k.decode_rows)
      kind("Decode", k.decode_rows, r.decode_before, r.decode_after, r.decode_loo, k.decode_scale, k.decode_lo,
           k.decode_hi, b->speed.decode_lo, b->speed.decode_hi);
    if (b && k.prefill_rows)
      kind("Prefill", k.prefill_rows, r.prefill_before, r.prefill_after, r.prefill_loo, k.prefill_scale, k.prefill_lo,
           k.prefill_hi, b->speed.prefill_lo, b->speed.prefill_hi);
    t.notes.push_back("In a link: cal=" + calibrations_text({k}) + " (CLI: --cal " + calibrations_text({k}) + ").");
  } else {
    t.notes.push_back("No calibration: " + r.error);
  }
  for (const auto& s : r.skipped) t.notes.push_back("Not used: " + s);
  return t;
}

Table speed_table(const Catalog& c, const Scenario& s, const Selection& sel) {
  return speed_table(s, sel, selection_plans(c, s, sel));
}

Table speed_table(const Scenario& s, const Selection& sel, const std::vector<Plan>& plans) {
  Table t;
  const Backend* b = sel.speed_backend();
  t.title = "How fast — " + s.machine->name + (b ? ", " + b->name : "");
  t.headers = {"model",
               "quant",
               "fits",
               "active params B",
               "read/token GB",
               "decode t/s @0",
               "decode t/s @" + std::to_string(s.ctx.n_ctx),
               "prefill t/s",
               "TTFT s (" + std::to_string(s.prompt_tokens) + " tok)"};
  for (const Plan& p : plans) {
    const BackendPlan* bp = b ? p.find(b->id) : nullptr;
    if (!bp) continue;
    // A model whose architecture no calibration row measures: bytes and FLOPs only, a wider band.
    const std::string mark = bp->unmeasured ? " *" : "";
    auto band = [&](double v, double lo, double hi) {
      return tps(v) + " (" + tps(v * lo) + "-" + tps(v * hi) + ")" + mark;
    };
    t.rows.push_back({p.model->id, p.quant_label(), p.error.empty() ? verdict_cell(*bp, s.machine->kind) : "refused",
                      fixed(p.weights.active_params / 1e9, 2), fixed(p.speed_in.weight_read_bytes / 1e9, 2),
                      band(bp->decode_tps_0, bp->decode_lo, bp->decode_hi),
                      band(bp->decode_tps_ctx, bp->decode_lo, bp->decode_hi),
                      band(bp->prefill_tps, bp->prefill_lo, bp->prefill_hi),
                      fixed(bp->ttft_s, 1) + " (" + fixed(bp->ttft_s / bp->prefill_hi, 1) + "-" +
                          fixed(bp->ttft_s / bp->prefill_lo, 1) + ")"});
  }
  if (b) {
    t.notes.push_back("fits: the verdict on " + b->name +
                      " with headroom in GiB, as in What fits; a model that does not fit still shows the speed "
                      "it would have.");
    t.notes.push_back(
        "Estimates from the speed model: decode = bytes read per token (active weights, KV at depth) over " +
        fixed(s.machine->bandwidth_gbs, 0) + " GB/s with fitted efficiencies and per-layer costs; prefill from FLOPs.");
    t.notes.push_back(b->speed_calibrated
                          ? band_note(b->speed)
                          : "This backend's speed is not calibrated on measurements: the bands are guesses.");
    if (b->speed_factor != 1.0)
      t.notes.push_back("Scaled by " + fixed(b->speed_factor, 2) + " relative to llama.cpp (" + b->notes + ").");
    std::vector<std::string> unmeasured;
    for (const Plan& p : plans)
      if (const BackendPlan* bp = p.find(b->id);
          bp && bp->unmeasured &&
          std::find(unmeasured.begin(), unmeasured.end(), p.model->arch.arch) == unmeasured.end())
        unmeasured.push_back(p.model->arch.arch);
    if (!unmeasured.empty())
      t.notes.push_back(
          "* Unmeasured architecture (" + join(unmeasured, ", ") +
          "): no calibration row runs its kernels on this backend, so the figure is bytes and FLOPs "
          "only, with the band of architectures held out of the fit (decode " +
          fixed(b->speed.unmeasured_decode_lo * 100, 0) + "–" + fixed(b->speed.unmeasured_decode_hi * 100, 0) +
          "%, prefill " + fixed(b->speed.unmeasured_prefill_lo * 100, 0) + "–" +
          fixed(b->speed.unmeasured_prefill_hi * 100, 0) + "%). A new kernel path can be far slower than that.");
    t.notes.push_back(
        "What stands behind a figure (the formula's terms, the rows fitted, the nearest "
        "measurements): haloplan plan --model ID --quant Q --backend " +
        b->id + "; in the page, pick the row, then How fast → Why these figures.");
  }
  return t;
}

Table ceiling_table(const Machine& m) {
  Table t;
  const double bw = ceiling_bandwidth_gbs(m);
  t.title =
      "Bandwidth ceiling — " + fixed(bw, 0) + " GB/s" + (m.bandwidth_measured_gbs > 0 ? " measured" : " theoretical");
  t.headers = {"active params B", "Q4_K_M GB/token", "Q4_K_M max t/s", "Q8_0 GB/token", "Q8_0 max t/s"};
  for (double b : {1.0, 3.0, 5.0, 8.0, 13.0, 22.0, 32.0, 37.0, 70.0, 123.0}) {
    const double q4 = b * 4.8944 / 8.0, q8 = b * 8.5008 / 8.0;  // Llama-3.1-8B bpw as the typical figure
    t.rows.push_back({fixed(b, 0), fixed(q4, 2), tps(bw / q4), fixed(q8, 2), tps(bw / q8)});
  }
  t.notes.push_back(
      "Upper bound: every active weight read once per token at the machine's bandwidth, no KV, no overhead. "
      "Bits per weight 4.8944 (Q4_K_M) and 8.5008 (Q8_0) as llama.cpp publishes for Llama-3.1-8B.");
  return t;
}

// The setup of a machine that is not an AMD APU, in its own words: the wired limit of Apple
// silicon with the sysctl that sets it, DGX Spark's unified memory and how CUDA counts it, a
// discrete GPU's VRAM and the flags that run the rest from system RAM.
Table other_setup_table(const Machine& m, const Knobs& k, std::optional<double> limit_gib) {
  const Pools p = machine_pools(m, k);
  Table t;
  t.headers = {"", "value"};
  switch (m.kind) {
    case MemoryKind::Apple: {
      // iogpu.wired_limit_mb counts MiB: 112 GiB is 114688 (antirez/ds4 #909).
      const double want = limit_gib.value_or(std::max(1.0, std::floor(m.ram_gib - p.os_reserve / kGiB)));
      const auto mb = int64_t(std::llround(want * 1024));
      t.title = "Wired limit — " + m.name;
      t.rows.push_back({"RAM", gib(p.ram, 0) + " GiB"});
      t.rows.push_back(
          {"macOS default (Metal's recommendedMaxWorkingSetSize)", gib(p.ram * m.gpu_limit_fraction, 1) + " GiB"});
      t.rows.push_back({"the plan uses", gib(p.gtt, 1) + " GiB" + (p.gtt_default ? " (macOS default)" : " (set)")});
      t.rows.push_back({"a limit of " + gib_amount(want) + " GiB" + (limit_gib ? "" : " (RAM less the OS reserve)"),
                        "sudo sysctl iogpu.wired_limit_mb=" + std::to_string(mb)});
      t.notes.push_back("Check it with 'sysctl iogpu.wired_limit_mb'; 0 is macOS's default.");
      break;
    }
    case MemoryKind::UnifiedNvidia:
      t.title = "Unified memory — " + m.name;
      t.rows.push_back({"RAM", gib(p.ram, 0) + " GiB"});
      t.rows.push_back({"what CUDA can allocate (the plan's limit)", gib(p.gtt, 1) + " GiB"});
      t.rows.push_back({"before loading a model", "sync; echo 3 | sudo tee /proc/sys/vm/drop_caches"});
      t.notes.push_back(
          "CUDA's free memory is MemFree: the page cache counts as used, so a model file just read or written leaves "
          "less to allocate (unsloth PR #10704: cuda_free 103.25 -> 41.52 GiB after writing a 60 GB file, "
          "MemAvailable unchanged). Drop the cache before loading.");
      break;
    case MemoryKind::Discrete:
      t.title = "VRAM and system RAM — " + m.name;
      t.rows.push_back({"VRAM", gib(p.carve_out, 0) + " GiB at " + num_text(m.bandwidth_gbs) + " GB/s"});
      t.rows.push_back({"system RAM", gib(p.ram, 0) + " GiB at " + num_text(m.ram_bandwidth_gbs) + " GB/s"});
      t.rows.push_back({"host link", num_text(m.link_gbs) + " GB/s (prefill uploads offloaded weights over it)"});
      t.rows.push_back({"a model larger than VRAM",
                        "llama-server -ngl 999 --n-cpu-moe N (MoE), or -ngl N (dense): each model's plan gives N"});
      break;
    case MemoryKind::AmdApu: break;
  }
  return t;
}

std::vector<Table> setup_tables(const Catalog& c, const Scenario& s, std::optional<double> gtt) {
  std::vector<Table> out;
  const Machine& m = *s.machine;
  const auto cols = setup_strategies(c, m, s.knobs);
  if (cols.empty()) {
    out.push_back(other_setup_table(m, s.knobs, gtt));
    return out;
  }
  Table t;
  t.title = "UMA-first vs GTT-first — " + m.name;
  t.headers = {""};
  for (const auto& col : cols) t.headers.push_back(col.strategy->name);
  auto row = [&](const std::string& label, auto fn) {
    std::vector<std::string> r = {label};
    for (const auto& col : cols) r.push_back(fn(col));
    t.rows.push_back(r);
  };
  row("BIOS carve-out GiB", [](const StrategyColumn& col) { return gib(col.carve_out_gib * kGiB); });
  row("GTT limit GiB", [](const StrategyColumn& col) {
    return gib(col.gtt_gib * kGiB) + (col.kernel_default ? " (kernel default)" : "");
  });
  row("OS sees GiB", [](const StrategyColumn& col) { return gib(col.os_visible_gib * kGiB); });
  for (size_t i = 0; i < cols.front().gpu_pool_gib.size(); ++i) {
    row("GPU pool: " + cols.front().gpu_pool_gib[i].first->id + " GiB",
        [i](const StrategyColumn& col) { return gib(col.gpu_pool_gib[i].second * kGiB); });
  }
  row("kernel parameters",
      [](const StrategyColumn& col) { return col.kernel_default ? std::string("none") : col.kernel.cmdline; });
  row("pros", [](const StrategyColumn& col) {
    std::string s;
    for (const auto& p : col.strategy->pros) s += (s.empty() ? "" : "; ") + p;
    return s;
  });
  row("cons", [](const StrategyColumn& col) {
    std::string s;
    for (const auto& p : col.strategy->cons) s += (s.empty() ? "" : "; ") + p;
    return s;
  });
  for (const auto& col : cols)
    for (const auto& src : col.strategy->sources) t.notes.push_back("Source (" + col.strategy->id + "): " + src);
  for (const auto& src : c.setup.hip_gtt_sources) t.notes.push_back("HIP and GTT: " + src);
  out.push_back(t);

  const KernelParams k = *advised_kernel_params(cols, gtt);
  const double want = k.gtt_gib;
  Table kp;
  kp.title = "Kernel parameters for a " + gib_amount(want) + " GiB GTT limit";
  kp.headers = {"where", "setting"};
  kp.rows.push_back({"kernel command line", k.cmdline});
  kp.rows.push_back({"/etc/modprobe.d/ttm.conf", k.modprobe.substr(0, k.modprobe.size() - 1)});
  kp.rows.push_back({"older kernels (legacy)", k.legacy_cmdline});
  kp.notes = k.notes;
  for (const auto& src : c.setup.gtt_sources) kp.notes.push_back("Source: " + src);
  out.push_back(kp);

  Table tu;
  tu.title = "Other tunings";
  tu.headers = {"tuning", "setting", "measured effect", "side effect"};
  for (const auto& x : c.setup.tunings) {
    tu.rows.push_back({x.name, x.parameter, x.effect, x.side_effect.empty() ? "-" : x.side_effect});
    for (const auto& src : x.sources) tu.notes.push_back(x.id + ": " + src);
  }
  out.push_back(tu);
  return out;
}

std::vector<Table> guide_tables(const Catalog& c, const Scenario& s, const Selection& sel, const Guide& guide) {
  Selection gs = sel;
  gs.models.clear();
  gs.quants.clear();
  Table t;
  t.title = "The guide's table, computed — " + s.machine->name;
  t.headers = {"model", "quant", "guide says", "weights GiB", "total GiB"};
  for (const Backend* b : sel.backends) t.headers.push_back(b->id);
  t.headers.push_back("GTT-first (Vulkan)");
  t.headers.push_back("what differs from the guide");
  // GTT-first knobs for the comparison column.
  Scenario gtt_first = s;
  for (const auto& col : setup_strategies(c, *s.machine, s.knobs))
    if (col.strategy->id == "gtt-first") gtt_first.knobs = col.knobs;
  for (const auto& r : guide.rows) {
    const CatalogModel* m = c.model(r.model);
    if (!m) continue;
    const FType q = r.quant;
    const auto p = make_plan(c, *m, q, s);
    std::vector<std::string> row = {m->id, preset(q).name, r.guide_says, gib(double(p.weights.total_bytes)),
                                    gib(p.total_bytes())};
    for (const Backend* b : sel.backends) row.push_back(verdict_cell(*p.find(b->id), s.machine->kind));
    const auto pg = make_plan(c, *m, q, gtt_first);
    const BackendPlan* vk = pg.find("llamacpp-vulkan");
    row.push_back(vk ? verdict_cell(*vk, s.machine->kind) : "-");
    std::string diff;
    if (r.guide_gb) {
      const double g = *r.guide_gb;
      diff = "guide ~" + fixed(g, 0) + " GB; weights alone are " + fixed(p.weights.total_bytes / 1e9, 1) + " GB (" +
             gib(double(p.weights.total_bytes)) + " GiB); plus KV " + gib(double(p.kv.kv_bytes())) + " GiB at " +
             std::to_string(s.ctx.n_ctx) + " tokens and buffers " +
             gib(double(p.buffers.compute_bytes + p.buffers.output_bytes)) + " GiB (est.)";
    } else {
      diff = "guide gives no size";
    }
    row.push_back(diff);
    t.rows.push_back(std::move(row));
    gs.models.push_back(m);
    gs.quants = {q};
  }
  t.notes.push_back(pools_note(s, machine_pools(*s.machine, s.knobs)));
  t.notes.push_back(ctx_note(s));
  t.notes.push_back("GTT-first: carve-out " + gib(machine_pools(*s.machine, gtt_first.knobs).carve_out) + " GiB, GTT " +
                    gib(machine_pools(*s.machine, gtt_first.knobs).gtt) + " GiB.");
  t.notes.push_back(kEstimateNote);

  // Speed for the guide's models, each at its own quant.
  Table sp;
  const Backend* b = sel.speed_backend();
  sp.title = "How fast — the guide's models" + (b ? ", " + b->name : "");
  sp.headers = {"model",      "quant", "active params B", "decode t/s @0", "decode t/s @" + std::to_string(s.ctx.n_ctx),
                "prefill t/s"};
  for (const auto& r : guide.rows) {
    const CatalogModel* m = c.model(r.model);
    if (!m || !b) continue;
    const FType q = r.quant;
    const auto p = make_plan(c, *m, q, s);
    const BackendPlan* bp = p.find(b->id);
    sp.rows.push_back({m->id, preset(q).name, fixed(p.weights.active_params / 1e9, 2), tps(bp->decode_tps_0),
                       tps(bp->decode_tps_ctx), tps(bp->prefill_tps)});
  }
  for (const auto& cl : guide.speed_claims)
    sp.notes.push_back("Guide: " + fixed(cl.active_b, 0) + "B active: " + cl.guide_says + ".");
  sp.notes.push_back("Speeds are estimates of the calibrated speed model (see 'haloplan speed' for bands).");
  std::vector<Table> out = {t, sp};
  for (auto& x : setup_tables(c, s, std::nullopt)) out.push_back(std::move(x));
  return out;
}

std::vector<Table> plan_tables(const Catalog& c, const Scenario& s, const Plan& p, const Selection& sel) {
  Table t;
  t.title = p.model->name + " " + p.quant_label() + " — breakdown";
  t.headers = {"term", "GiB", "how it is known"};
  t.rows.push_back(
      {"weights (" + fixed(p.weights.bits_per_weight(), 4) + " bpw)", gib(double(p.weights.total_bytes), 2),
       p.file ? "file size known (" + p.file->source + "); tensor mix estimated from " + preset(p.file->mix).name
              : "exact: llama.cpp quantisation rules over the tensor list"});
  t.rows.push_back({"  of which token_embd (host)", gib(double(p.weights.token_embd_bytes), 2), "stays in CPU memory"});
  if (p.weights.nextn_bytes > 0 && !p.mtp)
    t.rows.push_back({"MTP/NextN block (in the file, not loaded)", gib(double(p.weights.nextn_bytes), 2),
                      "exact: llama.cpp skips it unless MTP is asked for (--spec-type draft-mtp)"});
  if (p.weights.output_copy_bytes > 0)
    t.rows.push_back({"output head: token_embd again (GPU)", gib(double(p.weights.output_copy_bytes), 2),
                      "exact: llama.cpp loads tied embeddings a second time for the output"});
  t.rows.push_back({"KV cache (" + std::to_string(p.kv.n_full_layers) + " full, " + std::to_string(p.kv.n_swa_layers) +
                        " SWA layers; " + std::to_string(p.kv.n_ctx) + " cells)",
                    gib(double(p.kv.kv_bytes()), 3), "exact: llama.cpp cache layout"});
  t.rows.push_back({"recurrent state (" + std::to_string(p.kv.n_recurrent_layers) + " layers)",
                    gib(double(p.kv.state_bytes), 3),
                    p.mtp && p.mtp->n_rs_seq > 0 ? "exact: F32, per sequence, with " + std::to_string(p.mtp->n_rs_seq) +
                                                       " rollback snapshots for MTP (n_rs_seq)"
                                                 : std::string("exact: F32, per sequence")});
  t.rows.push_back(
      {"compute buffer (" + p.buffers.dominant_phase + ")", gib(double(p.buffers.compute_bytes), 3), "estimate"});
  t.rows.push_back({"output + host buffers", gib(double(p.buffers.output_bytes + p.buffers.host_compute_bytes), 3),
                    "logits exact at start-up; host inputs estimate"});
  if (p.projector_bytes > 0)
    t.rows.push_back({"vision projector (--mmproj, GPU)", gib(double(p.projector_bytes), 2),
                      s.mmproj_bytes ? std::string("the size you stated")
                                     : "published file size: " + (p.model->mmproj ? p.model->mmproj->source : "") +
                                           "; its image-encoding compute buffer is not counted"});
  if (p.mtp) {
    t.rows.push_back({"MTP/NextN block (loaded: --spec-type draft-mtp)", gib(double(p.mtp->weights_bytes), 2),
                      "exact: llama.cpp quantisation rules"});
    t.rows.push_back({"  MTP context KV cache (f16, " + std::to_string(p.model->arch.n_nextn) + " layer)",
                      gib(double(p.mtp->kv.kv_bytes()), 3), "exact: the NextN layers at the target's context"});
    t.rows.push_back({"  MTP context compute buffer", gib(double(p.mtp->compute_bytes), 3),
                      "estimate: the target's (llama.cpp reserves a graph of the same width)"});
  }
  if (p.draft) {
    const DraftPlan& d = *p.draft;
    t.rows.push_back({"draft model " + d.model->id + " " + preset(d.quant).name + " (-md): weights",
                      gib(double(d.weights.total_bytes), 2), "exact: llama.cpp quantisation rules"});
    t.rows.push_back({"  draft KV cache (f16) and state", gib(double(d.kv.kv_bytes() + d.kv.state_bytes), 3),
                      "exact: the target's context, slots and flash attention (common_base_params_to_speculative)"});
    t.rows.push_back({"  draft compute and host buffers",
                      gib(double(d.buffers.compute_bytes + d.buffers.output_bytes + d.buffers.host_compute_bytes), 3),
                      "estimate"});
  }
  if (p.buffers.checkpoint_bytes > 0)
    t.rows.push_back({"context checkpoints (llama-server, host)", gib(double(p.buffers.checkpoint_bytes), 2),
                      "up to: " + std::to_string(s.ctx.ctx_checkpoints) +
                          " per slot (--ctx-checkpoints), each the "
                          "recurrent state and SWA cells of one slot"});
  if (p.buffers.prompt_cache_bytes > 0)
    t.rows.push_back({"prompt cache (llama-server, host)", gib(double(p.buffers.prompt_cache_bytes), 2),
                      "up to: the --cache-ram cap; it fills as prompts are cached"});
  t.rows.push_back({"total", gib(p.total_bytes(), 2),
                    p.buffers.checkpoint_bytes + p.buffers.prompt_cache_bytes > 0
                        ? "without the runtime's own overhead and llama-server's up-to stores above"
                        : "without the runtime's own overhead"});
  if (!p.error.empty()) t.notes.push_back("llama.cpp would refuse these settings: " + p.error);
  if (p.file && p.mtp)
    t.notes.push_back("Whether " + file_label(*p.file) +
                      " carries the MTP block is not known (its size is what llama-bench loaded; Unsloth publishes "
                      "MTP GGUFs in their own repositories): the block is counted at " +
                      preset(p.quant).name + "'s size.");
  if (s.mtp && !p.mtp)
    t.notes.push_back(p.model->name + " has no MTP/NextN layers: it cannot self-speculate (--spec-type draft-mtp).");
  t.notes.push_back(ctx_note(s));

  Table b;
  b.title = "Per backend";
  const PoolWords& w = pool_words(s.machine->kind);
  b.headers = {"backend",
               "verdict",
               "GPU side GiB",
               std::string("in ") + (*w.dedicated ? w.dedicated : "dedicated memory"),
               std::string("in ") + w.borrowed,
               "OS free GiB",
               "max context",
               "decode t/s @0",
               "decode t/s @ctx",
               "prefill t/s"};
  for (const auto& bp : p.backends) {
    if (std::find(sel.backends.begin(), sel.backends.end(), bp.backend) == sel.backends.end()) continue;
    b.rows.push_back({bp.backend->id, verdict_cell(bp, s.machine->kind), gib(bp.placement.gpu_bytes, 2),
                      gib(bp.placement.in_carve_out, 2), gib(bp.placement.in_gtt, 2), gib(bp.placement.os_free, 1),
                      std::to_string(max_context(c, *p.model, p.quant, with_file(s, p.file), *bp.backend)),
                      tps(bp.decode_tps_0), tps(bp.decode_tps_ctx), tps(bp.prefill_tps)});
  }
  b.notes.push_back(pools_note(s, p.pools));
  b.notes.push_back("GPU side includes the runtime overhead (estimate); speeds are estimates.");
  if (p.draft || p.mtp)
    b.notes.push_back(
        "Speeds are without speculative decoding: what a draft model gains depends on how many of its tokens the "
        "target accepts, which haloplan does not estimate.");
  for (const auto& bp : p.backends)
    if (bp.backend->preallocate_fraction > 0 &&
        std::find(sel.backends.begin(), sel.backends.end(), bp.backend) != sel.backends.end())
      b.notes.push_back(bp.backend->id + " pre-allocates " + fixed(bp.backend->preallocate_fraction * 100, 0) +
                        " % of the GPU memory it sees (--gpu-memory-utilization): its GPU side is that share "
                        "whatever the model needs, and the KV cache gets what weights and activations leave.");
  return {t, b};
}

}  // namespace haloplan
