// The core's JSON reader: text to nlohmann's DOM with limits (parse_json), and a validating reader
// over that DOM (ObjReader). Every problem is reported with its JSON path, unknown keys become
// warnings, numbers are range-checked.
#pragma once

#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "haloplan/catalog.h"

namespace haloplan::detail {

using nlohmann::json;

// Parses text with a nesting limit, so hostile input cannot exhaust the stack.
std::optional<json> parse_json(std::string_view text, std::vector<Diagnostic>& diags,
                               const std::string& what);

class ObjReader {
 public:
  ObjReader(const json& j, std::string path, std::vector<Diagnostic>& diags);
  ~ObjReader();  // reports unknown keys
  ObjReader(const ObjReader&) = delete;
  ObjReader& operator=(const ObjReader&) = delete;

  bool ok() const { return is_object_; }
  const std::string& path() const { return path_; }
  bool has(const char* key) const;
  const json* raw(const char* key);  // marks the key as read

  std::optional<std::string> str(const char* key, bool required, size_t max_len = 4096);
  std::optional<int64_t> integer(const char* key, bool required, int64_t lo, int64_t hi);
  std::optional<double> number(const char* key, bool required, double lo, double hi);
  std::optional<bool> boolean(const char* key, bool required);
  std::vector<std::string> str_list(const char* key, bool required, size_t max_items = 256);
  std::vector<double> num_list(const char* key, bool required, double lo, double hi);

  void error(const std::string& key, const std::string& msg);
  std::string sub(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }
  std::vector<Diagnostic>& diagnostics() const { return diags_; }

 private:
  const json& j_;
  std::string path_;
  std::vector<Diagnostic>& diags_;
  std::vector<const json*> read_;  // the members read, so the others can be named as unknown
  bool is_object_;
};

std::string type_word(const json& j);

}  // namespace haloplan::detail
