#include "haloplan/catalog/obj_reader.h"

#include <algorithm>
#include <cstdio>

namespace haloplan::detail {

namespace {
std::string num_text(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}
}  // namespace

ObjReader::ObjReader(const json& j, std::string path, std::vector<Diagnostic>& diags)
    : j_(j), path_(std::move(path)), diags_(diags), is_object_(j.is_object()) {
  if (!is_object_) diags_.push_back({path_.empty() ? "$" : path_, "expected an object, found " + type_word(j), true});
}

ObjReader::~ObjReader() {
  if (!is_object_) return;
  for (auto it = j_.begin(); it != j_.end(); ++it) {
    if (std::find(read_.begin(), read_.end(), &it.value()) == read_.end() &&
        it.key().rfind("_", 0) != 0)  // keys starting with _ are comments
      diags_.push_back({sub(it.key()), "unknown field (ignored); check its spelling", false});
  }
}

void ObjReader::error(const std::string& key, const std::string& msg) {
  diags_.push_back({key.empty() ? path_ : sub(key), msg, true});
}

bool ObjReader::has(const char* key) const { return is_object_ && j_.contains(key); }

const json* ObjReader::raw(const char* key) {
  if (!is_object_) return nullptr;
  auto it = j_.find(key);
  if (it == j_.end()) return nullptr;
  read_.push_back(&*it);
  return &*it;
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
    error(key,
          "value " + num_text(d) + " is out of range; expected " + std::to_string(lo) + " to " + std::to_string(hi));
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
