// The tables the CLI prints and the page shows, built from plans: one source for both, so their
// numbers are the same by construction.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "haloplan/calib.h"
#include "haloplan/plan.h"
#include "haloplan/json_out.h"
#include "haloplan/table.h"

namespace haloplan {

struct Selection {
  std::vector<const CatalogModel*> models;
  std::vector<FType> quants;
  std::vector<const Backend*> backends;  // shown backends
  bool quants_given = false;
};

Table list_table(const std::string& what, const Catalog& c);
// One plan per model x quant of the selection, models outer: the fit and speed tables of a
// scenario share them.
std::vector<Plan> selection_plans(const Catalog& c, const Scenario& s, const Selection& sel);
Table fit_table(const Catalog& c, const Scenario& s, const Selection& sel);
Table fit_table(const Scenario& s, const Selection& sel, const std::vector<Plan>& plans);
Table speed_table(const Catalog& c, const Scenario& s, const Selection& sel);
Table speed_table(const Scenario& s, const Selection& sel, const std::vector<Plan>& plans);
Table ceiling_table(const Machine& m);
// Pasted llama-bench rows against the speed model before and after the calibration fitted on them.
Table calibration_table(const CalibrationResult& r, const Catalog& c);
std::vector<Table> setup_tables(const Catalog& c, const Scenario& s, std::optional<double> gtt);
std::vector<Table> guide_tables(const Catalog& c, const Scenario& s, const Selection& sel,
                                const nlohmann::json& guide);
std::vector<Table> plan_tables(const Catalog& c, const Scenario& s, const Plan& p, const Selection& sel);
std::string plan_json(const Catalog& c, const Scenario& s, const Plan& p, const Selection& sel);

std::string gib(double bytes, int decimals = 1);

// {"title", "headers": [...], "rows": [[...], ...], "notes": [...]}: the page's form of a table.
nlohmann::json table_json(const Table& t);
// The same into a writer; close=false leaves the object open for more members.
void write_table(JsonOut& o, const Table& t, bool close = true);
// The reverse, for exports of what the page shows; nullopt if the JSON is not a table.
std::optional<Table> table_from_json(const nlohmann::json& j);
std::optional<Table> table_from_json_text(std::string_view text);  // nullopt also for broken JSON

// The llama-server command that runs the plan on a llama.cpp backend: context, slots, K/V types,
// flash attention, every layer on the GPU, and --no-mmap on unified memory. nullopt for other
// engines (vLLM, Ollama), which llama-server does not drive.
std::optional<std::string> llama_server_command(const Plan& p, const Scenario& s, const Backend& b);

}  // namespace haloplan
