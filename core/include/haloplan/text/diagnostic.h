// Layer: text. A problem found in text the core was given: where (a JSON path) and what.
#pragma once

#include <algorithm>
#include <string>
#include <vector>

namespace haloplan {

struct Diagnostic {
  std::string path;     // JSON path, e.g. models[3].attention.kv_lora_rank
  std::string message;  // what was wrong and what was expected
  bool error = true;    // false: a warning (e.g. an unknown field)
  std::string text() const { return (error ? "error: " : "warning: ") + (path.empty() ? "" : path + ": ") + message; }
};

inline bool has_errors(const std::vector<Diagnostic>& d) {
  return std::any_of(d.begin(), d.end(), [](const Diagnostic& x) { return x.error; });
}

}  // namespace haloplan
