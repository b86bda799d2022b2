#include "haloplan/gguf.h"

#include <algorithm>
#include <cctype>
#include <cstring>

#include "haloplan/quant.h"

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
    case GgufType::U8: case GgufType::I8: case GgufType::Bool: return 1;
    case GgufType::U16: case GgufType::I16: return 2;
    case GgufType::U32: case GgufType::I32: case GgufType::F32: return 4;
    case GgufType::U64: case GgufType::I64: case GgufType::F64: return 8;
    default: return 0;
  }
}

bool read_scalar(Reader& r, GgufType t, double& out) {
  switch (t) {
    case GgufType::U8: { uint8_t v; if (!r.get(v)) return false; out = v; return true; }
    case GgufType::I8: { int8_t v; if (!r.get(v)) return false; out = v; return true; }
    case GgufType::Bool: { uint8_t v; if (!r.get(v)) return false; out = v ? 1 : 0; return true; }
    case GgufType::U16: { uint16_t v; if (!r.get(v)) return false; out = v; return true; }
    case GgufType::I16: { int16_t v; if (!r.get(v)) return false; out = v; return true; }
    case GgufType::U32: { uint32_t v; if (!r.get(v)) return false; out = v; return true; }
    case GgufType::I32: { int32_t v; if (!r.get(v)) return false; out = v; return true; }
    case GgufType::F32: { float v; if (!r.get(v)) return false; out = v; return true; }
    case GgufType::U64: { uint64_t v; if (!r.get(v)) return false; out = double(v); return true; }
    case GgufType::I64: { int64_t v; if (!r.get(v)) return false; out = double(v); return true; }
    case GgufType::F64: { double v; if (!r.get(v)) return false; out = v; return true; }
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
    if (n > kGgufMaxString) return fail(std::string(what) + " claims " + std::to_string(n) + " bytes; the limit is 1 MiB");
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
      if (elements > (uint64_t(1) << 50) / t.ne[d])
        return fail("tensor '" + t.name + "' has more than 2^50 elements");
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
  if (!count || *count < 1 || *count > 4096) return fail("the files are not parts of a split GGUF (split.count is missing)");
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
      return fail("part " + std::to_string(i + 1) + " of " + std::to_string(by_no.size()) + " is missing; give every -0000N-of-" +
                  std::to_string(by_no.size()) + " file");
  GgufHeader all = *by_no[0];  // the first part carries the model's metadata
  for (size_t i = 1; i < by_no.size(); ++i)
    all.tensors.insert(all.tensors.end(), by_no[i]->tensors.begin(), by_no[i]->tensors.end());
  if (const auto want = all.number("split.tensors.count"); want && uint64_t(*want) != all.tensors.size())
    return fail("the parts hold " + std::to_string(all.tensors.size()) + " tensors; split.tensors.count says " +
                std::to_string(uint64_t(*want)));
  return all;
}

namespace {

struct FtypeId {
  int id;
  const char* name;
};
// LLAMA_FTYPE_* ids as general.file_type stores them (llama.h; ids of removed types left out).
const FtypeId kFtypes[] = {
    {0, "F32"},      {1, "F16"},      {2, "Q4_0"},     {3, "Q4_1"},     {7, "Q8_0"},     {8, "Q5_0"},
    {9, "Q5_1"},     {10, "Q2_K"},    {11, "Q3_K_S"},  {12, "Q3_K_M"},  {13, "Q3_K_L"},  {14, "Q4_K_S"},
    {15, "Q4_K_M"},  {16, "Q5_K_S"},  {17, "Q5_K_M"},  {18, "Q6_K"},    {19, "IQ2_XXS"}, {20, "IQ2_XS"},
    {21, "Q2_K_S"},  {22, "IQ3_XS"},  {23, "IQ3_XXS"}, {24, "IQ1_S"},   {25, "IQ4_NL"},  {26, "IQ3_S"},
    {27, "IQ3_M"},   {28, "IQ2_S"},   {29, "IQ2_M"},   {30, "IQ4_XS"},  {31, "IQ1_M"},   {32, "BF16"},
    {36, "TQ1_0"},   {37, "TQ2_0"},   {38, "MXFP4_MOE"},
};

std::string slug(const std::string& s) {
  std::string out;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u)) out += char(std::tolower(u));
    else if ((c == '-' || c == '_' || c == '.' || c == ' ') && !out.empty() && out.back() != '-') out += '-';
    if (out.size() >= 80) break;
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out.empty() ? "gguf-model" : out;
}

