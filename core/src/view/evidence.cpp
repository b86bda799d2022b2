#include "haloplan/view/evidence.h"

#include <cmath>

#include "haloplan/text/json_out.h"

namespace haloplan {

namespace {

std::string sig(double v, int digits = 3) {
  if (v == 0) return "0";
  const int mag = int(std::floor(std::log10(std::fabs(v))));
  return fixed(v, std::max(0, digits - 1 - mag));
}

std::string fitted_text(const SpeedTerm& t) {
  if (t.per_layer) return sig(t.fitted) + " µs each";
  std::string s = "× " + sig(t.fitted);
  if (t.fitted > 0) s += " (" + sig(100.0 / t.fitted, 2) + " % of peak)";
  return s;
}

std::string build_text(const MeasuredRow& r) {
  std::string s = r.backend;
  if (r.build > 0) s += ", b" + std::to_string(r.build);
  if (!r.date.empty()) s += ", " + r.date;
  return s;
}

std::string off_text(const MeasuredRow& r) {
  const double off = std::round((r.predicted / r.tps - 1) * 100);
  return (off > 0 ? "+" : "") + fixed(off == 0 ? 0.0 : off, 0) + " %";
}

void formula_rows(Table& t, const SpeedFormula& f, const std::string& figure) {
  for (const auto& term : f.terms)
    t.rows.push_back({figure, term.what + " (" + term.param + ")", amount_text(term), sig(term.peak_ms),
                      fitted_text(term), sig(term.ms)});
  t.rows.push_back({figure, "total: " + f.condition, "", "", f.speed_factor != 1 ? "÷ " + sig(f.speed_factor) : "",
                    sig(f.ms_per_token / f.speed_factor) + " → " + tps(f.tps) + " t/s"});
}

void write_formula(JsonOut& o, const char* key, const SpeedFormula& f) {
  o.key(key).obj().field("condition", f.condition).field("ms_per_token", f.ms_per_token);
  o.field("speed_factor", f.speed_factor).field("tps", f.tps).key("terms").arr();
  for (const auto& t : f.terms) {
    o.obj().field("param", t.param).field("what", t.what).field("amount", t.amount).field("unit", t.unit);
    o.field("amount_text", amount_text(t)).field("peak_ms", t.peak_ms).field("fitted", t.fitted);
    o.field("fitted_text", fitted_text(t)).field("ms", t.ms).end_obj();
  }
  o.end_arr().end_obj();
}

void write_rows(JsonOut& o, const char* key, const std::vector<NearRow>& rows) {
  o.key(key).arr();
  for (const auto& n : rows) {
    const MeasuredRow& r = *n.row;
    o.obj().field("model", r.model).field("quant", r.quant).field("test", r.test).field("fa", r.flash_attn);
    o.field("backend", r.backend).field("build", double(r.build)).field("date", r.date);
    o.field("measured", r.tps).field("predicted", r.predicted).field("match", n.match);
    o.field("source", n.source).end_obj();
  }
  o.end_arr();
}

}  // namespace

std::string amount_text(const SpeedTerm& t) {
  if (t.unit == "bytes") return sig(t.amount / 1e9) + " GB";
  if (t.unit == "FLOP") return t.amount >= 1e12 ? sig(t.amount / 1e12) + " TFLOP" : sig(t.amount / 1e9) + " GFLOP";
  if (t.unit == "layers") return fixed(t.amount, 0) + " layers";
  return sig(t.amount / 1e6) + " M " + t.unit;
}

std::vector<Table> evidence_tables(const SpeedEvidence& e, const Backend& b) {
  Table f;
  f.title = "Speed evidence: " + b.id + " (estimates)";
  f.headers = {"figure", "term", "amount per token", "at peak, ms", "fitted", "ms per token"};
  formula_rows(f, e.decode, "decode");
  formula_rows(f, e.prefill, "prefill");
  if (e.family_decode_rows + e.family_prefill_rows > 0) {
    f.notes.push_back("Parameters of the family " + e.family + " (" + e.family_name + "): fitted on " +
                      std::to_string(e.family_decode_rows) + " decode and " + std::to_string(e.family_prefill_rows) +
                      " prefill llama-bench rows, " + std::to_string(e.model_rows) + " of this model and " +
                      std::to_string(e.arch_rows) + " of its architecture (" + e.fitted_on + ").");
  } else {
    f.notes.push_back("The family " + e.family +
                      " has no calibration rows: its parameters are default efficiencies, an estimate.");
  }
  if (e.decode.speed_factor != 1)
    f.notes.push_back(b.name + " runs at " + sig(e.decode.speed_factor) + " × the family's llama.cpp figures.");
  f.notes.push_back(
      "At peak: the amount at the machine's theoretical bandwidth or FP16 FLOPS (1 µs per layer for fixed costs); "
      "the fitted multiplier is what llama-bench rows show the kernels take.");
  f.notes.push_back(std::string(e.unmeasured ? "Unmeasured architecture (bytes and FLOPs only): " : "") +
                    "80 % band: decode × " + fixed(e.decode_lo, 2) + "–" + fixed(e.decode_hi, 2) + ", prefill × " +
                    fixed(e.prefill_lo, 2) + "–" + fixed(e.prefill_hi, 2) +
                    " of the estimate (leave-one-model-out and leave-one-source-out residuals" +
                    (e.unmeasured ? ", widened to the leave-one-architecture-out ones)." : ")."));

  Table n;
  n.title = "Nearest measurements (" + e.family + ")";
  n.headers = {"figure",       "model",        "quant", "test",    "fa",    "backend, build, date",
               "measured t/s", "haloplan t/s", "off",   "near by", "source"};
  for (const auto* list : {&e.near_decode, &e.near_prefill})
    for (const auto& r : *list)
      n.rows.push_back({r.row->decode ? "decode" : "prefill", r.row->model, r.row->quant, r.row->test,
                        r.row->flash_attn ? "on" : "off", build_text(*r.row), tps(r.row->tps), tps(r.row->predicted),
                        off_text(*r.row), r.match, r.source});
  if (n.rows.empty())
    n.notes.push_back("No measured row of this family: nothing stands behind the figures but the formula.");
  else
    n.notes.push_back(
        "haloplan t/s: the shipped fit's figure for that row's own conditions (in sample). Rows: data/measured.json, "
        "from bench/data.");
  return {f, n};
}

void write_evidence(JsonOut& o, const SpeedEvidence& e) {
  o.obj().field("family", e.family).field("family_name", e.family_name).field("fitted_on", e.fitted_on);
  o.key("rows").obj().field("decode", double(e.family_decode_rows)).field("prefill", double(e.family_prefill_rows));
  o.field("model", double(e.model_rows)).field("arch", double(e.arch_rows)).end_obj();
  o.field("unmeasured", e.unmeasured);
  o.key("bands").obj().field("decode_lo", e.decode_lo).field("decode_hi", e.decode_hi);
  o.field("prefill_lo", e.prefill_lo).field("prefill_hi", e.prefill_hi).end_obj();
  write_formula(o, "decode", e.decode);
  write_formula(o, "prefill", e.prefill);
  write_rows(o, "near_decode", e.near_decode);
  write_rows(o, "near_prefill", e.near_prefill);
  o.end_obj();
}

std::string evidence_json(const SpeedEvidence& e) {
  JsonOut o;
  write_evidence(o, e);
  return o.take();
}

}  // namespace haloplan
