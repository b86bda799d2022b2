// Layer: catalog. Measured speeds in, speed-model parameters and error figures out. Shared by
// bench/calibrate (fits the shipped families), bench/accuracy (scores them), and the page and
// CLI, where a user pastes llama-bench output to calibrate their own machine. The rows come from
// haloplan/catalog/bench.h.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "haloplan/catalog/bench.h"
#include "haloplan/planner/catalog.h"
#include "haloplan/planner/speed.h"

namespace haloplan {

// The catalog model a row measures: its catalog id, else the model whose GGUF architecture
// matches llama-bench's model type and whose parameter count is within 3%.
const CatalogModel* match_model(const Catalog& c, const BenchRow& r);

struct RowFeatures {
  bool decode = false;
  DecodeFeatures fd{};
  PrefillFeatures fp{};
};

// Speed-model features of a row on a machine. Weights come from the catalog model at the row's
// quant, scaled to the row's file size when it is known (custom mixes such as UD-Q4_K_XL).
std::optional<RowFeatures> row_features(const Machine& m, const CatalogModel& model, const BenchRow& r,
                                        std::string& why_not);

double predicted_tps(const SpeedParams& p, const RowFeatures& f);

// Fits a family's parameters (non-negative, minimising relative error of time per token) and
// its 80% bands. `tps` are the measured speeds of `rows`.
// `weights` (one per row; empty: all 1) weigh rows before the robust reweighting: the shipped fit
// gives each source's rows 1/sqrt(n) each, so one source's hundreds of rows do not outvote the rest.
// `toward` (optional): parameters the fit is pulled toward, with strength lambda_decode and
// lambda_prefill (a penalty of lambda * total row weight * sum over parameters of
// ((p - toward) / toward)^2): a family with few models borrows the shape of the fit on every
// family's rows instead of bending to them. shared_decode and shared_prefill (bit j: parameter j)
// hold those parameters at `toward`'s values instead of fitting them.
SpeedParams fit_speed_params(const std::vector<RowFeatures>& rows, const std::vector<double>& tps,
                             const std::vector<double>& weights = {}, const SpeedParams* toward = nullptr,
                             double lambda_decode = 0, double lambda_prefill = 0, unsigned shared_decode = 0,
                             unsigned shared_prefill = 0);

double quantile(std::vector<double> v, double q);  // linear interpolation; NaN if empty

struct ErrorStats {
  double median = 0, p90 = 0;  // absolute relative error, as fractions
  size_t n = 0;
};
ErrorStats error_stats(const std::vector<double>& abs_rel_errors);

// A user's own measurements folded into one backend: its decode and prefill speeds are scaled.
struct Calibration {
  std::string backend;
  double decode_scale = 1, prefill_scale = 1;  // multiply the model's speeds
  int decode_rows = 0, prefill_rows = 0;       // measurements behind each scale
  // The 80% bands after the calibration, for a kind with rows (0: the backend's stay): the wider
  // of the shipped band and the family's calibrated band, widened to the rows' own leave-one-out
  // spread when there are at least kRowsForBand of them. Never narrower than the shipped band.
  double decode_lo = 0, decode_hi = 0, prefill_lo = 0, prefill_hi = 0;
};
constexpr int kRowsForBand = 3;

// Calibrations as text (links, the CLI's --cal): "backend:decode_scale:prefill_scale:decode_rows:
// prefill_rows", then the four bands when the rows set them (decode lo, hi, prefill lo, hi), comma
// separated ("llamacpp-vulkan:1.083:0.912:6:6", "llamacpp-vulkan:1.083:0.912:6:6:0.95:1.06:0.9:1.12").
std::string calibrations_text(const std::vector<Calibration>& cals);
// Empty string on success (out replaced), else what is wrong (out unchanged). "" and "default"
// are no calibrations.
std::string parse_calibrations(const std::string& text, std::vector<Calibration>& out);

struct CalibrationRow {
  BenchRow row;
  std::string model_id;
  double before = 0, after = 0;  // predicted tokens/s without and with the calibration
};

struct CalibrationResult {
  std::optional<Calibration> cal;  // empty if nothing could be used (see error)
  std::string error;
  std::vector<CalibrationRow> rows;
  std::vector<std::string> skipped;  // rows not used, each with its reason
  ErrorStats decode_before, decode_after, prefill_before, prefill_after;
  // Each row predicted with the scale the other rows of its kind give (kinds of 2 rows or more):
  // what the calibration can be expected to do for a test it has not seen.
  ErrorStats decode_loo, prefill_loo;
};

// Pasted llama-bench output against backend `b` on machine `m`; with no backend given, the one
// the rows' backend column names (Vulkan, ROCm, Metal, CUDA) among the machine's. Rows whose
// model type does not match a catalog model fall back to `fallback` (the focused model) when its
// parameter count is within 3%; others are skipped with a reason.
CalibrationResult calibrate_from_bench(const Catalog& c, const Machine& m, const Backend* b, std::string_view text,
                                       const CatalogModel* fallback);

// Applies calibrations to a catalog's backends (unknown backends are ignored).
void apply_calibrations(Catalog& c, const std::vector<Calibration>& cals);

}  // namespace haloplan
