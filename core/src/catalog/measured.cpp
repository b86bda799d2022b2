// The measured rows behind the speed families (data/measured.json): each row an array in the
// order "columns" names, so the shipped file stays small enough to embed in the page.
#include <algorithm>
#include <cmath>
#include <set>

#include "haloplan/catalog/bench.h"
#include "haloplan/catalog/load.h"
#include "haloplan/catalog/obj_reader.h"

namespace haloplan {

using detail::json;
using detail::ObjReader;

namespace {

// The columns, in the order every row gives them.
const std::vector<std::string> kColumns = {"model", "quant",     "family", "backend", "test",  "fa",
                                           "tps",   "predicted", "build",  "date",    "source"};

bool text_field(const json& v, size_t max_len, std::string& out) {
  if (!v.is_string() || v.get_ref<const std::string&>().size() > max_len) return false;
  out = v.get<std::string>();
  return true;
}

bool positive(const json& v, double& out) {
  if (!v.is_number()) return false;
  out = v.get<double>();
  return std::isfinite(out) && out > 0 && out < 1e7;
}

}  // namespace

std::vector<Diagnostic> load_measured(std::string_view text, Catalog& into) {
  std::vector<Diagnostic> d;
  auto root = detail::parse_json(text, d, "the measured rows");
  if (!root) return d;
  auto out = std::make_shared<MeasuredRows>();
  {
    ObjReader top(*root, "", d);
    if (!top.ok()) return d;
    if (auto s = top.str("schema", true, 64); s && *s != "haloplan-measured")
      top.error("schema", "is \"" + *s + "\"; expected \"haloplan-measured\"");
    if (auto v = top.integer("version", true, 1, 1000000); v && *v > kCatalogSchemaVersion)
      top.error("version", "is " + std::to_string(*v) + ", newer than this haloplan understands (" +
                               std::to_string(kCatalogSchemaVersion) + "); update haloplan");
    top.str("about", false, 4000);
    if (top.str_list("columns", true) != kColumns && !has_errors(d))
      top.error(
          "columns", "expected exactly [" + [] {
            std::string s;
            for (const auto& c : kColumns) s += (s.empty() ? "\"" : ", \"") + c + "\"";
            return s;
          }() + "]");
    out->sources = top.str_list("sources", false, 5000);
    const json* rows = top.raw("rows");
    if (!rows || !rows->is_array()) {
      top.error("rows", "missing; expected a list");
      return d;
    }
    if (rows->size() > 20000) {
      top.error("rows", "has " + std::to_string(rows->size()) + " entries; the limit is 20000");
      return d;
    }
    std::set<std::string> families;
    for (const auto& f : into.speed_families) families.insert(f.id);
    for (size_t i = 0; i < rows->size() && !has_errors(d); ++i) {
      const json& r = (*rows)[i];
      const std::string at = "rows[" + std::to_string(i) + "]";
      auto bad = [&](const std::string& what) { d.push_back({at, what, true}); };
      if (!r.is_array() || r.size() != kColumns.size()) {
        bad("expected a list of " + std::to_string(kColumns.size()) + " values (the columns)");
        break;
      }
      MeasuredRow m;
      BenchRow test;
      if (!text_field(r[0], 96, m.model) || !into.model(m.model)) bad("model: not a model of the catalog");
      else if (!text_field(r[1], 64, m.quant)) bad("quant: expected a label");
      else if (!text_field(r[2], 64, m.family) || (!families.empty() && !families.count(m.family)))
        bad("family: not a speed family of the catalog");
      else if (!text_field(r[3], 200, m.backend)) bad("backend: expected a label");
      else if (!text_field(r[4], 40, m.test) || !parse_test_name(m.test, test))
        bad("test: expected a llama-bench test (tgN or ppN, optionally @dM)");
      else if (!r[5].is_boolean()) bad("fa: expected true or false");
      else if (!positive(r[6], m.tps)) bad("tps: expected a positive number");
      else if (!positive(r[7], m.predicted)) bad("predicted: expected a positive number");
      else if (!r[8].is_number_integer() || r[8].get<int64_t>() < 0 || r[8].get<int64_t>() > 1000000)
        bad("build: expected a build number (0 if unknown)");
      else if (!text_field(r[9], 7, m.date)) bad("date: expected \"YYYY-MM\" or \"\"");
      else if (!r[10].is_number_unsigned() || r[10].get<size_t>() >= out->sources.size())
        bad("source: expected an index into sources");
      if (has_errors(d)) break;
      m.flash_attn = r[5].get<bool>();
      m.build = int(r[8].get<int64_t>());
      m.source = r[10].get<size_t>();
      m.decode = test.decode, m.n_tokens = test.n_tokens, m.depth = test.depth;
      out->rows.push_back(std::move(m));
    }
  }
  if (!has_errors(d)) into.measured = std::move(out);
  return d;
}

}  // namespace haloplan
