// Layer: view. Several models resident at once on one machine: a chat model with an embedder, a
// reranker or a second chat model, each its own llama-server with its own quant, context, slots
// and K/V types, placed together into the pools of one backend with the OS reserve kept. The set's
// verdict and each member's share, what to shrink or drop first when it does not fit, and the
// launch configuration (one llama-server per model, or a llama-swap config that keeps them
// together).
#pragma once

#include <string>
#include <vector>

#include "haloplan/text/json_out.h"
#include "haloplan/view/state.h"
#include "haloplan/view/table.h"
#include "haloplan/view/tables.h"

namespace haloplan {

struct ResidentSet {
  std::vector<ViewState> members;  // validated; the machine, setup and backend are the first's
  std::vector<Cell> cells;
  std::vector<Scenario> scenarios;
  std::vector<Plan> plans;
  const Backend* backend = nullptr;
  Pools pools;
  Placement placement;                        // the whole set on `backend`
  std::vector<double> gpu_bytes, host_bytes;  // each member's share on `backend`
  bool fits() const { return placement.verdict == Verdict::CarveOut || placement.verdict == Verdict::Gtt; }
};

// The members share the first one's machine, memory knobs and backend (a member's own are
// overridden); each keeps its model, quant, context, slots, K/V types and flash attention.
ResidentSet plan_set(const Catalog& c, std::vector<ViewState> members);

// One change to one member (the others as they are) and the set's verdict with it.
struct SetChange {
  size_t member = 0;  // the member changed (members.size(): the setup, for all)
  std::string kind;   // gtt-first, ctx, quant, drop
  std::string label;  // "shorten GLM-4.5-Air's context to 65536 tokens"
  std::vector<ViewState> members;
  Verdict verdict = Verdict::NoFit;
  double headroom = 0;
};

// What to change when the set does not fit: GTT-first on an AMD APU not set up so, then, largest
// member first: for each, the
// longest context at which the set fits, the most precise smaller quant that fits, or leaving it
// out; each change planned. Empty when the set fits.
std::vector<SetChange> set_changes(const Catalog& c, const ResidentSet& s);

// The set as tables: the members with their shares and speeds alone, the set's verdict, and the
// changes that make it fit.
std::vector<Table> set_tables(const ResidentSet& s, const std::vector<SetChange>& changes);

// One llama-server per member on ports 8080, 8081, ...; empty when the backend is not llama.cpp's.
std::string set_launch_script(const ResidentSet& s);
// A llama-swap config (its matrix form: mostlygeek/llama-swap config.example.yaml) whose one set
// runs every member together, preloaded at start.
std::string set_llama_swap_config(const ResidentSet& s);

// {"backend", "verdict", "verdict_label", "gpu_bytes", "host_bytes", "headroom", "members":
// [{model, quant, ctx, slots, ktype, vtype, gpu_bytes, host_bytes, verdict_alone, decode_tps,
// prefill_tps, command}], "changes": [{member, kind, label, verdict, headroom}], "launch",
// "llama_swap"}.
void write_set(JsonOut& o, const ResidentSet& s, const std::vector<SetChange>& changes);

}  // namespace haloplan
