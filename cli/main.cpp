// haloplan command line: the planner core's tables as Markdown, CSV or JSON.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "haloplan/default_catalog.h"
#include "haloplan/setup.h"
#include "haloplan/view.h"
#include "options.h"
#include "haloplan/report.h"

using namespace haloplan;
using namespace haloplan::cli;

namespace {

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw UsageError("cannot read catalog file '" + path + "'");
  std::ostringstream ss;
  ss << f.rdbuf();
  if (ss.str().size() > (64u << 20)) throw UsageError("catalog file '" + path + "' is larger than 64 MiB");
  return ss.str();
}

void load_catalog(const Options& o, Catalog& c) {
  auto d = load_default_catalog(c);
  if (has_errors(d)) {
    for (const auto& x : d) std::cerr << "haloplan: " << x.text() << "\n";
    throw std::runtime_error("the shipped catalog is broken");
  }
  if (!o.link_custom.empty() || !o.link_removed.empty()) {
    ViewState s;
    s.custom = o.link_custom;
    s.removed = o.link_removed;
    std::vector<Notice> notices;
    c = apply_custom(c, s, notices);
    for (const auto& n : notices) std::cerr << "haloplan: warning: link: " << n.message << "\n";
  }
  for (const auto& path : o.catalogs) {
    const auto text = read_file(path);
    auto diags = merge_models(text, c);
    for (const auto& x : diags) std::cerr << "haloplan: " << path << ": " << x.text() << "\n";
    if (has_errors(diags)) throw UsageError("catalog file '" + path + "' has errors (listed above); nothing was loaded from it");
  }
}

void print(const std::string& s) { std::fwrite(s.data(), 1, s.size(), stdout); }

void print_tables(const std::vector<Table>& tables, Format f) {
  if (f == Format::Json) {
    print("[");
    for (size_t i = 0; i < tables.size(); ++i) print((i ? "," : "") + tables[i].render(f));
    print("]\n");
    return;
  }
  for (size_t i = 0; i < tables.size(); ++i) {
    if (i) print("\n");
    print(tables[i].render(f));
  }
}

}  // namespace

int main(int argc, char** argv) {
  try {
    Options o = parse_options(argc, argv);
    if (o.command == "help") {
      print(usage());
      return 0;
    }
    for (const auto& n : o.link_notices) std::cerr << "haloplan: warning: link: " << n << "\n";
    Catalog c;
    load_catalog(o, c);
    const Scenario s = make_scenario(o, c);
    const Selection sel = select(o, c);
    if (o.command == "models" || o.command == "machines" || o.command == "backends") {
      print_tables({list_table(o.command, c)}, o.format);
    } else if (o.command == "fit") {
      print_tables({fit_table(c, s, sel)}, o.format);
    } else if (o.command == "speed") {
      print_tables({speed_table(c, s, sel), ceiling_table(*s.machine)}, o.format);
    } else if (o.command == "setup") {
      print_tables(setup_tables(c, s, o.gtt), o.format);
    } else if (o.command == "guide") {
      auto guide = nlohmann::json::parse(embedded::guide_json());
      print_tables(guide_tables(c, s, sel, guide), o.format);
    } else if (o.command == "plan") {
      if (sel.models.size() != 1) throw UsageError("plan needs exactly one --model");
      if (sel.quants.size() > 1) throw UsageError("plan needs exactly one --quant");
      const auto p = make_plan(c, *sel.models[0], sel.quants[0], s);
      if (o.format == Format::Json) print(plan_json(c, s, p, sel) + "\n");
      else print_tables(plan_tables(c, s, p, sel), o.format);
    }
    return 0;
  } catch (const UsageError& e) {
    std::cerr << "haloplan: error: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "haloplan: internal error: " << e.what() << "\n";
    return 1;
  }
}
