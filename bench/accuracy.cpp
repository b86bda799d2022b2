// Scores the shipped speed model against measured llama-bench rows:
//
//   accuracy ROWS.csv... [--catalog FILE]... [--machine ID] [--json]
//
// ROWS.csv has the columns of bench/data/llama_bench_strix_halo.csv. Each row's catalog_id names
// the catalog model; --catalog adds or overrides models from another catalog file, so any file
// with these columns can be scored. Rows whose model or backend cannot be resolved are counted
// and listed, not guessed. Prints median and 90th-percentile absolute error per test kind and
// backend family, band coverage and the worst rows; --json prints one object instead.
#include <fstream>
#include <iostream>
#include <sstream>

#include "haloplan/default_catalog.h"
#include "scoring.h"

using namespace haloplan;

namespace {

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return std::nullopt;
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

int usage(const std::string& msg) {
  std::cerr << "accuracy: " << msg << "\nusage: accuracy ROWS.csv... [--catalog FILE]... [--machine ID] [--json]\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> csvs;
  std::string machine = "framework-desktop-128";
  std::vector<std::string> catalogs;
  bool as_json = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--json") as_json = true;
    else if ((a == "--catalog" || a == "--machine") && i + 1 < argc)
      (a == "--catalog" ? catalogs.emplace_back(argv[++i]) : machine = argv[++i]);
    else if (a == "--catalog" || a == "--machine") return usage(a + " needs a value");
    else if (a.rfind("-", 0) == 0) return usage("unknown option '" + a + "'");
    else csvs.push_back(a);
  }
  if (csvs.empty()) return usage("no ROWS.csv given");
  Catalog cat;
  if (has_errors(load_default_catalog(cat))) {
    std::cerr << "accuracy: the shipped catalog has errors\n";
    return 1;
  }
  for (const auto& path : catalogs) {
    const auto text = read_file(path);
    if (!text) return usage("cannot read catalog '" + path + "'");
    const auto d = merge_models(*text, cat);
    for (const auto& x : d) std::cerr << "accuracy: " << path << ": " << x.text() << "\n";
    if (has_errors(d)) return 1;
  }
  const Machine* m = cat.machine(machine);
  if (!m) return usage("unknown machine '" + machine + "'");
  BenchRows rows;
  std::string names;
  for (const auto& csv : csvs) {
    const auto text = read_file(csv);
    if (!text) return usage("cannot read '" + csv + "'");
    BenchRows one = parse_calibration_csv(*text);
    if (one.rows.empty()) {
      for (const auto& e : one.errors) std::cerr << "accuracy: " << csv << ": " << e << "\n";
      return 1;
    }
    const std::string name = csv.substr(csv.rfind('/') + 1);
    for (auto& r : one.rows) r.file = name, rows.rows.push_back(std::move(r));
    for (auto& e : one.errors) rows.errors.push_back(name + " " + e);
    names += (names.empty() ? "" : " + ") + name;
  }
  auto p = bench::prepare(cat, *m, rows);
  bench::predict(p, cat.speed_families);
  if (as_json) std::cout << bench::report_json(p, cat.speed_families).dump(1) << "\n";
  else bench::print_report(p, cat.speed_families, names);
  return 0;
}
