#include "json_reader.h"

#include <algorithm>
#include <cstdio>
#include <set>

namespace haloplan::detail {

namespace {
constexpr int kMaxDepth = 64;

std::string num_text(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}
}  // namespace

std::string type_word(const json& j) {
  switch (j.type()) {
    case json::value_t::null: return "null";
    case json::value_t::object: return "an object";
    case json::value_t::array: return "an array";
    case json::value_t::string: return "a string";
    case json::value_t::boolean: return "a boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned: return "an integer";
    case json::value_t::number_float: return "a number";
    default: return "an unsupported value";
  }
}

namespace {
// Builds the DOM like nlohmann's own parser, but stops at the nesting limit before building the
// deep part, refuses a key repeated in one object, and records a syntax error with the JSON path
// where it happened instead of throwing (the wasm build has no exceptions).
class BoundedSax : public nlohmann::detail::json_sax_dom_parser<json> {
  using Base = nlohmann::detail::json_sax_dom_parser<json>;

 public:
  explicit BoundedSax(json& root) : Base(root, false) {}
  bool start_object(std::size_t n) { return enter(false) && Base::start_object(n); }
  bool start_array(std::size_t n) { return enter(true) && Base::start_array(n); }
  bool end_object() { return leave() && Base::end_object(); }
  bool end_array() { return leave() && Base::end_array(); }
  bool key(json::string_t& k) {
    Frame& f = frames_.back();
    f.key = k;
    if (!f.keys.insert(k).second) {
      path_ = path();
      message_ = "the key \"" + k.substr(0, 80) + "\" appears twice in one object";
      return false;
    }
    return Base::key(k);
  }
  bool null() { return scalar() && Base::null(); }
  bool boolean(bool v) { return scalar() && Base::boolean(v); }
  bool number_integer(json::number_integer_t v) { return scalar() && Base::number_integer(v); }
  bool number_unsigned(json::number_unsigned_t v) { return scalar() && Base::number_unsigned(v); }
  bool number_float(json::number_float_t v, const json::string_t& s) { return scalar() && Base::number_float(v, s); }
  bool string(json::string_t& v) { return scalar() && Base::string(v); }
  template <class Exception>
  bool parse_error(std::size_t, const std::string& last, const Exception& ex) {
    path_ = path();
    message_ = ex.what();
    // "[json.exception.parse_error.101] parse error at line 1, column 5: ..." -> the useful part
    if (auto pos = message_.find("parse error"); pos != std::string::npos) message_ = message_.substr(pos);
    if (ex.id == 406) message_ = "the number " + last.substr(0, 40) + " is too large";
    const auto sep = last.find_last_of(":[,");
    const std::string after = last.substr(sep == std::string::npos ? 0 : sep + 1);
    const std::string tail = after.substr(std::min(after.size(), after.find_first_not_of(" \t\r\n")));
    if (!tail.empty() && (tail[0] == 'N' || tail[0] == 'I' || tail.rfind("-I", 0) == 0))
      message_ += " (NaN and Infinity are not JSON numbers)";
    // The quoted input may hold broken UTF-8 or control bytes: the message must stay printable
    // text (it is shown, logged and serialised as JSON).
    for (char& ch : message_)
      if (static_cast<unsigned char>(ch) < 0x20 || static_cast<unsigned char>(ch) >= 0x80) ch = '?';
    return false;
  }
  bool too_deep = false;
  const std::string& message() const { return message_; }
  const std::string& error_path() const { return path_; }

