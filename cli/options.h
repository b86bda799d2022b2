// Command-line options of haloplan: parsing and validation against the catalog.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "haloplan/planner/plan.h"
#include "haloplan/view/exports.h"
#include "haloplan/view/table.h"
#include "haloplan/view/tables.h"

namespace haloplan::cli {

// A user error: printed as "haloplan: error: <message>", exit code 2.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Options {
  std::string command;
  std::string machine = "framework-desktop-128";
  std::optional<double> carve_out, gtt, os_reserve;
  std::optional<bool> rocm_gtt;
  std::string backend;  // empty: every backend of the machine
  std::vector<std::string> models;
  std::vector<std::string> quants;  // empty: the command's default
  int64_t ctx = 32768;
  std::optional<std::string> k_type, v_type;
  int slots = 1;
  bool kv_unified = true;
  bool flash_attn = true;
  int64_t prompt = 4096;
  std::vector<std::string> catalogs;
  // From --link: the page's custom models and removed shipped models (the rest of the link sets
  // the fields above), and what could not be read from it.
  nlohmann::json link_custom = nlohmann::json::array();
  std::vector<std::string> link_removed;
  std::vector<std::string> link_notices;
  std::vector<Calibration> cal;  // --cal or the link's cal=: the user's llama-bench calibrations
  Format format = Format::Markdown;
  std::vector<std::string> positional;
};

Options parse_options(int argc, char** argv);
std::string usage();

// Builds the scenario; throws UsageError naming an unknown machine, type or bad combination.
Scenario make_scenario(const Options& o, const Catalog& c);
FType parse_quant(const std::string& q);
// The models, quants and backends a command shows; throws UsageError for an unknown model.
Selection select(const Options& o, const Catalog& c);

}  // namespace haloplan::cli
