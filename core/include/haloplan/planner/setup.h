// Layer: planner. Setup advice: UMA-first vs GTT-first side by side, and the kernel parameters for a GTT size.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "haloplan/planner/catalog.h"

namespace haloplan {

struct KernelParams {
  double gtt_gib = 0;
  uint64_t pages = 0;          // ttm.pages_limit, 4 KiB pages = GiB * 262144
  std::string cmdline;         // kernel command line fragment
  std::string modprobe;        // /etc/modprobe.d/ttm.conf contents
  std::string legacy_cmdline;  // for kernels that still honour amdgpu.gttsize (MiB)
  std::vector<std::string> notes;
};

KernelParams kernel_params(double gtt_gib);

struct StrategyColumn {
  const Strategy* strategy = nullptr;
  Knobs knobs;  // carve-out and GTT that implement it
  double carve_out_gib = 0, gtt_gib = 0, os_visible_gib = 0;
  std::vector<std::pair<const Backend*, double>> gpu_pool_gib;  // per backend
  KernelParams kernel;  // what to set (GTT-first) or nothing to set (UMA-first: defaults)
  bool kernel_default = true;
};

// Both strategies for this machine: UMA-first takes the machine's default large carve-out and
// the kernel's default GTT; GTT-first takes the smallest carve-out and sets GTT to what the OS
// reserve leaves.
std::vector<StrategyColumn> setup_strategies(const Catalog& c, const Machine& m, const Knobs& k);

// The kernel parameters the setup advice shows: for the GTT limit the user set, else for the
// GTT-first column's; nullopt on a machine without strategies (no carve-out, no GTT).
std::optional<KernelParams> advised_kernel_params(const std::vector<StrategyColumn>& cols,
                                                  std::optional<double> user_gtt_gib);

}  // namespace haloplan
