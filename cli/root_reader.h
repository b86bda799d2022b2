// The files of a system under a root directory, for `haloplan doctor` (--root) and its tests.
#pragma once

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "haloplan/planner/probe.h"

namespace haloplan::cli {

// The files of a system under a root directory ("/" for this machine).
class RootReader : public SystemReader {
 public:
  explicit RootReader(std::string root) : root_(std::move(root)) {
    while (root_.size() > 1 && root_.back() == '/') root_.pop_back();
    if (root_ == "/") root_.clear();
  }
  std::optional<std::string> read(const std::string& path) const override {
    std::error_code ec;
    const std::filesystem::path full(root_ + path);
    if (!std::filesystem::is_regular_file(full, ec) || ec) return std::nullopt;
    std::ifstream f(full, std::ios::binary);
    if (!f) return std::nullopt;
    std::string out(kMaxProbeFileBytes, '\0');
    f.read(out.data(), std::streamsize(out.size()));
    if (f.bad()) return std::nullopt;
    out.resize(size_t(f.gcount()));
    return out;
  }
  std::optional<std::vector<std::string>> list(const std::string& dir) const override {
    std::error_code ec;
    std::filesystem::directory_iterator it(root_ + dir, ec), end;
    if (ec) return std::nullopt;
    std::vector<std::string> names;
    for (; it != end; it.increment(ec)) {
      if (ec) return std::nullopt;
      names.push_back(it->path().filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
  }

 private:
  std::string root_;
};

}  // namespace haloplan::cli
