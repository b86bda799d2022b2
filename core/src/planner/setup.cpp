#include "haloplan/planner/setup.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "haloplan/planner/plan.h"
#include "haloplan/text/strings.h"

namespace haloplan {

KernelParams kernel_params(double gtt_gib) {
  KernelParams k;
  k.gtt_gib = gtt_gib;
  // TTM counts 4 KiB pages: GiB * 1024^3 / 4096 = GiB * 262144.
  k.pages = uint64_t(std::llround(gtt_gib * 262144.0));
  const std::string p = std::to_string(k.pages);
  k.cmdline = "ttm.pages_limit=" + p;
  k.modprobe = "options ttm pages_limit=" + p + "\n";
  const uint64_t mib = uint64_t(std::llround(gtt_gib * 1024.0));
  k.legacy_cmdline = "amdgpu.gttsize=" + std::to_string(mib) + " ttm.pages_limit=" + p;
  k.notes.push_back("ttm.pages_limit=" + p + " allows " + gib_amount(gtt_gib) +
                    " GiB of GTT; check /sys/module/ttm/parameters/pages_limit after a reboot.");
  k.notes.push_back(
      "amdgpu.gttsize (MiB) is deprecated; recent kernels warn and use ttm.pages_limit. "
      "Only older kernels need the legacy line.");
  k.notes.push_back(
      "DKMS/OEM kernels that load amdttm need the same value as amdttm.pages_limit "
      "(copy ttm.conf to amdttm.conf).");
  return k;
}

std::vector<StrategyColumn> setup_strategies(const Catalog& c, const Machine& m, const Knobs& user) {
  std::vector<StrategyColumn> cols;
  if (m.kind != MemoryKind::AmdApu) return cols;
  double min_carve = m.default_carve_out_gib;
  for (double o : m.carve_out_options_gib) min_carve = std::min(min_carve, o);
  const double reserve = user.os_reserve_gib.value_or(m.default_os_reserve_gib);

  for (const auto& s : c.setup.strategies) {
    StrategyColumn col;
    col.strategy = &s;
    col.knobs = user;
    if (s.id == "uma-first") {
      col.knobs.carve_out_gib = user.carve_out_gib.value_or(m.default_carve_out_gib);
      col.knobs.gtt_gib.reset();  // kernel default
      col.kernel_default = true;
    } else if (s.id == "gtt-first") {
      col.knobs.carve_out_gib = min_carve;
      const double gtt = std::max(1.0, std::round(m.ram_gib - min_carve - reserve));
      col.knobs.gtt_gib = gtt;
      col.kernel = kernel_params(gtt);
      col.kernel_default = false;
    } else {
      continue;
    }
    const Pools p = machine_pools(m, col.knobs);
    col.carve_out_gib = p.carve_out / kGiB;
    col.gtt_gib = p.gtt / kGiB;
    col.os_visible_gib = p.os_visible / kGiB;
    for (const Backend* b : backends_for(c, m)) {
      // Under GTT-first a GTT-switchable backend only helps if the kernel lets it use GTT.
      const bool gtt = backend_reaches_gtt(*b, col.knobs);
      col.gpu_pool_gib.emplace_back(b, (p.carve_out + (gtt ? p.gtt : 0.0)) / kGiB);
    }
    cols.push_back(std::move(col));
  }
  return cols;
}

std::optional<KernelParams> advised_kernel_params(const std::vector<StrategyColumn>& cols,
                                                  std::optional<double> user_gtt_gib) {
  if (cols.empty()) return std::nullopt;
  return kernel_params(user_gtt_gib.value_or(cols.back().gtt_gib));
}

}  // namespace haloplan
