// Layer: catalog. GGUF headers (versions 2 and 3): metadata and the tensor-info table, read from a prefix of the
// file — never the whole file. Nothing read from the file is trusted: every length, count and
// dimension is bounded and every size computation is overflow-checked.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "haloplan/planner/ggml_types.h"

namespace haloplan {

enum class GgufType : uint32_t {
  U8 = 0,
  I8 = 1,
  U16 = 2,
  I16 = 3,
  U32 = 4,
  I32 = 5,
  F32 = 6,
  Bool = 7,
  String = 8,
  Array = 9,
  U64 = 10,
  I64 = 11,
  F64 = 12,
};

struct GgufValue {
  GgufType type = GgufType::U8;
  double num = 0;                // numbers and booleans
  std::string str;               // strings (bounded)
  GgufType elem = GgufType::U8;  // arrays: element type and count
  uint64_t count = 0;
  std::vector<double> nums;  // numeric arrays up to kGgufKeptArray elements (longer: empty)
  bool is_number() const { return type != GgufType::String && type != GgufType::Array; }
};

struct GgufTensor {
  std::string name;
  int n_dims = 0;
  uint64_t ne[4] = {1, 1, 1, 1};
  GgmlType type = GgmlType::F32;
  uint64_t offset = 0;
  uint64_t bytes = 0;  // row size x rows, as ggml allocates it
};

struct GgufHeader {
  uint32_t version = 0;
  std::map<std::string, GgufValue> kv;
  std::vector<GgufTensor> tensors;
  uint64_t header_bytes = 0;  // where the tensor-info table ends
  uint64_t alignment = 32;

  const GgufValue* find(const std::string& key) const;
  std::optional<double> number(const std::string& key) const;
  std::optional<std::string> string(const std::string& key) const;
  uint64_t weight_bytes() const;
};

constexpr uint64_t kGgufMaxString = 1 << 20;           // any one string
constexpr uint64_t kGgufMaxArray = uint64_t(1) << 26;  // elements of one array
constexpr uint64_t kGgufMaxKv = 1 << 20;
constexpr uint64_t kGgufMaxTensors = 1 << 20;
constexpr uint64_t kGgufMaxHeader = uint64_t(1) << 30;  // bytes read at most
constexpr uint64_t kGgufKeptArray = 1 << 16;

struct GgufParse {
  enum class Status { Ok, NeedMore, Error } status = Status::Error;
  uint64_t need_bytes = 0;  // NeedMore: read at least this many bytes of the file and call again
  std::string error;        // Error: what is wrong, with the byte offset
  GgufHeader header;
};

// bytes: the first bytes of a file of file_size bytes (a prefix, or the whole file).
GgufParse parse_gguf(std::span<const uint8_t> bytes, uint64_t file_size);

// The split parts of one model (general/split.* keys, "-00001-of-0000N" files) as one header;
// nullopt with *error set if the parts do not belong together or one is missing.
std::optional<GgufHeader> combine_gguf_splits(const std::vector<GgufHeader>& parts, std::string* error);

}  // namespace haloplan
