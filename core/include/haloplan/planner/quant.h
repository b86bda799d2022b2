// Layer: planner. llama.cpp quantisation presets (LLAMA_FTYPE_*) and the per-tensor type rules of
// src/llama-quant.cpp llama_tensor_get_type(), applied to a tensor list.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "haloplan/planner/ggml_types.h"
#include "haloplan/planner/model.h"

namespace haloplan {

// clang-format off
enum class FType {
  F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0,
  Q2_K, Q2_K_S, Q3_K_S, Q3_K_M, Q3_K_L, Q4_K_S, Q4_K_M, Q5_K_S, Q5_K_M, Q6_K,
  IQ1_S, IQ1_M, IQ2_XXS, IQ2_XS, IQ2_S, IQ2_M, IQ3_XXS, IQ3_XS, IQ3_S, IQ3_M, IQ4_NL, IQ4_XS,
  TQ1_0, TQ2_0, MXFP4_MOE,
};
// clang-format on

struct Preset {
  FType ftype;
  const char* name;  // as llama-quantize spells it, e.g. "Q4_K_M"
  GgmlType default_type;
  int llama_ftype;  // LLAMA_FTYPE_MOSTLY_* (llama.h): general.file_type and llama-quantize's argument
};

const std::vector<Preset>& all_presets();
const Preset& preset(FType f);
std::optional<FType> ftype_from_name(std::string_view name);  // case-insensitive

// The presets offered in tables, from largest to smallest (the "best quant that fits" ladder).
const std::vector<FType>& quant_ladder();
// The presets the page's picker offers: the ladder, F16, Q4_0 and MXFP4_MOE, largest first.
const std::vector<FType>& picker_quants();

struct QuantizedTensor {
  const TensorSpec* spec;
  GgmlType type;
  uint64_t bytes;
};

// Assigns a ggml type to every tensor as llama-quantize would (no imatrix, no overrides).
std::vector<QuantizedTensor> quantize(const ModelArch& arch, const std::vector<TensorSpec>& tensors, FType ftype);

}  // namespace haloplan
