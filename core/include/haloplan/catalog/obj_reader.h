// Layer: catalog. A validating reader over one JSON object of a data file: every problem is
// reported with its JSON path, unknown keys become warnings, numbers are range-checked.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "haloplan/text/json_parse.h"

namespace haloplan::detail {

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

}  // namespace haloplan::detail
