// Layer: view. `haloplan doctor`: the running box's pools as the probe read them, what each
// backend can reach with them, how far the chosen model is from fitting and the exact changes
// (BIOS carve-out, kernel parameter, modprobe line) that get it there, as tables and as JSON.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "haloplan/planner/probe.h"
#include "haloplan/text/json_out.h"
#include "haloplan/view/answer.h"
#include "haloplan/view/state.h"
#include "haloplan/view/table.h"

namespace haloplan {

struct DoctorReport {
  Probe probe;
  std::string machine_id;  // the catalog preset the box is read as; empty: none
  std::string matched_by;  // how it was chosen
  // The catalog with that preset holding the RAM and carve-out read, so the plan is the box's.
  Catalog catalog;
  ViewState state;                  // the box as it is, validated against `catalog`
  std::vector<Notice> notices;      // what validation changed
  std::optional<Answer> answer;     // the focused model on the state's backend (a preset was found)
  std::string link;                 // the page's fragment for the same scenario ("v=1&...")
  bool kernel_default_gtt = false;  // the GTT limit is the kernel's default (about half of RAM)
};

// `base` carries the model, quant, backend and context flags; `machine` a preset the user named
// (empty: matched from the probe). The carve-out, GTT limit and kernel come from the probe.
DoctorReport doctor(const Probe& p, const Catalog& c, const ViewState& base, const std::string& machine);

std::vector<Table> doctor_tables(const DoctorReport& d);

// {"linux", "gpu": {card, pci_id, strix_halo}, "carve_out_bytes", "gtt_limit_bytes", "ram_bytes",
//  "os_visible_bytes", "available_bytes", "ttm_pages_limit", "amdttm_pages_limit", "kernel",
//  "kernel_version", "iommu", "kernel_params": [{name, value, source}], "machine", "matched_by",
//  "backends": [{id, name, pool_bytes, reaches_gtt}], "answer": (write_answer) | null, "link",
//  "findings", "problems", "read", "unread"}; bytes are null where they could not be read.
void write_doctor(JsonOut& o, const DoctorReport& d);

}  // namespace haloplan
