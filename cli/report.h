// The CLI's tables, built from plans.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "haloplan/plan.h"
#include "options.h"
#include "table.h"

namespace haloplan::cli {

struct Selection {
  std::vector<const CatalogModel*> models;
  std::vector<FType> quants;
  std::vector<const Backend*> backends;  // shown backends
  bool quants_given = false;
};

Selection select(const Options& o, const Catalog& c);

Table list_table(const std::string& what, const Catalog& c);
Table fit_table(const Catalog& c, const Scenario& s, const Selection& sel);
Table speed_table(const Catalog& c, const Scenario& s, const Selection& sel);
Table ceiling_table(const Machine& m);
std::vector<Table> setup_tables(const Catalog& c, const Scenario& s, std::optional<double> gtt);
std::vector<Table> guide_tables(const Catalog& c, const Scenario& s, const Selection& sel,
                                const nlohmann::json& guide);
std::vector<Table> plan_tables(const Catalog& c, const Scenario& s, const Plan& p, const Selection& sel);
std::string plan_json(const Catalog& c, const Scenario& s, const Plan& p, const Selection& sel);

std::string gib(double bytes, int decimals = 1);

}  // namespace haloplan::cli
