// Writes a header-only GGUF of a catalog model (for the browser tests and the fuzz corpus):
//   make_gguf MODEL_ID QUANT OUT.gguf [--size BYTES] [--corrupt] [--part N --parts M] [--no-tokens]
//   make_gguf --bad-case NAME OUT.gguf   (a GGUF case of tests/fixtures/bad_input.json)
// --size extends the file to a declared size (sparse on disk: a "multi-GB" file that costs
// nothing); --corrupt damages a tensor's type so the header must be refused.
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "bad_input.h"
#include "gguf_writer.h"
#include "haloplan/default_catalog.h"

using namespace haloplan;

int main(int argc, char** argv) {
  if (argc == 4 && !std::strcmp(argv[1], "--bad-case")) {
    Catalog c;
    load_default_catalog(c);
    std::ifstream in(std::string(HALOPLAN_FIXTURES) + "/bad_input.json");
    const auto cases = nlohmann::json::parse(in);
    for (const auto& k : cases["gguf"]) {
      if (k["name"] != argv[2]) continue;
      std::ofstream(argv[3], std::ios::binary | std::ios::trunc) << test::case_gguf(k, c);
      return 0;
    }
    std::fprintf(stderr, "make_gguf: no GGUF case '%s' in bad_input.json\n", argv[2]);
    return 2;
  }
  if (argc < 4) {
    std::fprintf(
        stderr,
        "usage: make_gguf MODEL_ID QUANT OUT.gguf [--size BYTES] [--corrupt] [--part N --parts M] [--no-tokens]\n");
    return 2;
  }
  Catalog c;
  load_default_catalog(c);
  const CatalogModel* m = c.model(argv[1]);
  const auto q = ftype_from_name(argv[2]);
  if (!m || !q) {
    std::fprintf(stderr, "make_gguf: unknown model or quant\n");
    return 2;
  }
  uint64_t size = 0;
  bool corrupt = false;
  int part = -1, parts = 0;
  bool tokens = true;
  for (int i = 4; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--size") && i + 1 < argc) size = std::stoull(argv[++i]);
    else if (!std::strcmp(argv[i], "--corrupt")) corrupt = true;
    else if (!std::strcmp(argv[i], "--no-tokens")) tokens = false;
    else if (!std::strcmp(argv[i], "--part") && i + 1 < argc) part = std::stoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--parts") && i + 1 < argc) parts = std::stoi(argv[++i]);
  }
  auto g = test::write_gguf(*m, *q, tokens, part, parts);
  if (corrupt) {
    // The last tensor info ends with its type (u32) and offset (u64): make the type unknown.
    const uint32_t bad = 99;
    std::memcpy(g.bytes.data() + g.bytes.size() - 12, &bad, 4);
  }
  {
    std::ofstream f(argv[3], std::ios::binary | std::ios::trunc);
    f << g.bytes;
  }
  if (size > g.bytes.size()) std::filesystem::resize_file(argv[3], size);
  std::printf("%s: %zu header bytes, %llu weight bytes\n", argv[3], g.bytes.size(), (unsigned long long)g.weight_bytes);
  return 0;
}
