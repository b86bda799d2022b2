// Layer: planner. ggml tensor types: block size and bytes per block, as in ggml's type_traits table.
// These are facts of the file format that never change, so they live in code.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace haloplan {

enum class GgmlType : int {
  F32 = 0,
  F16 = 1,
  Q4_0 = 2,
  Q4_1 = 3,
  Q5_0 = 6,
  Q5_1 = 7,
  Q8_0 = 8,
  Q8_1 = 9,
  Q2_K = 10,
  Q3_K = 11,
  Q4_K = 12,
  Q5_K = 13,
  Q6_K = 14,
  Q8_K = 15,
  IQ2_XXS = 16,
  IQ2_XS = 17,
  IQ3_XXS = 18,
  IQ1_S = 19,
  IQ4_NL = 20,
  IQ3_S = 21,
  IQ2_S = 22,
  IQ4_XS = 23,
  I8 = 24,
  I16 = 25,
  I32 = 26,
  I64 = 27,
  F64 = 28,
  IQ1_M = 29,
  BF16 = 30,
  TQ1_0 = 34,
  TQ2_0 = 35,
  MXFP4 = 39,
  NVFP4 = 40,
  Q1_0 = 41,
  Q2_0 = 42,
};

struct TypeTraits {
  GgmlType type;
  const char* name;  // ggml's spelling, e.g. "Q4_K"
  int block_size;    // elements per block
  int bytes_per_block;
  bool quantized;
};

const TypeTraits& traits(GgmlType t);
const std::vector<TypeTraits>& all_types();

// Case-insensitive lookup by ggml name ("q8_0", "F16", "bf16").
std::optional<GgmlType> type_from_name(std::string_view name);
// Lookup by the numeric id stored in GGUF files.
std::optional<GgmlType> type_from_id(int id);

inline const char* type_name(GgmlType t) { return traits(t).name; }

// Bytes of one row of n elements: n / block * bytes. n must be a multiple of the block size
// (callers check with row_divisible).
uint64_t row_bytes(GgmlType t, uint64_t n);
bool row_divisible(GgmlType t, uint64_t n);

// Bits per element, for display.
double bits_per_element(GgmlType t);

}  // namespace haloplan
