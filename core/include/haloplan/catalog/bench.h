// Layer: catalog. Measured llama-bench rows read from text: the project's calibration CSV and
// llama-bench's own output (markdown table, JSON, JSON lines), with the conditions of each row.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "haloplan/planner/ggml_types.h"
#include "haloplan/planner/quant.h"

namespace haloplan {

// One measurement: llama-bench's `test` column and its conditions.
struct BenchRow {
  int line = 0;               // line in the source text (1-based), or JSON entry number
  std::string model_id;       // catalog id, empty if the source does not name one
  std::string model_label;    // llama-bench's model type, e.g. "qwen3moe 30B.A3B Q4_K - Medium"
  std::string backend_label;  // as written: "vulkan-radv", "rocm(hip)-hipblaslt", "ROCm"…
  std::string quant;          // as written: "Q4_K_M", "UD-Q4_K_XL"…
  double file_bytes = 0;      // model file size, 0 if unknown
  double params = 0;          // total parameters, 0 if unknown
  std::string test;           // "tg128", "pp512@d4096"
  bool decode = false;        // tgN (decode) or ppN (prefill)
  int64_t n_tokens = 0, depth = 0;
  double tps = 0;           // measured tokens per second
  bool flash_attn = false;  // llama-bench's default is -fa 0
  int n_ubatch = 512;
  int build = 0;       // llama.cpp build number, 0 if unknown
  std::string date;    // "YYYY-MM" of the measurement, empty if unknown
  std::string source;  // where the row was read (the calibration CSV's source: its repository or thread)
  std::string url;     // the source as the CSV gives it (a commit-pinned file or a thread)
  std::string file;    // the CSV file it came from, for reports
  GgmlType type_k = GgmlType::F16, type_v = GgmlType::F16;
};

struct BenchRows {
  std::vector<BenchRow> rows;
  std::vector<std::string> errors;  // "line 7: ..." for rows that could not be read
};

// llama-bench test names: "tg128", "pp512", "pp512@d4096", "pp512 @ d4096".
bool parse_test_name(std::string_view test, BenchRow& into);

// CSV records (RFC 4180 quoting), each with the line it starts on; the first is the header.
std::vector<std::pair<int, std::vector<std::string>>> parse_csv(std::string_view text);

// The calibration CSV (columns of the shipped bench/data file; catalog_id, quant, file_size_gib,
// backend, test and tokens_per_s are required; fa, ub, ctk and ctv are read from notes).
BenchRows parse_calibration_csv(std::string_view text);

// A build as the calibration CSV writes it: "6077 (83bc2f28)", "b7541", "7541 (official ...)" give
// the build number; a commit hash ("5c3a586", "05fa625ea", "8161641": seven digits or more is
// never a build), a fork's local commit count below
// 1000 ("368 (0b14b87)") or prose give 0 (unknown).
int parse_build_number(std::string_view text);

// The repository or thread of a source URL: "github.com/lhl/strix-halo-testing",
// "github.com/ggml-org/llama.cpp/pull/26419". Rows of one source share builds and habits.
std::string source_of(std::string_view url);

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
//   names rocWMMA (not "rocWMMA off" or "rocWMMA FA off"), not "tune"
//                                         -> rocm-rocwmma (built with GGML_HIP_ROCWMMA_FATTN:
//                                            its flash-attention decode slows down at depth
//                                            until lhl's rocm-wmma-tune fix)
//   contains "rocm" or "hip", built before b7000 (by build number, else by a date before
//   2025-12)                              -> rocm-2025 (2025 hipBLASLt builds: flash-attention
//                                            prefill about a third as fast as in 2026 builds)
//   contains "rocm" or "hip"              -> rocm (2026 builds: ROCm 7, TheRock)
//   contains "metal" / "cuda"             -> metal / cuda
// Anything else ("unspecified") has no family and is not scored.
std::string speed_family_of(std::string_view backend_label, int build = 0, std::string_view date = "");
// Whether a build ran flash attention on prompt batches through the vec kernel (p_attn_vec): a
// HIP build before llama.cpp PR #15769 made the tile kernel fast on AMD (September 2025; the rows
// show the vec kernel's cost through b6097 and not from b6792, so the line is drawn at b6500, or
// by date at 2025-09), unless it names rocWMMA (GGML_HIP_ROCWMMA_FATTN, PR #12032: the WMMA
// kernel takes prompt batches). A family's fit counts the term only on such rows.
bool vec_flash_attention_prompts(std::string_view backend_label, int build, std::string_view date);

// The weight-type class of a quant label, for reports by class (the kernels that dequantise and
// multiply differ by class): "MXFP4" (any label naming MXFP4, gpt-oss's experts), "F16/BF16",
// "Q8_0" (with UD-Q8_K_XL, Q8_0 with a few BF16 tensors), "IQ" (i-quants), "legacy" (Q4_0, Q4_1,
// Q5_0, Q5_1), "K-quant" (Q2_K to Q6_K and Unsloth's UD-Qn_K_XL mixes), else "other".
std::string weight_class_of(std::string_view quant_label);

// The preset a quant label names ("Q4_K_M", "UD-Q4_K_XL", "q8_0"). `exact` is set when the label
// names a llama.cpp file type (so the non-expert tensors follow its rules), not when a custom mix
// is mapped to its nearest preset.
std::optional<FType> quant_of(std::string_view label, bool& exact);

}  // namespace haloplan
