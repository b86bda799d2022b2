// The bad-input suite's cases (tests/fixtures/bad_input.json) made into bytes: shared by the
// Catch2 suite and make_gguf, which writes the GGUF cases for the browser test.
#pragma once

#include <cstdint>
#include <cstring>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

#include "gguf_writer.h"
#include "haloplan/catalog/gguf_import.h"

namespace haloplan::test {

// A case's text: "text" as is, or "make": {"template" with {X}, X = "repeat" x "times" or the
// bytes of "hex"} for inputs too large or too odd to write into JSON.
inline std::string case_text(const nlohmann::json& c) {
  if (c.contains("text")) return c["text"].get<std::string>();
  const auto& m = c.at("make");
  std::string x;
  if (m.contains("hex")) {
    const std::string h = m["hex"];
    for (size_t i = 0; i + 1 < h.size(); i += 2) x += char(std::stoi(h.substr(i, 2), nullptr, 16));
  } else {
    const std::string r = m.at("repeat");
    const int n = m.at("times");
    x.reserve(r.size() * size_t(n));
    for (int i = 0; i < n; ++i) x += r;
  }
  const std::string t = m.value("template", std::string("{X}"));
  const auto at = t.find("{X}");
  return at == std::string::npos ? t : t.substr(0, at) + x + t.substr(at + 3);
}

// Offsets of the named places of a header-only GGUF: magic, version, n_tensors, n_kv, key0_len,
// key0_type, tensor0_n_dims, tensor0_ne0, tensor0_type.
inline size_t gguf_place(const std::string& b, const std::string& name) {
  if (name == "magic") return 0;
  if (name == "version") return 4;
  if (name == "n_tensors") return 8;
  if (name == "n_kv") return 16;
  if (name == "key0_len") return 24;
  uint64_t key0 = 0;
  std::memcpy(&key0, b.data() + 24, 8);
  if (name == "key0_type") return 32 + size_t(key0);
  const auto r = parse_gguf({reinterpret_cast<const uint8_t*>(b.data()), b.size()}, b.size());
  if (r.status != GgufParse::Status::Ok || r.header.tensors.empty()) throw std::runtime_error("unreadable base GGUF");
  const auto& t0 = r.header.tensors[0];
  const size_t dims = b.find(t0.name) + t0.name.size();  // tensor names do not occur in the metadata
  if (name == "tensor0_n_dims") return dims;
  if (name == "tensor0_ne0") return dims + 4;
  if (name == "tensor0_type") return dims + 4 + 8 * size_t(t0.n_dims);
  throw std::runtime_error("unknown GGUF place '" + name + "'");
}

// A GGUF case: the header of "model" at "quant", then each patch {"at", "u32"|"u64"|"ascii"}
// in order, then an optional cut at a place ("truncate").
inline std::string case_gguf(const nlohmann::json& c, const Catalog& cat) {
  const CatalogModel* m = cat.model(c.at("model").get<std::string>());
  const auto q = ftype_from_name(c.at("quant").get<std::string>());
  if (!m || !q) throw std::runtime_error("bad-input case names an unknown model or quant");
  std::string b = write_gguf(*m, *q).bytes;
  for (const auto& p : c.value("patch", nlohmann::json::array())) {
    const size_t at = gguf_place(b, p.at("at"));
    if (p.contains("u32")) {
      const uint32_t v = p["u32"];
      std::memcpy(b.data() + at, &v, 4);
    } else if (p.contains("u64")) {
      const uint64_t v = p["u64"].is_string() ? ~uint64_t(0) : p["u64"].get<uint64_t>();  // "max"
      std::memcpy(b.data() + at, &v, 8);
    } else {
      const std::string s = p.at("ascii");
      b.replace(at, s.size(), s);
    }
  }
  if (c.contains("truncate")) b.resize(gguf_place(b, c["truncate"]));
  return b;
}

}  // namespace haloplan::test
