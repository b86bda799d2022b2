#include "haloplan/view/scenario.h"

#include <algorithm>
#include <cmath>

#include "haloplan/catalog/load.h"
#include "haloplan/text/strings.h"

namespace haloplan {

std::string engine_of(std::string_view family_id) { return std::string(family_id.substr(0, family_id.find('-'))); }

void apply_builds(Catalog& c, const std::vector<std::string>& builds) {
  for (const auto& id : builds) {
    const auto fam = std::find_if(c.speed_families.begin(), c.speed_families.end(),
                                  [&](const SpeedFamily& f) { return f.id == id; });
    if (fam == c.speed_families.end()) continue;
    for (auto& b : c.backends) {
      // Only llama.cpp's own backends: Ollama and vLLM borrow a family's shape with a factor of
      // their own, measured against its default build.
      if (b.id.rfind("llamacpp-", 0) != 0 || engine_of(b.speed_family) != engine_of(id)) continue;
      b.speed_family = fam->id;
      b.speed = fam->params;
      b.speed_calibrated = b.speed.decode_rows > 0;
    }
  }
}

Catalog apply_custom(const Catalog& shipped, const ViewState& s, std::vector<Notice>& notices) {
  share_weight_memos(shipped);
  Catalog c = shipped;
  if (!s.removed.empty()) {
    std::erase_if(c.models, [&](const CatalogModel& m) {
      return std::find(s.removed.begin(), s.removed.end(), m.id) != s.removed.end();
    });
  }
  apply_builds(c, s.builds);
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

namespace {

// A problem with the state and what was done about it.
void note(std::vector<Notice>& notices, const char* key, const std::string& problem, const std::string& done) {
  notices.push_back({key, problem + "; " + done, problem});
}

template <class T, class Id>
std::string id_list(const std::vector<T>& items, Id id) {
  std::vector<std::string> ids;
  for (const auto& x : items) ids.push_back(id(x));
  return join(ids, ", ");
}

}  // namespace

// The carve-out, GTT limit and OS reserve the machine can have; each wrong one is replaced.
void validate_memory_knobs(ViewState& s, const Machine& m, std::vector<Notice>& notices) {
  if (s.carve_out_gib && m.kind != MemoryKind::AmdApu) {
    note(notices, "carve", "a carve-out applies to AMD APUs; " + m.id + " has no BIOS carve-out", "none is used");
    s.carve_out_gib.reset();
  } else if (s.carve_out_gib && *s.carve_out_gib >= m.ram_gib) {
    note(notices, "carve",
         "a carve-out of " + num_text(*s.carve_out_gib) + " GiB leaves nothing of the machine's " +
             num_text(m.ram_gib) + " GiB to the OS",
         "the default is used");
    s.carve_out_gib.reset();
  }
  if (s.carve_out_gib && m.kind == MemoryKind::AmdApu && !m.carve_out_options_gib.empty() &&
      std::none_of(m.carve_out_options_gib.begin(), m.carve_out_options_gib.end(),
                   [&](double o) { return std::abs(o - *s.carve_out_gib) < 1e-9; })) {
    // The firmware offers fixed sizes: the largest option at most the value, else the smallest.
    std::vector<double> opts = m.carve_out_options_gib;
    std::sort(opts.begin(), opts.end());
    double used = opts.front();
    for (double o : opts)
      if (o <= *s.carve_out_gib) used = o;
    std::vector<std::string> names;
    for (double o : opts) names.push_back(num_text(o));
    note(notices, "carve",
         "a carve-out of " + num_text(*s.carve_out_gib) + " GiB is not one of the BIOS options of " + m.name + " (" +
             join(names, ", ") + " GiB)",
         num_text(used) + " GiB is used");
    s.carve_out_gib = used;
  }
  if (s.gtt_gib && m.kind == MemoryKind::AmdApu) {
    Knobs k;
    k.carve_out_gib = s.carve_out_gib;
    const double os_visible = machine_pools(m, k).os_visible / kGiB;
    if (*s.gtt_gib > os_visible + 1e-9) {
      const double used = std::floor(os_visible);
      note(notices, "gtt",
           "a GTT limit of " + num_text(*s.gtt_gib) + " GiB is more than the " + num_text(os_visible) +
               " GiB the OS sees beside the carve-out (kernels cap GTT at it; a smaller carve-out leaves more)",
           num_text(used) + " GiB is used");
      s.gtt_gib = used;
    }
  }
  if (s.os_reserve_gib && *s.os_reserve_gib >= m.ram_gib) {
    note(notices, "reserve",
         "an OS reserve of " + num_text(*s.os_reserve_gib) + " GiB is all of the machine's " + num_text(m.ram_gib) +
             " GiB",
         "the default is used");
    s.os_reserve_gib.reset();
  }
}

void validate_state(ViewState& s, const Catalog& c, std::vector<Notice>& notices) {
  if (c.machines.empty()) return;
  // The resident set: models the catalog has, at a quant each has.
  std::erase_if(s.set, [&](const std::string& e) {
    const auto parts = split(e, '@');
    const CatalogModel* m = parts.size() == 3 ? c.model(parts[0]) : nullptr;
    if (!m) {
      note(notices, "set", "the resident set's model '" + (parts.empty() ? e : parts[0]) + "' is not in the catalog",
           "it was left out");
      return true;
    }
    if (!ftype_from_name(parts[1]) && !m->published(parts[1])) {
      note(notices, "set", m->name + " has no published file '" + parts[1] + "'", "it was left out of the set");
      return true;
    }
    return false;
  });
  std::vector<std::string> engines;
  std::erase_if(s.builds, [&](const std::string& id) {
    const auto fam = std::find_if(c.speed_families.begin(), c.speed_families.end(),
                                  [&](const SpeedFamily& f) { return f.id == id; });
    if (fam == c.speed_families.end() || fam->params.decode_rows + fam->params.prefill_rows == 0) {
      std::vector<std::string> known;
      for (const auto& f : c.speed_families)
        if (f.params.decode_rows + f.params.prefill_rows > 0) known.push_back(f.id);
      note(notices, "builds", "unknown or uncalibrated build family '" + id + "'; known: " + join(known, ", "),
           "the default is used");
      return true;
    }
    if (std::find(engines.begin(), engines.end(), engine_of(id)) != engines.end()) {
      note(notices, "builds", "a second " + engine_of(id) + " build '" + id + "'", "the first one named is used");
      return true;
    }
    engines.push_back(engine_of(id));
    return false;
  });
  std::erase_if(s.cal, [&](const Calibration& cal) {
    if (c.backend(cal.backend)) return false;
    note(notices, "cal", "calibration for unknown backend '" + cal.backend + "'", "it was dropped");
    return true;
  });
  const Machine* m = c.machine(s.machine);
  if (!m) {
    if (!s.machine.empty())
      note(notices, "machine",
           "unknown machine '" + s.machine + "'; known: " + id_list(c.machines, [](const Machine& x) { return x.id; }),
           "showing " + c.machines.front().id);
    m = &c.machines.front();
    s.machine = m->id;
  }
  validate_memory_knobs(s, *m, notices);
  const auto bs = backends_for(c, *m);
  if (!bs.empty() && std::none_of(bs.begin(), bs.end(), [&](const Backend* b) { return b->id == s.backend; })) {
    if (!s.backend.empty() && !c.backend(s.backend))
      note(notices, "backend",
           "unknown backend '" + s.backend + "'; known: " + id_list(c.backends, [](const Backend& x) { return x.id; }),
           "showing " + bs.front()->id);
    else if (!s.backend.empty())
      note(notices, "backend", "backend '" + s.backend + "' does not run on " + m->name, "showing " + bs.front()->id);
    s.backend = bs.front()->id;
  }
  if (!s.model.empty() && !c.model(s.model)) {
    note(notices, "model", "model '" + s.model + "' is not in the catalog", "the first model is shown");
    s.model.clear();
  }
  // A context longer than the focused model was trained for (a link's, a typo): its own is used.
  if (const CatalogModel* fm = c.model(s.model); fm && fm->arch.max_context > 0 && s.ctx > fm->arch.max_context) {
    note(notices, "ctx",
         "a context of " + std::to_string(s.ctx) + " tokens is more than " + fm->name + " was trained for (" +
             std::to_string(fm->arch.max_context) + ")",
         std::to_string(fm->arch.max_context) + " is used");
    s.ctx = fm->arch.max_context;
  }
  if (s.model.empty() && !c.models.empty()) {
    // The machine's usual model, in its release format unless the state names a quant.
    const CatalogModel* fm = c.model(m->focus_model);
    if (!fm) fm = &c.models.front();
    s.model = fm->id;
    if (s.quant == ViewState{}.quant && fm->release_quant) s.quant = preset(*fm->release_quant).name;
  }
  // Published files are keys into the catalog: one no model has is left out.
  std::erase_if(s.quants, [&](const std::string& q) {
    if (ftype_from_name(q)) return false;
    if (std::any_of(c.models.begin(), c.models.end(), [&](const CatalogModel& x) { return x.published(q) != nullptr; }))
      return false;
    note(notices, "quants", "no model in the catalog has a published file '" + q + "'", "it was left out");
    return true;
  });
  if (s.quants.empty()) s.quants = {"Q4_K_M"};
  if (!ftype_from_name(s.quant)) {
    const CatalogModel* fm = c.model(s.model);
    if (!fm || !fm->published(s.quant)) {
      note(notices, "quant", (fm ? fm->id : std::string("the model")) + " has no published file '" + s.quant + "'",
           "Q4_K_M is shown");
      s.quant = "Q4_K_M";
    }
  }
  if (!s.draft.empty() && !c.model(s.draft)) {
    note(notices, "draft", "draft model '" + s.draft + "' is not in the catalog", "no draft model is used");
    s.draft.clear();
  }
}

Scenario scenario_for(const ViewState& s, const Catalog& c) {
  Scenario sc;
  sc.machine = c.machine(s.machine);
  sc.knobs.carve_out_gib = s.carve_out_gib;
  sc.knobs.gtt_gib = s.gtt_gib;
  sc.knobs.os_reserve_gib = s.os_reserve_gib;
  sc.knobs.hip_gtt = hip_reaches_gtt(s.kernel).value_or(true);
  sc.ctx.n_ctx = s.ctx;
  sc.ctx.n_seq = s.slots;
  sc.ctx.ctx_checkpoints = s.ckpt;
  sc.ctx.cache_ram_mib = s.cacheram;
  sc.ctx.kv_unified = s.kv_unified;
  sc.ctx.flash_attn = s.flash_attn;
  sc.ctx.type_k = kv_cache_type(s.type_k).value_or(GgmlType::F16);
  sc.ctx.type_v = kv_cache_type(s.type_v).value_or(GgmlType::F16);
  sc.prompt_tokens = s.prompt;
  sc.vision = s.vision;
  if (s.mmproj_mib > 0) sc.mmproj_bytes = uint64_t(s.mmproj_mib) * 1048576u;
  sc.draft = s.draft.empty() ? nullptr : c.model(s.draft);
  sc.draft_quant = ftype_from_name(s.draft_quant).value_or(FType::Q8_0);
  sc.extras_for = c.model(s.model);
  sc.mtp = s.mtp;
  if (s.ncmoe >= 0) sc.n_cpu_moe = s.ncmoe;
  return sc;
}

}  // namespace haloplan
