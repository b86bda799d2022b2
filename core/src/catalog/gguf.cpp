#include "haloplan/catalog/gguf.h"

#include <algorithm>
#include <cctype>
#include <cstring>

#include "haloplan/planner/quant.h"

namespace haloplan {

const GgufValue* GgufHeader::find(const std::string& key) const {
  auto it = kv.find(key);
  return it == kv.end() ? nullptr : &it->second;
}

std::optional<double> GgufHeader::number(const std::string& key) const {
  const GgufValue* v = find(key);
  if (!v || !v->is_number()) return std::nullopt;
  return v->num;
}

std::optional<std::string> GgufHeader::string(const std::string& key) const {
  const GgufValue* v = find(key);
  if (!v || v->type != GgufType::String) return std::nullopt;
  return v->str;
}

uint64_t GgufHeader::weight_bytes() const {
  uint64_t sum = 0;
  for (const auto& t : tensors) sum += t.bytes;  // each bounded below 2^50, at most 2^20 tensors
  return sum;
}

namespace {

// Reads little-endian values from the prefix. Running past its end sets `short_` (the file may
// simply need more bytes) rather than failing.
class Reader {
 public:
  Reader(std::span<const uint8_t> b) : b_(b) {}
  bool short_read() const { return short_; }
  uint64_t pos() const { return pos_; }
  bool bytes(void* out, uint64_t n) {
    if (short_ || n > b_.size() - std::min<uint64_t>(pos_, b_.size())) {
      short_ = true;
      want_ = std::max(want_, pos_ + n);
      return false;
    }
    std::memcpy(out, b_.data() + pos_, size_t(n));
    pos_ += n;
    return true;
  }
  bool skip(uint64_t n) {
    if (short_ || n > b_.size() - std::min<uint64_t>(pos_, b_.size())) {
      short_ = true;
      want_ = std::max(want_, pos_ + n);
      return false;
    }
    pos_ += n;
    return true;
  }
  template <class T>
  bool get(T& v) {
    uint8_t raw[sizeof(T)];
    if (!bytes(raw, sizeof(T))) return false;
    std::memcpy(&v, raw, sizeof(T));  // the machines we run on are little-endian, like GGUF
    return true;
  }
  uint64_t want() const { return want_; }

 private:
  std::span<const uint8_t> b_;
  uint64_t pos_ = 0;
  uint64_t want_ = 0;
  bool short_ = false;
};

size_t scalar_size(GgufType t) {
  switch (t) {
    // clang-format off
    case GgufType::U8: case GgufType::I8: case GgufType::Bool: return 1;
    case GgufType::U16: case GgufType::I16: return 2;
    case GgufType::U32: case GgufType::I32: case GgufType::F32: return 4;
    case GgufType::U64: case GgufType::I64: case GgufType::F64: return 8;
    // clang-format on
    default: return 0;
  }
}

bool read_scalar(Reader& r, GgufType t, double& out) {
  switch (t) {
    case GgufType::U8: {
      uint8_t v;
      if (!r.get(v)) return false;
      out = v;
      return true;
    }
    case GgufType::I8: {
      int8_t v;
      if (!r.get(v)) return false;
      out = v;
      return true;
    }
    case GgufType::Bool: {
      uint8_t v;
      if (!r.get(v)) return false;
      out = v ? 1 : 0;
      return true;
    }
    case GgufType::U16: {
      uint16_t v;
      if (!r.get(v)) return false;
      out = v;
      return true;
    }
    case GgufType::I16: {
      int16_t v;
      if (!r.get(v)) return false;
      out = v;
      return true;
    }
    case GgufType::U32: {
      uint32_t v;
      if (!r.get(v)) return false;
      out = v;
      return true;
    }
    case GgufType::I32: {
      int32_t v;
      if (!r.get(v)) return false;
      out = v;
      return true;
    }
    case GgufType::F32: {
      float v;
      if (!r.get(v)) return false;
      out = v;
      return true;
    }
    case GgufType::U64: {
      uint64_t v;
      if (!r.get(v)) return false;
      out = double(v);
      return true;
    }
    case GgufType::I64: {
      int64_t v;
      if (!r.get(v)) return false;
      out = double(v);
      return true;
    }
    case GgufType::F64: {
      double v;
      if (!r.get(v)) return false;
      out = v;
      return true;
    }
    default: return false;
  }
}

struct Parser {
  Reader r;
  uint64_t file_size;
  std::string error;

  bool fail(const std::string& what) {
    if (error.empty()) error = what + " (at byte " + std::to_string(r.pos()) + ")";
    return false;
  }

