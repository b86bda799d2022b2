// Layer: view. The tables the CLI prints and the page shows, built from plans: one source for
// both, so their numbers are the same by construction.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "haloplan/catalog/calib.h"
#include "haloplan/catalog/load.h"
#include "haloplan/planner/plan.h"
#include "haloplan/view/table.h"

namespace haloplan {

struct Selection {
  std::vector<const CatalogModel*> models;
  std::vector<FType> quants;
  std::vector<std::string> files;        // published files by key ("unsloth:UD-Q4_K_XL"), for the models that have them
  std::vector<const Backend*> backends;  // shown backends
  bool quants_given = false;
  // The backend of the speed figures: the first one shown.
  const Backend* speed_backend() const { return backends.empty() ? nullptr : backends.front(); }
};

Table list_table(const std::string& what, const Catalog& c);
// One plan per model x quant of the selection, models outer: the fit and speed tables of a
// scenario share them.
// One row of the fit and speed tables: a model at a preset, or at one of its published files.
struct Cell {
  const CatalogModel* model = nullptr;
  FType quant = FType::Q4_K_M;          // a file's mix
  const PublishedFile* file = nullptr;  // set: the row is this file
  std::string key() const;              // as the state names it: "Q4_K_M" or "unsloth:UD-Q4_K_XL"
  std::string label() const;            // as the tables show it: "Q4_K_M" or "UD-Q4_K_XL (unsloth)"
};
Plan cell_plan(const Catalog& c, const Cell& cell, const Scenario& s);

// The rows of a selection: each model at every chosen preset, then at each chosen published file
// it has, then at its release format when that is not among them (gpt-oss: MXFP4_MOE).
std::vector<Cell> selection_cells(const Selection& sel);
std::vector<Plan> selection_plans(const Catalog& c, const Scenario& s, const Selection& sel);
Table fit_table(const Catalog& c, const Scenario& s, const Selection& sel);
Table fit_table(const Scenario& s, const Selection& sel, const std::vector<Plan>& plans);
Table speed_table(const Catalog& c, const Scenario& s, const Selection& sel);
Table speed_table(const Scenario& s, const Selection& sel, const std::vector<Plan>& plans);
Table ceiling_table(const Machine& m);
// Pasted llama-bench rows against the speed model before and after the calibration fitted on them.
Table calibration_table(const CalibrationResult& r, const Catalog& c);
std::vector<Table> setup_tables(const Catalog& c, const Scenario& s, std::optional<double> gtt);
std::vector<Table> guide_tables(const Catalog& c, const Scenario& s, const Selection& sel, const Guide& guide);
std::vector<Table> plan_tables(const Catalog& c, const Scenario& s, const Plan& p, const Selection& sel);

}  // namespace haloplan
