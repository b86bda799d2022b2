// libFuzzer target: the GGUF header parser and the header-to-catalog mapping. The input is a
// file prefix; its first 8 bytes (when present) also declare the file's size.
#include <cstdint>
#include <cstring>
#include <span>

#include "haloplan/catalog/gguf_import.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace haloplan;
  uint64_t declared = size;
  if (size >= 12 && std::memcmp(data, "SIZE", 4) == 0) {
    std::memcpy(&declared, data + 4, 8);
    data += 12;
    size -= 12;
  }
  const auto r = parse_gguf(std::span<const uint8_t>(data, size), declared);
  if (r.status == GgufParse::Status::Ok) {
    std::string err;
    (void)gguf_to_model(r.header, "fuzz.gguf", &err);
    (void)combine_gguf_splits({r.header, r.header}, &err);
  }
  return 0;
}
