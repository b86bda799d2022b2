#include "haloplan/planner/evidence.h"

#include <algorithm>
#include <cctype>
#include <cmath>

#include "haloplan/planner/speed.h"

namespace haloplan {

namespace {

// What each feature of speed.cpp measures, in its order there: the amount of work and its unit.
struct TermInfo {
  const char* what;
  const char* unit;
};
// clang-format off
const std::array<TermInfo, kDecodeParams> kDecodeInfo = {{
    {"dense weights read per token", "bytes"},
    {"routed experts read per token", "bytes"},
    {"KV cache read per token (flash attention)", "bytes"},
    {"KV cache read per token (no flash attention)", "bytes"},
    {"attention over the context (FLOPs / sqrt of query heads per KV head)", "FLOP"},
    {"fixed cost per layer", "layers"},
    {"fixed cost per MoE layer", "layers"},
    {"fixed cost per recurrent layer", "layers"}}};
const std::array<TermInfo, kPrefillParams> kPrefillInfo = {{
    {"dense matrix products per token", "FLOP"},
    {"routed expert matrix products per token", "FLOP"},
    {"attention per token, flash attention (FLOPs / sqrt of query heads per KV head)", "FLOP"},
    {"attention per token, no flash attention (FLOPs / sqrt of query heads per KV head)", "FLOP"},
    {"weights read once per ubatch, per token", "bytes"},
    {"recurrent state updates per token", "state elements"},
    {"attention per token, one query at a time over every cached position (flash attention)", "FLOP"}}};
// clang-format on

template <size_t N>
SpeedFormula formula(const std::array<TermInfo, N>& info, const std::array<const char*, N>& names,
                     const std::array<double, N>& features, const std::array<double, N>& params,
                     const std::array<double, N>& amounts, double speed_factor, std::string condition) {
  SpeedFormula f;
  f.condition = std::move(condition);
  f.speed_factor = speed_factor;
  for (size_t i = 0; i < N; ++i) {
    // A term this model or setting does not have, or one the fit found costs nothing.
    if (features[i] == 0 || params[i] == 0) continue;
    SpeedTerm t;
    t.param = names[i];
    t.what = info[i].what;
    t.unit = info[i].unit;
    t.per_layer = t.unit == std::string("layers");
    t.amount = amounts[i];
    t.peak_ms = features[i] * 1e3;
    t.fitted = params[i];
    t.ms = t.peak_ms * params[i];
    f.ms_per_token += t.ms;
    f.terms.push_back(std::move(t));
  }
  f.tps = f.ms_per_token > 0 ? speed_factor * 1e3 / f.ms_per_token : 0;
  return f;
}

double active_b(const CatalogModel& m) {
  if (m.published_active_b > 0) return m.published_active_b;
  if (m.published_total_b > 0 && m.arch.moe.n_expert == 0) return m.published_total_b;
  return double(model_weights(m, FType::Q8_0).active_params) / 1e9;
}

std::string lower(std::string s) {
  for (auto& ch : s) ch = char(std::tolower(static_cast<unsigned char>(ch)));
  return s;
}

// A label as files name it: MXFP4 and MXFP4_MOE are one format.
std::string quant_key(const std::string& label) {
  std::string s = lower(label);
  if (s.size() > 4 && s.compare(s.size() - 4, 4, "_moe") == 0) s.resize(s.size() - 4);
  return s;
}

// The quant's stem: "UD-Q4_K_XL" -> "q4", "Q4_K_M" -> "q4", "IQ4_XS" -> "iq4", "MXFP4_MOE" -> "mxfp4".
std::string quant_stem(const std::string& label) {
  std::string s = lower(label);
  if (s.rfind("ud-", 0) == 0) s = s.substr(3);
  const size_t cut = s.find('_');
  return cut == std::string::npos ? s : s.substr(0, cut);
}

double log_ratio(double a, double b) { return a > 0 && b > 0 ? std::fabs(std::log(a / b)) : 3.0; }

}  // namespace

SpeedEvidence speed_evidence(const Catalog& c, const Plan& plan, const BackendPlan& bp, const Scenario& s,
                             size_t n_near) {
  SpeedEvidence e;
  const Backend& b = *bp.backend;
  const CatalogModel& model = *plan.model;
  e.family = b.speed_family;
  for (const auto& f : c.speed_families)
    if (f.id == b.speed_family) e.family_name = f.name;
  e.fitted_on = b.speed.fitted_on;
  e.family_decode_rows = b.speed.decode_rows, e.family_prefill_rows = b.speed.prefill_rows;
  e.unmeasured = bp.unmeasured;
  e.decode_lo = bp.decode_lo, e.decode_hi = bp.decode_hi, e.prefill_lo = bp.prefill_lo, e.prefill_hi = bp.prefill_hi;
  if (!s.machine) return e;

  // The formulas, with the same features and parameters decode_tps_at and prefill_tps use.
  const SpeedInputs& in = plan.speed_in;
  const double bw = s.machine->bandwidth_gbs * 1e9, flops = s.machine->fp16_tflops * 1e12;
  if (bw > 0 && flops > 0) {
    const double kv0 = double(kv_read_bytes(model.arch, s.ctx, 0));
    const auto df = decode_features(in, kv0, 0, s.ctx.flash_attn, flops, bw);
    const std::array<double, kDecodeParams> d_amount = {in.weight_read_bytes - in.expert_read_bytes,
                                                        in.expert_read_bytes,
                                                        kv0,
                                                        kv0,
                                                        attention_flops(in, 0),
                                                        double(in.n_layer),
                                                        double(in.n_moe_layers),
                                                        double(in.n_recurrent_layers)};
    e.decode = formula(kDecodeInfo, kDecodeParamNames, df, b.speed.decode, d_amount, b.speed_factor, "decode, depth 0");
    const double mean_ctx = double(s.prompt_tokens) / 2.0;
    const auto pf = prefill_features(in, 0, double(s.prompt_tokens), s.ctx.flash_attn, flops, bw, s.ctx.n_ubatch);
    const double attn = attention_flops(in, mean_ctx);
    const double end = mean_ubatch_end(0, double(s.prompt_tokens), s.ctx.n_ubatch);
    const double swa_end = in.window > 0 ? std::min(end, double(in.window) + std::max(1, s.ctx.n_ubatch)) : 0.0;
    const std::array<double, kPrefillParams> p_amount = {
        2.0 * in.prefill_dense_params,
        2.0 * in.active_expert_params,
        attn,
        attn,
        in.all_weight_bytes / double(std::max(1, s.ctx.n_ubatch)),
        2.0 * in.recurrent_state_elems,
        in.attn_qflops_per_ctx * end + in.attn_qflops_per_ctx_swa * swa_end};
    e.prefill = formula(kPrefillInfo, kPrefillParamNames, pf, b.speed.prefill, p_amount, b.speed_factor,
                        "prefill of " + std::to_string(s.prompt_tokens) + " tokens from an empty context");
  }

  if (!c.measured) return e;
  // The rows of the family, nearest first: the same model (then architecture, then size), the
  // same quant, flash attention as planned, and a test close to the figure (decode at depth 0,
  // prefill of the prompt from empty).
  const std::string quant = plan.file ? plan.file->tag : preset(plan.quant).name;
  const double target_b = active_b(model);
  std::vector<NearRow> dec, pre;
  for (const auto& r : c.measured->rows) {
    if (r.family != e.family) continue;
    const CatalogModel* rm = c.model(r.model);
    if (!rm) continue;
    const bool same_model = rm->id == model.id, same_arch = rm->arch.arch == model.arch.arch;
    if (same_model) ++e.model_rows;
    if (same_arch) ++e.arch_rows;
    NearRow n;
    n.row = &r;
    n.source = r.source < c.measured->sources.size() ? c.measured->sources[r.source] : "";
    double d = 0;
    if (same_model) n.match = "same model";
    else if (same_arch) d += 1.5 + log_ratio(active_b(*rm), target_b), n.match = "same architecture";
    else
      d += 3 + 1.5 * log_ratio(active_b(*rm), target_b) +
           ((rm->arch.moe.n_expert > 0) != (model.arch.moe.n_expert > 0) ? 1 : 0),
          n.match = "other architecture";
    if (quant_key(r.quant) == quant_key(quant)) n.match += ", same quant";
    else d += quant_stem(r.quant) == quant_stem(quant) ? 0.4 : 1.0;
    if (r.flash_attn != s.ctx.flash_attn) d += 0.5;
    d += 0.4 * std::log((double(r.depth) + 1024) / 1024);
    if (!r.decode) d += 0.3 * log_ratio(double(r.n_tokens), double(std::max<int64_t>(1, s.prompt_tokens)));
    n.distance = d;
    (r.decode ? dec : pre).push_back(std::move(n));
  }
  auto nearest = [n_near](std::vector<NearRow>& v) {
    std::stable_sort(v.begin(), v.end(), [](const NearRow& a, const NearRow& b) {
      if (a.distance != b.distance) return a.distance < b.distance;
      return a.row->date > b.row->date;  // the newer measurement first
    });
    // Repeats of one measurement (the same test on the same build, another run) show once.
    std::vector<NearRow> out;
    for (auto& n : v) {
      if (out.size() == n_near) break;
      const MeasuredRow& r = *n.row;
      const bool repeat = std::any_of(out.begin(), out.end(), [&](const NearRow& o) {
        const MeasuredRow& x = *o.row;
        return x.model == r.model && x.quant == r.quant && x.test == r.test && x.flash_attn == r.flash_attn &&
               x.backend == r.backend && x.build == r.build;
      });
      if (!repeat) out.push_back(std::move(n));
    }
    return out;
  };
  e.near_decode = nearest(dec);
  e.near_prefill = nearest(pre);
  return e;
}

}  // namespace haloplan
