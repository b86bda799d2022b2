// bench/core: the planner's own speed, natively or as wasm under Node (same source).
//   - loading and validating the shipped catalog;
//   - plan cells per second (model x quant x context), on the first pass (weights computed) and
//     warm (weights memoized per model and quant, as the page and CLI use them);
//   - the first whole view from a fresh catalog (what the page computes when it opens);
//   - one whole view (every table of the page) for the default scenario, warm.
// Prints figures; asserts nothing. Usage: core [SECONDS per measurement, default 2]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "haloplan/default_catalog.h"
#include "haloplan/planner/plan.h"
#include "haloplan/view/view.h"

using namespace haloplan;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const double budget = argc > 1 ? std::atof(argv[1]) : 2.0;
#ifdef __EMSCRIPTEN__
  const char* where = "wasm";
#else
  const char* where = "native";
#endif
  // Catalog load and validation.
  std::vector<double> loads;
  for (int i = 0; i < 20; ++i) {
    const auto t = Clock::now();
    Catalog c;
    load_default_catalog(c);
    loads.push_back(seconds_since(t) * 1e3);
  }
  std::printf("%s: load + validate the shipped catalog: %.2f ms (median of %zu)\n", where, median(loads), loads.size());

  // The page's first view: a fresh catalog, so every weight breakdown it shows is computed.
  {
    const auto t0 = Clock::now();
    Catalog fresh;
    load_default_catalog(fresh);
    std::vector<Notice> notices;
    ViewState v;
    validate_state(v, fresh, notices);
    JsonOut o;
    o.obj();
    write_view(o, v, fresh);
    const size_t bytes = o.end_obj().text().size();
    std::printf("%s: first whole view from a fresh catalog (load, every table, JSON text): %.1f ms, %zu bytes\n", where,
                seconds_since(t0) * 1e3, bytes);
  }

  Catalog c;
  load_default_catalog(c);
  Scenario s;
  s.machine = c.machine("framework-desktop-128");
  const std::vector<int64_t> contexts = {4096, 32768, 131072};
  const auto& quants = quant_ladder();
  const size_t cells = c.models.size() * quants.size() * contexts.size();

  // First pass: every (model, quant) computes its tensor list and quantisation once.
  auto t = Clock::now();
  double sink = 0;
  for (const auto& m : c.models)
    for (FType q : quants)
      for (int64_t ctx : contexts) {
        s.ctx.n_ctx = ctx;
        sink += make_plan(c, m, q, s).weights.total_bytes;
      }
  const double first = seconds_since(t);
  std::printf("%s: first pass, %zu plan cells (%zu models x %zu quants x %zu contexts): %.1f ms, %.0f cells/s\n", where,
              cells, c.models.size(), quants.size(), contexts.size(), first * 1e3, double(cells) / first);

  // Warm: repeated passes for the time budget.
  size_t done = 0;
  t = Clock::now();
  while (seconds_since(t) < budget) {
    for (const auto& m : c.models)
      for (FType q : quants)
        for (int64_t ctx : contexts) {
          s.ctx.n_ctx = ctx;
          sink += make_plan(c, m, q, s).kv.kv_bytes();
          ++done;
        }
  }
  const double warm = seconds_since(t);
  std::printf("%s: warm, %zu plan cells in %.2f s: %.0f cells/s (%.2f us per cell, one core)\n", where, done, warm,
              double(done) / warm, warm / double(done) * 1e6);

  // One whole view as JSON text, and its head alone (what the page computes on each change before
  // the tables out of view).
  std::vector<Notice> notices;
  ViewState v;
  validate_state(v, c, notices);
  for (const bool whole : {true, false}) {
    std::vector<double> views;
    t = Clock::now();
    while (seconds_since(t) < budget / 4 || views.size() < 5) {
      const auto t1 = Clock::now();
      JsonOut o;
      o.obj();
      if (whole) write_view(o, v, c);
      else write_view_head(o, v, c);
      sink += double(o.end_obj().text().size());
      views.push_back(seconds_since(t1) * 1e3);
    }
    std::printf("%s: %s for the default scenario: %.2f ms median of %zu\n", where,
                whole ? "whole view (every table, JSON text)" : "view head (pools, focused model)", median(views),
                views.size());
  }
  return sink > 0 ? 0 : 1;
}
