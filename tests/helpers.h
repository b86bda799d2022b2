#pragma once

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "haloplan/default_catalog.h"

namespace haloplan::test {

inline nlohmann::json fixture(const std::string& name) {
  std::ifstream f(std::string(HALOPLAN_FIXTURES) + "/" + name);
  std::stringstream ss;
  ss << f.rdbuf();
  return nlohmann::json::parse(ss.str());
}

inline const Catalog& shipped() {
  static Catalog c = [] {
    Catalog x;
    auto d = load_default_catalog(x);
    if (has_errors(d)) throw std::runtime_error(d.front().text());
    return x;
  }();
  return c;
}

}  // namespace haloplan::test
