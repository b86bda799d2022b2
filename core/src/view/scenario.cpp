#include "haloplan/view/scenario.h"

#include <algorithm>

#include "haloplan/catalog/load.h"
#include "haloplan/text/strings.h"

namespace haloplan {

Catalog apply_custom(const Catalog& shipped, const ViewState& s, std::vector<Notice>& notices) {
  share_weight_memos(shipped);
  Catalog c = shipped;
  if (!s.removed.empty()) {
    std::erase_if(c.models, [&](const CatalogModel& m) {
      return std::find(s.removed.begin(), s.removed.end(), m.id) != s.removed.end();
    });
  }
  apply_calibrations(c, s.cal);
  if (s.custom.empty()) return c;
  // Each model on its own, so one broken entry does not take the others with it.
  ModelIndex index;
  for (size_t i = 0; i < s.custom.size(); ++i) {
    const auto d = merge_model(s.custom[i], "custom[" + std::to_string(i) + "]", c, index);
    for (const auto& x : d) {
      if (!x.error) continue;
      notices.push_back({"custom", x.path + ": " + x.message + " (this model was left out)"});
      break;
    }
  }
  return c;
}

void validate_state(ViewState& s, const Catalog& c, std::vector<Notice>& notices) {
  if (c.machines.empty()) return;
  std::erase_if(s.cal, [&](const Calibration& cal) {
    if (c.backend(cal.backend)) return false;
    notices.push_back({"cal", "calibration for unknown backend '" + cal.backend + "' was dropped"});
    return true;
  });
  const Machine* m = c.machine(s.machine);
  if (!m) {
    if (!s.machine.empty())
      notices.push_back({"machine", "unknown machine '" + s.machine + "'; showing " + c.machines.front().id});
    m = &c.machines.front();
    s.machine = m->id;
  }
  if (s.carve_out_gib) {
    if (m->kind != MemoryKind::AmdApu) {
      s.carve_out_gib.reset();
    } else if (*s.carve_out_gib >= m->ram_gib) {
      notices.push_back({"carve", "a carve-out of " + num_text(*s.carve_out_gib) + " GiB leaves nothing of " + m->name +
                                      "'s " + num_text(m->ram_gib) + " GiB; the default is used"});
      s.carve_out_gib.reset();
    }
  }
  if (s.os_reserve_gib && *s.os_reserve_gib >= m->ram_gib) {
    notices.push_back({"reserve", "an OS reserve of " + num_text(*s.os_reserve_gib) +
                                      " GiB is all of the machine's memory; the default is used"});
    s.os_reserve_gib.reset();
  }
  const auto bs = backends_for(c, *m);
  if (!bs.empty() && std::none_of(bs.begin(), bs.end(), [&](const Backend* b) { return b->id == s.backend; })) {
    if (!s.backend.empty())
      notices.push_back(
          {"backend", "backend '" + s.backend + "' does not run on " + m->name + "; showing " + bs.front()->id});
    s.backend = bs.front()->id;
  }
  if (!s.model.empty() && !c.model(s.model)) {
    notices.push_back({"model", "model '" + s.model + "' is not in the catalog"});
    s.model.clear();
  }
  if (s.model.empty() && !c.models.empty()) s.model = c.models.front().id;
}

Scenario scenario_for(const ViewState& s, const Catalog& c) {
  Scenario sc;
  sc.machine = c.machine(s.machine);
  sc.knobs.carve_out_gib = s.carve_out_gib;
  sc.knobs.gtt_gib = s.gtt_gib;
  sc.knobs.os_reserve_gib = s.os_reserve_gib;
  sc.knobs.rocm_gtt = s.rocm_gtt;
  sc.ctx.n_ctx = s.ctx;
  sc.ctx.n_seq = s.slots;
  sc.ctx.kv_unified = s.kv_unified;
  sc.ctx.flash_attn = s.flash_attn;
  sc.ctx.type_k = kv_cache_type(s.type_k).value_or(GgmlType::F16);
  sc.ctx.type_v = kv_cache_type(s.type_v).value_or(GgmlType::F16);
  sc.prompt_tokens = s.prompt;
  return sc;
}

}  // namespace haloplan
