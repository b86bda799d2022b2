// libFuzzer target: the link (URL fragment) decoder, the state's JSON form, and what the page
// does with the result: apply custom models, validate, compute every table.
#include <cstdint>
#include <string_view>

#include "haloplan/default_catalog.h"
#include "haloplan/planner/plan.h"
#include "haloplan/view/view.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace haloplan;
  static const Catalog shipped = [] {
    Catalog c;
    load_default_catalog(c);
    return c;
  }();
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<Notice> notices;
  ViewState s = (size > 0 && data[0] == '{') ? state_from_json(text, notices) : decode_link(text, notices);
  if (s.ctx > (int64_t(1) << 20)) s.ctx = int64_t(1) << 20;  // keep each run quick; sizes are fuzzed elsewhere
  const Catalog c = apply_custom(shipped, s, notices);
  validate_state(s, c, notices);
  (void)encode_link(s);
  // Every table costs ~0.1 s under the sanitizers: compute them for one input in 16, the focused
  // plan for the rest.
  if (size % 16 == 0 && s.custom.size() < 4) {
    (void)compute_view(s, c);
  } else if (const CatalogModel* m = c.model(s.model)) {
    const Scenario sc = scenario_for(s, c);
    (void)make_plan(c, *m, ftype_from_name(s.quant).value_or(FType::Q4_K_M), sc);
  }
  return 0;
}
