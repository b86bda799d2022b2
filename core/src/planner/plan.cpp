#include "haloplan/planner/plan.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <deque>

namespace haloplan {

namespace detail {
struct WeightMemo {
  struct Item {
    FType quant;
    WeightBreakdown w;
    SpeedInputs speed;  // speed_inputs(arch, w): a loop over the layers, so once per preset too
  };
  std::vector<TensorSpec> tensors;  // built on first use
  std::deque<Item> items;           // deque: references stay valid on growth
};
}  // namespace detail

// The tensor list and llama.cpp's per-tensor type rules are the planner's one costly step; every
// other term is a few multiplications. Compute each (model, preset) once.
namespace {
const detail::WeightMemo::Item& memo_item(const CatalogModel& m, FType q) {
  if (!m.memo) m.memo = std::make_shared<detail::WeightMemo>();
  for (const auto& it : m.memo->items)
    if (it.quant == q) return it;
  if (m.memo->tensors.empty()) m.memo->tensors = build_tensors(m.arch, /*names=*/false);
  WeightBreakdown w = weight_breakdown(m.arch, m.memo->tensors, q);
  if (m.file && m.file->quant == q) {
    // The file's own bytes: llama.cpp's rules give the layout, the header gives the total.
    w = scale_to_file_size(w, m.file->weights_bytes);
    if (m.file->token_embd_bytes > 0) {
      w.token_embd_bytes = m.file->token_embd_bytes;
      if (m.arch.tied_embeddings) w.output_copy_bytes = w.token_embd_bytes;
    }
  }
  SpeedInputs in = speed_inputs(m.arch, w);
  return m.memo->items.emplace_back(detail::WeightMemo::Item{q, std::move(w), in});
}
}  // namespace

const WeightBreakdown& model_weights(const CatalogModel& m, FType q) { return memo_item(m, q).w; }

const BackendPlan* Plan::find(std::string_view id) const {
  for (const auto& b : backends)
    if (b.backend->id == id) return &b;
  return nullptr;
}

std::vector<const Backend*> backends_for(const Catalog& c, const Machine& m) {
  std::vector<const Backend*> out;
  for (const auto& b : c.backends)
    if (std::find(b.machine_kinds.begin(), b.machine_kinds.end(), m.kind) != b.machine_kinds.end()) out.push_back(&b);
  return out;
}

namespace {

struct MemoryTerms {
  WeightBreakdown w;
  KvBreakdown kv;
  BufferEstimate buf;
  uint64_t projector = 0;
  std::optional<DraftPlan> draft;
  std::optional<MtpPlan> mtp;
};

// llama-server's draft-mtp: n_max = 3 tokens drafted (common.h), the snapshots the target keeps.
constexpr int kMtpDraftMax = 3;

std::optional<DraftPlan> draft_terms(const Scenario& s) {
  if (!s.draft) return std::nullopt;
  DraftPlan d;
  d.model = s.draft;
  d.quant = s.draft_quant;
  d.weights = model_weights(*s.draft, s.draft_quant);
  ContextParams cp = s.ctx;
  cp.type_k = cp.type_v = GgmlType::F16;
  d.kv = kv_cache(s.draft->arch, cp);
  d.buffers = buffers(s.draft->arch, cp, d.kv);
  d.buffers.checkpoint_bytes = d.buffers.prompt_cache_bytes = 0;  // the server's stores are the target's
  return d;
}

MemoryTerms memory_terms(const CatalogModel& model, FType quant, const Scenario& s) {
  MemoryTerms t;
  t.w = model_weights(model, quant);
  const uint64_t nextn = t.w.nextn_bytes;  // at the preset (a published file's mix)
  if (s.file_bytes) {
    t.w = scale_to_file_size(t.w, *s.file_bytes);
    // A published size is llama-bench's: what is loaded. Whether the file also carries an MTP
    // block is not known.
    if (s.file) t.w.nextn_bytes = 0;
  }
  const bool mtp = s.mtp && model.arch.n_nextn > 0;
  ContextParams cp = s.ctx;
  if (mtp) cp.n_rs_seq = kMtpDraftMax;
  t.kv = kv_cache(model.arch, cp);
  t.buf = buffers(model.arch, cp, t.kv);
  if (mtp) {
    MtpPlan m;
    m.weights_bytes = nextn;
    ContextParams mc = s.ctx;
    mc.type_k = mc.type_v = GgmlType::F16;  // the draft's cache types (-ctkd/-ctvd)
    m.kv = mtp_kv_cache(model.arch, mc);
    m.compute_bytes = t.buf.compute_bytes;
    m.n_rs_seq = supports_rs_rollback(model.arch) ? kMtpDraftMax : 0;
    t.mtp = m;
  }
  const bool extras = !s.extras_for || s.extras_for == &model;
  if (s.vision) t.projector = s.mmproj_bytes && extras ? *s.mmproj_bytes : (model.mmproj ? model.mmproj->bytes : 0);
  if (extras) t.draft = draft_terms(s);
  return t;
}

// GPU side: every weight but token_embd (llama.cpp keeps it on the CPU) plus, for tied
// embeddings, token_embd's copy as the output head; KV, state, compute buffer and the runtime's
// own allocations. Host side: token_embd, logits, host compute buffer.
// The projector and the draft model's layers are on the GPU too (llama-server offloads both by
// default: --mmproj-offload, -ngld).
double gpu_side(const MemoryTerms& t, double overhead) {
  return double(t.w.total_bytes - t.w.token_embd_bytes + t.w.output_copy_bytes) + double(t.kv.kv_bytes()) +
         double(t.kv.state_bytes) + double(t.buf.compute_bytes) + overhead + double(t.projector) +
         (t.draft ? t.draft->gpu_bytes() : 0.0) + (t.mtp ? t.mtp->gpu_bytes() : 0.0);
}
double host_side(const MemoryTerms& t) {
  // llama-server's checkpoints and prompt cache grow with use up to their caps: shown beside the
  // plan, not in the verdicts.
  return double(t.w.token_embd_bytes) + double(t.buf.output_bytes) + double(t.buf.host_compute_bytes) +
         (t.draft ? t.draft->host_bytes() : 0.0);
}

// Where a backend's allocations land. A pre-allocating backend (vLLM) takes its share of the GPU
// memory it sees whatever the model needs, and refuses to start when the model needs more.
Placement backend_placement(const MemoryTerms& t, const Pools& p, const Backend& b, const Knobs& k) {
  const bool gtt = backend_reaches_gtt(b, k);
  const double need = gpu_side(t, b.runtime_overhead_mib * 1048576.0);
  if (b.preallocate_fraction <= 0) return place(p, gtt, need, host_side(t));
  const double budget = b.preallocate_fraction * (p.carve_out + (gtt ? p.gtt : 0.0));
  if (need <= budget) return place(p, gtt, budget, host_side(t));
  Placement r = place(p, gtt, need, host_side(t));
  r.verdict = Verdict::NoFit;
  r.headroom = budget - need;
  return r;
}

bool fits(const MemoryTerms& t, const Pools& p, const Backend& b, const Knobs& k) {
  const auto pl = backend_placement(t, p, b, k);
  return pl.verdict == Verdict::CarveOut || pl.verdict == Verdict::Gtt;
}

}  // namespace

void share_weight_memos(const Catalog& c) {
  for (const auto& m : c.models)
    if (!m.memo) m.memo = std::make_shared<detail::WeightMemo>();
}

Scenario with_file(Scenario s, const PublishedFile* f) {
  s.file = f;
  if (f) s.file_bytes = f->weights_bytes;
  else s.file_bytes.reset();
  return s;
}

std::string file_label(const PublishedFile& f) { return f.tag + " (" + f.publisher + ")"; }

std::string Plan::quant_label() const { return file ? file_label(*file) : std::string(preset(quant).name); }

std::string draft_refusal(const CatalogModel& target, const CatalogModel& draft) {
  const int64_t diff = std::llabs(target.arch.n_vocab - draft.arch.n_vocab);
  if (diff <= 128) return "";
  return "llama.cpp refuses " + draft.name + " as a draft for " + target.name + ": their vocabularies (" +
         std::to_string(draft.arch.n_vocab) + " and " + std::to_string(target.arch.n_vocab) +
         " tokens) differ by more than 128";
}

Plan make_plan(const Catalog& c, const CatalogModel& model, FType quant, const Scenario& s) {
  Plan plan;
  plan.model = &model;
  plan.file = s.file;
  plan.quant = s.file ? s.file->mix : quant;
  quant = plan.quant;
  const auto t = memory_terms(model, quant, s);
  plan.weights = t.w;
  plan.kv = t.kv;
  plan.buffers = t.buf;
  plan.projector_bytes = t.projector;
  plan.draft = t.draft;
  plan.mtp = t.mtp;
  plan.error = t.kv.error;
  if (plan.error.empty() && t.draft) {
    plan.error = draft_refusal(model, *t.draft->model);
    if (plan.error.empty() && !t.draft->kv.error.empty()) plan.error = "draft model: " + t.draft->kv.error;
  }
  plan.speed_in = s.file_bytes ? speed_inputs(model.arch, t.w) : memo_item(model, quant).speed;
  if (!s.machine) return plan;
  plan.pools = machine_pools(*s.machine, s.knobs);
  const int64_t full_depth = std::min<int64_t>(s.ctx.n_ctx, t.kv.n_ctx_seq);
  // KV bytes read per token at depth 0 and with the context full: the same for every backend.
  const double kv_read_0 = double(kv_read_bytes(model.arch, s.ctx, 0));
  const double kv_read_full = double(kv_read_bytes(model.arch, s.ctx, full_depth));
  for (const Backend* b : backends_for(c, *s.machine)) {
    BackendPlan bp;
    bp.backend = b;
    bp.reaches_gtt = backend_reaches_gtt(*b, s.knobs);
    bp.overhead_bytes = b->runtime_overhead_mib * 1048576.0;
    bp.placement = backend_placement(t, plan.pools, *b, s.knobs);
    // One rule for refused settings: every part that reads a verdict says so.
    if (!plan.error.empty()) bp.placement.verdict = Verdict::Refused;
    // A discrete GPU keeps VRAM full and runs the rest from system RAM.
    if (s.machine->kind == MemoryKind::Discrete) {
      const double kv = double(t.kv.kv_bytes()), vram = plan.pools.carve_out;
      if (s.n_cpu_moe) {
        // The user's split: what stays on the GPU must fit VRAM, or llama.cpp runs out of it.
        bp.offload = offload_layers(t.w, plan.speed_in, *s.n_cpu_moe - plan.speed_in.first_moe_layer, 0);
        const double on_gpu = bp.placement.gpu_bytes - offload_freed_bytes(bp.offload, kv);
        if (bp.placement.verdict != Verdict::Refused) {
          if (on_gpu > vram) {
            bp.placement.verdict = Verdict::NoFit;
            bp.placement.headroom = vram - on_gpu;
          } else if (!bp.offload.any()) {
            bp.placement.verdict = Verdict::CarveOut;
            bp.placement.headroom = vram - on_gpu;
          }
        }
      } else if (bp.placement.gpu_bytes > vram) {
        bp.offload = offload_for(t.w, plan.speed_in, kv, bp.placement.gpu_bytes - vram);
      }
    }
    const Offload& o = bp.offload;
    bp.decode_tps_0 = decode_tps_offload(*b, *s.machine, plan.speed_in, o, kv_read_0, 0, s.ctx.flash_attn);
    bp.decode_tps_ctx =
        decode_tps_offload(*b, *s.machine, plan.speed_in, o, kv_read_full, double(full_depth), s.ctx.flash_attn);
    bp.prefill_tps = prefill_tps_offload(*b, *s.machine, plan.speed_in, o, s.prompt_tokens, 0, s.ctx);
    bp.ttft_s = bp.prefill_tps > 0 ? double(s.prompt_tokens) / bp.prefill_tps : 0;
    bp.decode_lo = b->speed.decode_lo, bp.decode_hi = b->speed.decode_hi;
    bp.prefill_lo = b->speed.prefill_lo, bp.prefill_hi = b->speed.prefill_hi;
    const bool calibrated = b->speed.decode_rows + b->speed.prefill_rows > 0;
    if (calibrated && !b->speed.measured_archs.empty() && !b->speed.measured(model.arch.arch)) {
      bp.unmeasured = true;
      bp.decode_lo = b->speed.unmeasured_decode_lo, bp.decode_hi = b->speed.unmeasured_decode_hi;
      bp.prefill_lo = b->speed.unmeasured_prefill_lo, bp.prefill_hi = b->speed.unmeasured_prefill_hi;
    }
    if (b->decode_lo > 0)  // the backend's own runs around its speed factor
      bp.decode_lo = std::min(bp.decode_lo, b->decode_lo), bp.decode_hi = std::max(bp.decode_hi, b->decode_hi);
    if (bp.offload.any()) {
      bp.decode_lo = kOffloadDecodeLo, bp.decode_hi = kOffloadDecodeHi;
      bp.prefill_lo = kOffloadPrefillLo, bp.prefill_hi = kOffloadPrefillHi;
    }
    plan.backends.push_back(bp);
  }
  return plan;
}

int64_t max_context(const Catalog&, const CatalogModel& model, FType quant, const Scenario& s, const Backend& b,
                    bool carve_out_only) {
  if (!s.machine) return 0;
  const Pools p = machine_pools(*s.machine, s.knobs);
  Scenario probe = s;
  auto ok = [&](int64_t cells) {
    probe.ctx.n_ctx = cells * 256;
    const auto t = memory_terms(model, quant, probe);
    if (!t.kv.error.empty()) return false;
    return carve_out_only ? backend_placement(t, p, b, s.knobs).verdict == Verdict::CarveOut : fits(t, p, b, s.knobs);
  };
  const int64_t hi_cells = std::max<int64_t>(1, model.arch.max_context / 256);
  if (!ok(1)) return 0;
  int64_t lo = 1, hi = hi_cells;
  if (ok(hi)) return std::min<int64_t>(hi * 256, model.arch.max_context);
  while (hi - lo > 1) {  // invariant: ok(lo), !ok(hi); memory grows with context
    const int64_t mid = lo + (hi - lo) / 2;
    (ok(mid) ? lo : hi) = mid;
  }
  return lo * 256;
}

std::optional<FType> best_quant(const Catalog&, const CatalogModel& model, const Scenario& s, const Backend& b) {
  if (!s.machine) return std::nullopt;
  const Pools p = machine_pools(*s.machine, s.knobs);
  Scenario probe = with_file(s, nullptr);
  for (FType f : quant_ladder()) {
    if (fits(memory_terms(model, f, probe), p, b, s.knobs)) return f;
  }
  return std::nullopt;
}

std::optional<double> min_gtt_gib(const Catalog&, const CatalogModel& model, FType quant, const Scenario& s,
                                  const Backend& b) {
  if (!s.machine || s.machine->kind != MemoryKind::AmdApu) return std::nullopt;
  Knobs k = s.knobs;
  if (!backend_reaches_gtt(b, k)) return std::nullopt;
  const auto t = memory_terms(model, quant, s);
  // A pre-allocating backend needs its share of the pool to cover the model.
  const double need =
      gpu_side(t, b.runtime_overhead_mib * 1048576.0) / (b.preallocate_fraction > 0 ? b.preallocate_fraction : 1.0);
  const double carve = machine_pools(*s.machine, s.knobs).carve_out;
  const double gib = std::max(0.0, std::ceil((need - carve) / kGiB));
  k.gtt_gib = gib;
  const Pools p = machine_pools(*s.machine, k);
  if (p.gtt + 0.5 < gib * kGiB) return std::nullopt;  // capped by the RAM the OS sees
  if (!fits(t, p, b, k)) return std::nullopt;
  return gib;
}

std::optional<double> min_carve_out_gib(const Catalog&, const CatalogModel& model, FType quant, const Scenario& s,
                                        const Backend& b) {
  if (!s.machine || s.machine->kind != MemoryKind::AmdApu) return std::nullopt;
  auto opts = s.machine->carve_out_options_gib;
  std::sort(opts.begin(), opts.end());
  const auto t = memory_terms(model, quant, s);
  for (double o : opts) {
    Knobs k = s.knobs;
    k.carve_out_gib = o;
    if (fits(t, machine_pools(*s.machine, k), b, k)) return o;
  }
  return std::nullopt;
}

}  // namespace haloplan