 private:
  struct Frame {
    bool array;
    size_t index = 0;
    std::string key;
    std::set<std::string> keys;
  };
  bool enter(bool array) {
    if (frames_.size() >= size_t(kMaxDepth)) {
      too_deep = true;
      return false;
    }
    frames_.push_back(Frame{array, 0, {}, {}});
    return true;
  }
  bool leave() {
    frames_.pop_back();
    return scalar();  // the finished container is one value of its parent
  }
  bool scalar() {
    if (!frames_.empty() && frames_.back().array) ++frames_.back().index;
    return true;
  }
  // The path of the value being read: models[3].attention.kind
  std::string path() const {
    std::string p;
    for (const auto& f : frames_) {
      if (f.array) p += "[" + std::to_string(f.index) + "]";
      else if (!f.key.empty()) p += (p.empty() ? "" : ".") + f.key;
    }
    return p;
  }
  std::vector<Frame> frames_;
  std::string message_, path_;
};
}  // namespace

std::optional<json> parse_json(std::string_view text, std::vector<Diagnostic>& diags,
                               const std::string& what) {
  json j;
  BoundedSax sax(j);
  const bool ok = json::sax_parse(text.begin(), text.end(), &sax, nlohmann::detail::input_format_t::json, true);
  if (sax.too_deep) {
    diags.push_back({"", what + " is nested deeper than " + std::to_string(kMaxDepth) + " levels", true});
    return std::nullopt;
  }
  if (!ok || !sax.message().empty()) {
    const std::string msg = sax.message().empty() ? "parse error" : sax.message();
    diags.push_back({sax.error_path(), what + " is not valid JSON: " + msg, true});
    return std::nullopt;
  }
  return j;
}

ObjReader::ObjReader(const json& j, std::string path, std::vector<Diagnostic>& diags)
    : j_(j), path_(std::move(path)), diags_(diags), is_object_(j.is_object()) {
  if (!is_object_) diags_.push_back({path_.empty() ? "$" : path_, "expected an object, found " + type_word(j), true});
}

ObjReader::~ObjReader() {
  if (!is_object_) return;
  for (auto it = j_.begin(); it != j_.end(); ++it) {
    if (!read_.count(it.key()) && it.key().rfind("_", 0) != 0)  // keys starting with _ are comments
      diags_.push_back({sub(it.key()), "unknown field (ignored); check its spelling", false});
  }
}

void ObjReader::error(const std::string& key, const std::string& msg) {
  diags_.push_back({key.empty() ? path_ : sub(key), msg, true});
}

bool ObjReader::has(const char* key) const { return is_object_ && j_.contains(key); }

const json* ObjReader::raw(const char* key) {
  if (!is_object_) return nullptr;
  read_.insert(key);
  auto it = j_.find(key);
  return it == j_.end() ? nullptr : &*it;
}

std::optional<std::string> ObjReader::str(const char* key, bool required, size_t max_len) {
  const json* v = raw(key);
  if (!v) {
    if (required && is_object_) error(key, "missing; expected a string");
    return std::nullopt;
  }
  if (!v->is_string()) {
    error(key, "expected a string, found " + type_word(*v));
    return std::nullopt;
  }
  const auto& s = v->get_ref<const std::string&>();
  if (s.size() > max_len) {
    error(key, "string of " + std::to_string(s.size()) + " characters is longer than the limit of " +
                   std::to_string(max_len));
    return std::nullopt;
  }
  return s;
}

std::optional<double> ObjReader::number(const char* key, bool required, double lo, double hi) {
  const json* v = raw(key);
  if (!v) {
    if (required && is_object_) error(key, "missing; expected a number from " + num_text(lo) + " to " + num_text(hi));
    return std::nullopt;
  }
  if (!v->is_number()) {
    error(key, "expected a number, found " + type_word(*v));
    return std::nullopt;
  }
  const double d = v->get<double>();
  if (!std::isfinite(d) || d < lo || d > hi) {
    error(key, "value " + num_text(d) + " is out of range; expected " + num_text(lo) + " to " + num_text(hi));
    return std::nullopt;
  }
  return d;
}

std::optional<int64_t> ObjReader::integer(const char* key, bool required, int64_t lo, int64_t hi) {
  const json* v = raw(key);
  if (!v) {
    if (required && is_object_)
      error(key, "missing; expected an integer from " + std::to_string(lo) + " to " + std::to_string(hi));
    return std::nullopt;
  }
  if (!v->is_number()) {
    error(key, "expected an integer, found " + type_word(*v));
    return std::nullopt;
  }
  if (v->is_number_float()) {
    const double d = v->get<double>();
    if (!std::isfinite(d) || d != std::floor(d)) {
      error(key, "expected an integer, found " + num_text(d));
      return std::nullopt;
    }
  }
  const double d = v->get<double>();
  if (d < double(lo) || d > double(hi)) {
    error(key, "value " + num_text(d) + " is out of range; expected " + std::to_string(lo) + " to " +
                   std::to_string(hi));
    return std::nullopt;
  }
  return v->is_number_unsigned() ? int64_t(v->get<uint64_t>()) : v->get<int64_t>();
}

std::optional<bool> ObjReader::boolean(const char* key, bool required) {
  const json* v = raw(key);
  if (!v) {
    if (required && is_object_) error(key, "missing; expected true or false");
    return std::nullopt;
  }
  if (!v->is_boolean()) {
    error(key, "expected true or false, found " + type_word(*v));
    return std::nullopt;
  }
  return v->get<bool>();
}

std::vector<std::string> ObjReader::str_list(const char* key, bool required, size_t max_items) {
  std::vector<std::string> out;
  const json* v = raw(key);
  if (!v) {
    if (required && is_object_) error(key, "missing; expected a list of strings");
    return out;
  }
  if (!v->is_array()) {
    error(key, "expected a list of strings, found " + type_word(*v));
    return out;
  }
  if (v->size() > max_items) {
    error(key, "has " + std::to_string(v->size()) + " items; the limit is " + std::to_string(max_items));
    return out;
  }
  for (size_t i = 0; i < v->size(); ++i) {
    const auto& e = (*v)[i];
    if (!e.is_string()) {
      error(std::string(key) + "[" + std::to_string(i) + "]", "expected a string, found " + type_word(e));
      continue;
    }
    out.push_back(e.get<std::string>());
  }
  if (required && v->empty()) error(key, "must not be empty");
  return out;
}

std::vector<double> ObjReader::num_list(const char* key, bool required, double lo, double hi) {
  std::vector<double> out;
  const json* v = raw(key);
  if (!v) {
    if (required && is_object_) error(key, "missing; expected a list of numbers");
    return out;
  }
  if (!v->is_array()) {
    error(key, "expected a list of numbers, found " + type_word(*v));
    return out;
  }
  for (size_t i = 0; i < v->size() && i < 256; ++i) {
    const auto& e = (*v)[i];
    const std::string p = std::string(key) + "[" + std::to_string(i) + "]";
    if (!e.is_number()) {
      error(p, "expected a number, found " + type_word(e));
      continue;
    }
    const double d = e.get<double>();
    if (!std::isfinite(d) || d < lo || d > hi) {
      error(p, "value " + num_text(d) + " is out of range; expected " + num_text(lo) + " to " + num_text(hi));
      continue;
    }
    out.push_back(d);
  }
  return out;
}

}  // namespace haloplan::detail