  // A GGUF string: u64 length + bytes. keep=false skips the bytes (token lists).
  bool string(std::string& out, const char* what, bool keep = true) {
    uint64_t n = 0;
    if (!r.get(n)) return false;
    if (n > kGgufMaxString)
      return fail(std::string(what) + " claims " + std::to_string(n) + " bytes; the limit is 1 MiB");
    if (n > file_size) return fail(std::string(what) + " is longer than the file");
    if (!keep) return r.skip(n);
    out.resize(size_t(n));
    return r.bytes(out.data(), n);
  }

  bool value(GgufType t, GgufValue& v, const std::string& key) {
    v.type = t;
    if (t == GgufType::String) return string(v.str, ("the value of " + key).c_str());
    if (t == GgufType::Array) {
      uint32_t et = 0;
      if (!r.get(et) || !r.get(v.count)) return false;
      if (et > 12) return fail("array " + key + " has unknown element type " + std::to_string(et));
      v.elem = GgufType(et);
      if (v.elem == GgufType::Array) return fail("array " + key + " nests arrays, which GGUF headers do not use");
      if (v.count > kGgufMaxArray)
        return fail("array " + key + " claims " + std::to_string(v.count) + " elements; the limit is 67108864");
      if (v.elem == GgufType::String) {
        std::string ignored;
        for (uint64_t i = 0; i < v.count; ++i)
          if (!string(ignored, ("an element of " + key).c_str(), false)) return false;
        return true;
      }
      const size_t es = scalar_size(v.elem);
      if (v.count > file_size / es) return fail("array " + key + " is larger than the file");
      if (v.count > kGgufKeptArray) return r.skip(v.count * es);
      v.nums.reserve(size_t(v.count));
      for (uint64_t i = 0; i < v.count; ++i) {
        double x = 0;
        if (!read_scalar(r, v.elem, x)) return false;
        v.nums.push_back(x);
      }
      return true;
    }
    if (uint32_t(t) > 12) return fail("key " + key + " has unknown value type " + std::to_string(uint32_t(t)));
    return read_scalar(r, t, v.num);
  }

