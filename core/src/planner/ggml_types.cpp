#include "haloplan/planner/ggml_types.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <stdexcept>

namespace haloplan {

namespace {
// Source: ggml src/ggml.c type_traits[] (block structs static_asserted in ggml-common.h);
// the same table is in shared reference ggml_types.json.
const std::vector<TypeTraits> kTypes = {
    // clang-format off
    {GgmlType::F32, "F32", 1, 4, false},        {GgmlType::F16, "F16", 1, 2, false},
    {GgmlType::Q4_0, "Q4_0", 32, 18, true},      {GgmlType::Q4_1, "Q4_1", 32, 20, true},
    {GgmlType::Q5_0, "Q5_0", 32, 22, true},      {GgmlType::Q5_1, "Q5_1", 32, 24, true},
    {GgmlType::Q8_0, "Q8_0", 32, 34, true},      {GgmlType::Q8_1, "Q8_1", 32, 36, true},
    {GgmlType::Q2_K, "Q2_K", 256, 84, true},     {GgmlType::Q3_K, "Q3_K", 256, 110, true},
    {GgmlType::Q4_K, "Q4_K", 256, 144, true},    {GgmlType::Q5_K, "Q5_K", 256, 176, true},
    {GgmlType::Q6_K, "Q6_K", 256, 210, true},    {GgmlType::Q8_K, "Q8_K", 256, 292, true},
    {GgmlType::IQ2_XXS, "IQ2_XXS", 256, 66, true}, {GgmlType::IQ2_XS, "IQ2_XS", 256, 74, true},
    {GgmlType::IQ3_XXS, "IQ3_XXS", 256, 98, true}, {GgmlType::IQ1_S, "IQ1_S", 256, 50, true},
    {GgmlType::IQ4_NL, "IQ4_NL", 32, 18, true},  {GgmlType::IQ3_S, "IQ3_S", 256, 110, true},
    {GgmlType::IQ2_S, "IQ2_S", 256, 82, true},   {GgmlType::IQ4_XS, "IQ4_XS", 256, 136, true},
    {GgmlType::I8, "I8", 1, 1, false},           {GgmlType::I16, "I16", 1, 2, false},
    {GgmlType::I32, "I32", 1, 4, false},         {GgmlType::I64, "I64", 1, 8, false},
    {GgmlType::F64, "F64", 1, 8, false},         {GgmlType::IQ1_M, "IQ1_M", 256, 56, true},
    {GgmlType::BF16, "BF16", 1, 2, false},       {GgmlType::TQ1_0, "TQ1_0", 256, 54, true},
    {GgmlType::TQ2_0, "TQ2_0", 256, 66, true},   {GgmlType::MXFP4, "MXFP4", 32, 17, true},
    {GgmlType::NVFP4, "NVFP4", 64, 36, true},    {GgmlType::Q1_0, "Q1_0", 128, 18, true},
    // clang-format on
    {GgmlType::Q2_0, "Q2_0", 64, 18, true},
};

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::toupper(static_cast<unsigned char>(a[i])) != std::toupper(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}
}  // namespace

const std::vector<TypeTraits>& all_types() { return kTypes; }

const TypeTraits& traits(GgmlType t) {
  // Row sizes are computed for every tensor and every layer of every plan: index, don't search.
  static const std::array<const TypeTraits*, 64> by_id = [] {
    std::array<const TypeTraits*, 64> a{};
    for (const auto& tr : kTypes) {
      const int id = static_cast<int>(tr.type);
      if (id >= 0 && id < int(a.size())) a[size_t(id)] = &tr;
    }
    return a;
  }();
  const int id = static_cast<int>(t);
  if (id >= 0 && id < int(by_id.size()) && by_id[size_t(id)]) return *by_id[size_t(id)];
  throw std::logic_error("unknown ggml type id " + std::to_string(id));
}

std::optional<GgmlType> type_from_name(std::string_view name) {
  for (const auto& tr : kTypes)
    if (iequals(tr.name, name)) return tr.type;
  return std::nullopt;
}

std::optional<GgmlType> type_from_id(int id) {
  for (const auto& tr : kTypes)
    if (static_cast<int>(tr.type) == id) return tr.type;
  return std::nullopt;
}

bool row_divisible(GgmlType t, uint64_t n) { return n % traits(t).block_size == 0; }

uint64_t row_bytes(GgmlType t, uint64_t n) {
  const auto& tr = traits(t);
  return n / tr.block_size * tr.bytes_per_block;
}

double bits_per_element(GgmlType t) {
  const auto& tr = traits(t);
  return 8.0 * tr.bytes_per_block / tr.block_size;
}

}  // namespace haloplan
