// Measured speeds in, speed-model parameters and error figures out. Shared by bench/calibrate
// (fits the shipped families), bench/accuracy (scores them), and the page and CLI, where a user
// pastes llama-bench output to calibrate their own machine.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "haloplan/catalog.h"
#include "haloplan/ggml_types.h"
#include "haloplan/speed.h"

namespace haloplan {

// One measurement: llama-bench's `test` column and its conditions.
struct BenchRow {
  int line = 0;                 // line in the source text (1-based), or JSON entry number
  std::string model_id;         // catalog id, empty if the source does not name one
  std::string model_label;      // llama-bench's model type, e.g. "qwen3moe 30B.A3B Q4_K - Medium"
  std::string backend_label;    // as written: "vulkan-radv", "rocm(hip)-hipblaslt", "ROCm"…
  std::string quant;            // as written: "Q4_K_M", "UD-Q4_K_XL"…
  double file_bytes = 0;        // model file size, 0 if unknown
  double params = 0;            // total parameters, 0 if unknown
  std::string test;             // "tg128", "pp512@d4096"
  bool decode = false;          // tgN (decode) or ppN (prefill)
  int64_t n_tokens = 0, depth = 0;
  double tps = 0;               // measured tokens per second
  bool flash_attn = false;      // llama-bench's default is -fa 0
  int n_ubatch = 512;
  int build = 0;                // llama.cpp build number, 0 if unknown
  GgmlType type_k = GgmlType::F16, type_v = GgmlType::F16;
};

struct BenchRows {
  std::vector<BenchRow> rows;
  std::vector<std::string> errors;  // "line 7: ..." for rows that could not be read
};

// llama-bench test names: "tg128", "pp512", "pp512@d4096", "pp512 @ d4096".
bool parse_test_name(std::string_view test, BenchRow& into);

// The calibration CSV (columns of the shipped bench/data file; catalog_id, quant, file_size_gib,
// backend, test and tokens_per_s are required; fa, ub, ctk and ctv are read from notes).
BenchRows parse_calibration_csv(std::string_view text);

// llama-bench output: the markdown table (-o md, the default), JSON (-o json) or JSON lines.
BenchRows parse_llama_bench(std::string_view text);

// Backend labels vary by source. Families, by the first rule that matches (case-insensitive):
//   starts with "unspecified"             -> none
//   contains "amdvlk"                     -> vulkan-amdvlk
//   contains "vulkan" or "radv"           -> vulkan-radv (RADV is Mesa's default driver)
//   contains "rocm" or "hip", no "hipblaslt", build before b6500
//                                         -> rocm-rocblas (2025 ROCm 6.4 builds whose matrix
//                                            multiplications went through rocBLAS, about a third
//                                            of hipBLASLt's prefill speed on gfx1151)
//   contains "rocwmma", not "tune"        -> rocm-rocwmma (built with GGML_HIP_ROCWMMA_FATTN:
//                                            its flash-attention decode slows down at depth
//                                            until lhl's rocm-wmma-tune fix)
//   contains "rocm" or "hip"              -> rocm (default HIP builds: hipBLASLt or ROCm 7)
//   contains "metal" / "cuda"             -> metal / cuda
// Anything else ("unspecified") has no family and is not scored.
std::string speed_family_of(std::string_view backend_label, int build = 0);

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
SpeedParams fit_speed_params(const std::vector<RowFeatures>& rows, const std::vector<double>& tps);

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
};

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
