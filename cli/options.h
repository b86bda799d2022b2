// Command-line options of haloplan: parsing and validation against the catalog.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "haloplan/planner/plan.h"
#include "haloplan/view/exports.h"
#include "haloplan/view/state.h"
#include "haloplan/view/table.h"
#include "haloplan/view/tables.h"

namespace haloplan::cli {

// A user error: printed as "haloplan: error: <message>", exit code 2.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Options {
  std::string command;
  // The scenario, in the page's form: flags and --link set its fields through the same readers
  // as a link (set_state_field), and make_scenario validates it strictly.
  ViewState state;
  std::string backend;  // --backend: show only this one (empty: every backend of the machine)
  std::vector<std::string> models;
  std::vector<std::string> quants;  // empty: the command's default
  std::vector<std::string> catalogs;
  std::vector<std::string> link_notices;  // what could not be read from --link (warnings)
  // plan with several --model: each member's own flags (--quant, --ctx, --slots, --kv-type,
  // --k-type, --v-type, --flash-attn, --vision, --mmproj given after its --model), as
  // (state key, value) pairs; flags before the first --model are every member's.
  struct Member {
    std::string model;
    std::vector<std::pair<std::string, std::string>> fields;
  };
  std::vector<Member> members;
  // cluster: the nodes (a count of --machine, or machine ids), the link and a -ts split.
  std::vector<std::string> nodes;
  std::string link = "10gbe";
  std::vector<double> ts;
  bool machine_given = false;  // --machine (or a link's machine) was given
  std::string root = "/";      // doctor --root: the tree to read instead of /
  bool print_link = false;     // doctor --link: print only the page link
  Format format = Format::Markdown;
  std::vector<std::string> positional;
};

Options parse_options(int argc, char** argv);
std::string usage();

// Validates the options' scenario against the catalog as the page does, but strictly: the first
// problem is a UsageError (unknown machine or backend, impossible carve-out, a quantized V cache
// without flash attention).
Scenario make_scenario(const Options& o, const Catalog& c);
FType parse_quant(const std::string& q);
// A published file named by key ("unsloth:UD-Q4_K_XL") or by tag alone when one publisher has it.
std::string resolve_file(const std::string& q, const Catalog& c);
// The models, quants and backends a command shows; throws UsageError for an unknown model.
Selection select(const Options& o, const Catalog& c);

}  // namespace haloplan::cli