std::string stem(std::string f) {
  const auto slash = f.find_last_of("/\\");
  if (slash != std::string::npos) f = f.substr(slash + 1);
  if (f.size() > 5 && f.compare(f.size() - 5, 5, ".gguf") == 0) f.resize(f.size() - 5);
  const auto split = f.find("-00001-of-");
  if (split != std::string::npos) f.resize(split);
  return f;
}

}  // namespace

std::optional<nlohmann::json> gguf_to_model(const GgufHeader& h, const std::string& file_name, std::string* error) {
  using nlohmann::json;
  auto fail = [&](const std::string& m) -> std::optional<json> {
    if (error) *error = m;
    return std::nullopt;
  };
  const auto arch = h.string("general.architecture");
  if (!arch || arch->empty() || arch->size() > 64) return fail("general.architecture is missing");
  const std::string a = *arch;
  auto key = [&](const std::string& k) { return a + "." + k; };
  auto num = [&](const std::string& k) { return h.number(key(k)); };
  // A per-layer value: a scalar, or an array with one entry per layer.
  auto per_layer = [&](const std::string& k, int il) -> std::optional<double> {
    const GgufValue* v = h.find(key(k));
    if (!v) return std::nullopt;
    if (v->is_number()) return v->num;
    if (v->type == GgufType::Array && size_t(il) < v->nums.size()) return v->nums[size_t(il)];
    return std::nullopt;
  };
  auto max_over_layers = [&](const std::string& k, int n) -> std::optional<double> {
    std::optional<double> best;
    for (int il = 0; il < n; ++il)
      if (auto v = per_layer(k, il); v && (!best || *v > *best)) best = v;
    return best;
  };
  std::map<std::string, const GgufTensor*> tensors;
  for (const auto& t : h.tensors) tensors[t.name] = &t;
  auto has = [&](const std::string& name) { return tensors.count(name) > 0; };
  auto layer_has = [&](int il, const char* suffix) { return has("blk." + std::to_string(il) + "." + suffix); };

  const auto n_layer = num("block_count");
  const auto n_embd = num("embedding_length");
  if (!n_layer || *n_layer < 1 || *n_layer > 1024) return fail(key("block_count") + " is missing or out of range");
  if (!n_embd || *n_embd < 1) return fail(key("embedding_length") + " is missing");
  const int L = int(*n_layer);
  const auto n_head = max_over_layers("attention.head_count", L);
  if (!n_head || *n_head < 1) return fail(key("attention.head_count") + " is missing");
  const auto n_head_kv = max_over_layers("attention.head_count_kv", L).value_or(*n_head);

  json m;
  const std::string name = h.string("general.name").value_or(stem(file_name));
  m["id"] = slug(stem(file_name));
  m["name"] = name.substr(0, 200);
  m["arch"] = a;
  m["n_layers"] = L;
  m["hidden_size"] = int64_t(*n_embd);
  m["n_heads"] = int64_t(*n_head);
  m["n_kv_heads"] = int64_t(n_head_kv);
  const auto key_len = num("attention.key_length");
  const auto val_len = num("attention.value_length");
  m["head_dim"] = int64_t(key_len.value_or(*n_embd / *n_head));
  if (val_len && key_len && *val_len != *key_len) m["v_head_dim"] = int64_t(*val_len);
  if (auto ff = max_over_layers("feed_forward_length", L); ff && *ff > 0) m["intermediate_size"] = int64_t(*ff);
  int64_t vocab = 0;
  if (auto v = num("vocab_size")) vocab = int64_t(*v);
  else if (const GgufValue* t = h.find("tokenizer.ggml.tokens"); t && t->type == GgufType::Array) vocab = int64_t(t->count);
  else if (has("token_embd.weight")) vocab = int64_t(tensors["token_embd.weight"]->ne[1]);
  if (vocab < 1) return fail("the vocabulary size is missing (no " + key("vocab_size") + ", tokenizer or token_embd)");
  m["vocab_size"] = vocab;
  m["max_context"] = int64_t(std::max(256.0, num("context_length").value_or(4096)));
  m["tied_embeddings"] = !has("output.weight");

  // Layer kinds from the tensors each block holds: attention, recurrent (SSM) or MLP-only.
  std::string pattern;
  bool any_recurrent = false, any_mlp_only = false;
  for (int il = 0; il < L; ++il) {
    const bool attn = layer_has(il, "attn_q.weight") || layer_has(il, "attn_qkv.weight") ||
                      layer_has(il, "attn_kv_a_mqa.weight") || layer_has(il, "attn_k.weight");
    const bool ssm = layer_has(il, "ssm_in.weight") || layer_has(il, "ssm_conv1d.weight") ||
                     layer_has(il, "ssm_conv1d_q.weight") || layer_has(il, "ssm_a");
    pattern += attn ? 'A' : (ssm ? 'R' : 'F');
    any_recurrent |= ssm && !attn;
    any_mlp_only |= !attn && !ssm;
  }
  if (any_mlp_only && !any_recurrent && L > 0 && pattern.find('A') == std::string::npos)
    return fail("no layer of this model holds attention or SSM tensors; is the tensor table complete?");

  json att = json::object();
  // Sliding-window layers: the per-layer flags when the file has them, else llama.cpp's rule.
  const auto window = num("attention.sliding_window");
  if (window && *window > 0) {
    att["sliding_window"] = int64_t(*window);
    const GgufValue* swa = h.find(key("attention.sliding_window_pattern"));
    int period = 0;
    if (a == "gemma2" || a == "gpt-oss") period = 2;
    else if (a == "gemma3") period = 6;
    else if (a == "llama4" || a == "cohere2") period = 4;
    for (int il = 0; il < L; ++il) {
      if (pattern[size_t(il)] != 'A') continue;
      bool is_swa = false;
      if (swa && swa->type == GgufType::Array && size_t(il) < swa->nums.size()) is_swa = swa->nums[size_t(il)] != 0;
      else if (swa && swa->is_number() && swa->num > 1) is_swa = il % int(swa->num) < int(swa->num) - 1;
      else if (period > 0) is_swa = il % period < period - 1;
      if (is_swa) pattern[size_t(il)] = 'S';
    }
  }
  if (pattern.find_first_not_of('A') != std::string::npos) att["pattern"] = pattern;
  if (auto kv_lora = num("attention.kv_lora_rank"); kv_lora && *kv_lora > 0) {
    const double rope = num("rope.dimension_count").value_or(64);
    const double k_mla = num("attention.key_length_mla").value_or(key_len.value_or(rope + 128));
    const double v_mla = num("attention.value_length_mla").value_or(val_len.value_or(128));
    att["kind"] = "mla";
    att["q_lora_rank"] = int64_t(num("attention.q_lora_rank").value_or(0));
    att["kv_lora_rank"] = int64_t(*kv_lora);
    att["qk_rope_head_dim"] = int64_t(rope);
    att["qk_nope_head_dim"] = int64_t(k_mla - rope);
    att["v_head_dim"] = int64_t(v_mla);
    m["head_dim"] = int64_t(k_mla);
    m["n_kv_heads"] = int64_t(*n_head);  // the latent is shared; heads as the catalog counts them
    m.erase("v_head_dim");
  }
  if (any_recurrent) {
    const auto d_conv = num("ssm.conv_kernel"), d_inner = num("ssm.inner_size"), d_state = num("ssm.state_size");
    const auto n_rh = num("ssm.time_step_rank"), n_group = num("ssm.group_count");
    if (!d_conv || !d_inner || !d_state || !n_rh || *n_rh < 1)
      return fail("the recurrent layers' sizes are incomplete (" + key("ssm.*") + ")");
    json rec;
    rec["kind"] = a == "qwen3next" ? "gated-deltanet" : (a == "kimi-linear" ? "kda" : "mamba2");
    rec["d_conv"] = int64_t(*d_conv);
    rec["n_head"] = int64_t(*n_rh);
    rec["head_dim"] = int64_t(*d_inner / *n_rh);
    rec["d_state"] = int64_t(*d_state);
    rec["n_group"] = int64_t(n_group.value_or(1));
    att["recurrent"] = rec;
  }
  if (!att.empty()) m["attention"] = att;
  if (layer_has(0, "attn_q_norm.weight") || layer_has(L - 1, "attn_q_norm.weight")) m["qk_norm"] = true;
  for (int il = 0; il < L; ++il)
    if (layer_has(il, "attn_q.bias") || layer_has(il, "attn_qkv.bias")) {
      m["attention_bias"] = true;
      break;
    }
  for (int il = 0; il < L; ++il)
    if (layer_has(il, "attn_sinks.weight") || layer_has(il, "attn_sinks")) {
      m["attention_sinks"] = true;
      break;
    }
  if (a == "qwen3next") m["attn_output_gate"] = true;
  bool dense_up = false, dense_gate = false;
  for (int il = 0; il < L; ++il) {
    dense_up |= layer_has(il, "ffn_up.weight");
    dense_gate |= layer_has(il, "ffn_gate.weight");
  }
  if (dense_up && !dense_gate) m["ffn_gated"] = false;

  if (auto n_exp = num("expert_count"); n_exp && *n_exp > 0) {
    json moe;
    moe["n_expert"] = int64_t(*n_exp);
    moe["n_expert_used"] = int64_t(num("expert_used_count").value_or(1));
    double eff = num("expert_feed_forward_length").value_or(0);
    for (int il = 0; eff <= 0 && il < L; ++il)
      if (auto it = tensors.find("blk." + std::to_string(il) + ".ffn_down_exps.weight"); it != tensors.end())
        eff = double(it->second->ne[0]);
    if (eff <= 0) return fail(key("expert_feed_forward_length") + " is missing");
    moe["expert_ff"] = int64_t(eff);
    if (auto sh = num("expert_shared_count"); sh && *sh > 0) {
      moe["n_expert_shared"] = int64_t(*sh);
      // The catalog counts the width of all shared experts together (the tensor's rows).
      double sff = num("expert_shared_feed_forward_length").value_or(0) * *sh;
      for (int il = 0; sff <= 0 && il < L; ++il)
        if (auto it = tensors.find("blk." + std::to_string(il) + ".ffn_down_shexp.weight"); it != tensors.end())
          sff = double(it->second->ne[0]);
      moe["shared_ff"] = int64_t(sff > 0 ? sff : eff);
    } else {
      for (int il = 0; il < L; ++il)
        if (auto it = tensors.find("blk." + std::to_string(il) + ".ffn_down_shexp.weight"); it != tensors.end()) {
          moe["n_expert_shared"] = 1;
          moe["shared_ff"] = int64_t(it->second->ne[0]);
          break;
        }
    }
    if (auto dense = num("leading_dense_block_count"); dense && *dense > 0) {
      moe["n_dense_layers"] = int64_t(*dense);
      if (auto ff = num("feed_forward_length")) moe["dense_ff"] = int64_t(*ff);
    }
    if (auto step = num("interleave_moe_layer_step"); step && *step > 1) moe["interleave"] = int64_t(*step);
    for (int il = 0; il < L; ++il)
      if (layer_has(il, "ffn_up_exps.bias")) {
        moe["expert_bias"] = true;
        break;
      }
    m["moe"] = moe;
  }

  // The file's quant: general.file_type, or the type holding most bytes when it is absent.
  std::string quant;
  if (auto ft = h.number("general.file_type")) {
    for (const auto& f : kFtypes)
      if (f.id == int(*ft)) quant = f.name;
    if (quant.empty()) return fail("general.file_type " + std::to_string(int64_t(*ft)) + " is not a llama.cpp preset this version knows");
  } else {
    std::map<GgmlType, uint64_t> by_type;
    for (const auto& t : h.tensors) by_type[t.type] += t.bytes;
    GgmlType top = GgmlType::F16;
    uint64_t most = 0;
    for (const auto& [t, b] : by_type)
      if (b > most) {
        most = b;
        top = t;
      }
    for (const auto& p : all_presets())
      if (p.default_type == top) {
        quant = p.name;
        break;
      }
    if (quant.empty()) quant = "F16";
  }
  const std::string base = stem(file_name);
  m["gguf"] = {{"file", base + ".gguf"},
               {"quant", quant},
               {"weights_bytes", h.weight_bytes()},
               {"token_embd_bytes", has("token_embd.weight") ? tensors["token_embd.weight"]->bytes : 0},
               {"tensors", h.tensors.size()}};
  m["sources"] = json::array({"GGUF header: " + base + ".gguf"});
  m["notes"] = "from GGUF header: " + base + ".gguf";
  return m;
}

}  // namespace haloplan