  bool tensor(GgufTensor& t, uint64_t index) {
    const std::string which = "tensor " + std::to_string(index);
    if (!string(t.name, (which + "'s name").c_str())) return false;
    uint32_t n_dims = 0;
    if (!r.get(n_dims)) return false;
    if (n_dims < 1 || n_dims > 4)
      return fail("tensor '" + t.name + "' has " + std::to_string(n_dims) + " dimensions; GGUF allows 1 to 4");
    t.n_dims = int(n_dims);
    uint64_t elements = 1;
    for (uint32_t d = 0; d < n_dims; ++d) {
      if (!r.get(t.ne[d])) return false;
      if (t.ne[d] == 0 || t.ne[d] > (uint64_t(1) << 40))
        return fail("tensor '" + t.name + "' has dimension " + std::to_string(t.ne[d]) + ", outside 1 to 2^40");
      if (elements > (uint64_t(1) << 50) / t.ne[d]) return fail("tensor '" + t.name + "' has more than 2^50 elements");
      elements *= t.ne[d];
    }
    uint32_t type = 0;
    if (!r.get(type) || !r.get(t.offset)) return false;
    auto gt = type_from_id(int(std::min<uint32_t>(type, 1u << 20)));
    if (!gt || traits(*gt).block_size == 0)
      return fail("tensor '" + t.name + "' has unknown ggml type id " + std::to_string(type));
    t.type = *gt;
    if (!row_divisible(t.type, t.ne[0]))
      return fail("tensor '" + t.name + "' has rows of " + std::to_string(t.ne[0]) + " elements, not a multiple of " +
                  type_name(t.type) + "'s block of " + std::to_string(traits(t.type).block_size));
    const uint64_t row = row_bytes(t.type, t.ne[0]);
    const uint64_t rows = elements / t.ne[0];
    if (rows > 0 && row > (uint64_t(1) << 52) / rows) return fail("tensor '" + t.name + "' is larger than 2^52 bytes");
    t.bytes = row * rows;
    return true;
  }
};

}  // namespace

GgufParse parse_gguf(std::span<const uint8_t> bytes, uint64_t file_size) {
  GgufParse out;
  if (bytes.size() > file_size) bytes = bytes.subspan(0, size_t(file_size));
  Parser p{Reader(bytes.subspan(0, size_t(std::min<uint64_t>(bytes.size(), kGgufMaxHeader)))), file_size, {}};
  auto finish = [&](bool ok) {
    if (ok) {
      out.status = GgufParse::Status::Ok;
      return out;
    }
    if (!p.error.empty()) {
      out.status = GgufParse::Status::Error;
      out.error = p.error;
      return out;
    }
    // Ran out of bytes: more of the file may complete the header.
    const uint64_t have = bytes.size();
    if (have >= file_size) {
      out.status = GgufParse::Status::Error;
      out.error = "the file ends inside its header (" + std::to_string(file_size) + " bytes): it is truncated";
    } else if (have >= kGgufMaxHeader) {
      out.status = GgufParse::Status::Error;
      out.error = "the header is larger than 1 GiB; refusing to read further";
    } else {
      out.status = GgufParse::Status::NeedMore;
      out.need_bytes = std::min<uint64_t>({file_size, kGgufMaxHeader, std::max<uint64_t>(p.r.want(), have * 2)});
    }
    return out;
  };
  GgufHeader& h = out.header;
  char magic[4];
  if (!p.r.bytes(magic, 4)) return finish(false);
  if (std::memcmp(magic, "GGUF", 4) != 0) {
    p.error = "not a GGUF file: it starts with bytes other than \"GGUF\"";
    return finish(false);
  }
  if (!p.r.get(h.version)) return finish(false);
  if (h.version != 2 && h.version != 3) {
    p.fail("GGUF version " + std::to_string(h.version) + " is not supported (2 and 3 are)");
    return finish(false);
  }
  uint64_t n_tensors = 0, n_kv = 0;
  if (!p.r.get(n_tensors) || !p.r.get(n_kv)) return finish(false);
  if (n_tensors > kGgufMaxTensors) {
    p.fail("the header claims " + std::to_string(n_tensors) + " tensors; the limit is 1048576");
    return finish(false);
  }
  if (n_kv > kGgufMaxKv) {
    p.fail("the header claims " + std::to_string(n_kv) + " metadata keys; the limit is 1048576");
    return finish(false);
  }
  for (uint64_t i = 0; i < n_kv; ++i) {
    std::string key;
    if (!p.string(key, ("metadata key " + std::to_string(i)).c_str())) return finish(false);
    uint32_t t = 0;
    if (!p.r.get(t)) return finish(false);
    if (t > 12) {
      p.fail("metadata key '" + key.substr(0, 200) + "' has unknown value type " + std::to_string(t));
      return finish(false);
    }
    GgufValue v;
    if (!p.value(GgufType(t), v, "'" + key.substr(0, 200) + "'")) return finish(false);
    h.kv[key] = std::move(v);
  }
  if (const GgufValue* a = h.find("general.alignment")) {
    if (!a->is_number() || a->num < 1 || a->num > 65536 || (uint64_t(a->num) & (uint64_t(a->num) - 1)) != 0) {
      p.fail("general.alignment must be a power of two up to 65536");
      return finish(false);
    }
    h.alignment = uint64_t(a->num);
  }
  h.tensors.reserve(size_t(std::min<uint64_t>(n_tensors, 1 << 16)));
  for (uint64_t i = 0; i < n_tensors; ++i) {
    GgufTensor t;
    if (!p.tensor(t, i)) return finish(false);
    h.tensors.push_back(std::move(t));
  }
  h.header_bytes = p.r.pos();
  return finish(true);
}

std::optional<GgufHeader> combine_gguf_splits(const std::vector<GgufHeader>& parts, std::string* error) {
  auto fail = [&](const std::string& m) -> std::optional<GgufHeader> {
    if (error) *error = m;
    return std::nullopt;
  };
  if (parts.empty()) return fail("no files given");
  if (parts.size() == 1 && !parts[0].find("split.count")) return parts[0];
  const auto count = parts[0].number("split.count");
  if (!count || *count < 1 || *count > 4096)
    return fail("the files are not parts of a split GGUF (split.count is missing)");
  std::vector<const GgufHeader*> by_no(size_t(*count), nullptr);
  for (const auto& p : parts) {
    const auto no = p.number("split.no"), c = p.number("split.count");
    if (!no || !c || *c != *count) return fail("the files belong to different split models (split.count differs)");
    if (*no < 0 || *no >= *count) return fail("split.no " + std::to_string(int64_t(*no)) + " is out of range");
    if (by_no[size_t(*no)]) return fail("part " + std::to_string(int64_t(*no) + 1) + " was given twice");
    by_no[size_t(*no)] = &p;
  }
  for (size_t i = 0; i < by_no.size(); ++i)
    if (!by_no[i])
      return fail("part " + std::to_string(i + 1) + " of " + std::to_string(by_no.size()) +
                  " is missing; give every -0000N-of-" + std::to_string(by_no.size()) + " file");
  GgufHeader all = *by_no[0];  // the first part carries the model's metadata
  for (size_t i = 1; i < by_no.size(); ++i)
    all.tensors.insert(all.tensors.end(), by_no[i]->tensors.begin(), by_no[i]->tensors.end());
  if (const auto want = all.number("split.tensors.count"); want && uint64_t(*want) != all.tensors.size())
    return fail("the parts hold " + std::to_string(all.tensors.size()) + " tensors; split.tensors.count says " +
                std::to_string(uint64_t(*want)));
  return all;
}

}  // namespace haloplan
