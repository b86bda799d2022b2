#include "haloplan/planner/platform.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "haloplan/text/strings.h"

namespace haloplan {

bool SpeedParams::measured(const std::string& arch) const {
  return std::find(measured_archs.begin(), measured_archs.end(), arch) != measured_archs.end();
}

const char* memory_kind_id(MemoryKind k) {
  switch (k) {
    case MemoryKind::AmdApu: return "amd-apu";
    case MemoryKind::Apple: return "apple";
    case MemoryKind::UnifiedNvidia: return "unified-nvidia";
    case MemoryKind::Discrete: return "discrete";
  }
  return "amd-apu";
}

std::optional<MemoryKind> memory_kind_from(std::string_view id) {
  for (MemoryKind k : {MemoryKind::AmdApu, MemoryKind::Apple, MemoryKind::UnifiedNvidia, MemoryKind::Discrete})
    if (id == memory_kind_id(k)) return k;
  return std::nullopt;
}

namespace {
std::string gib_text(double bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f GiB", bytes / kGiB);
  return buf;
}
}  // namespace

Pools machine_pools(const Machine& m, const Knobs& k) {
  Pools p;
  p.ram = m.ram_gib * kGiB;
  p.os_reserve = k.os_reserve_gib.value_or(m.default_os_reserve_gib) * kGiB;
  switch (m.kind) {
    case MemoryKind::AmdApu: {
      p.carve_out = std::clamp(k.carve_out_gib.value_or(m.default_carve_out_gib), 0.0, m.ram_gib) * kGiB;
      p.os_visible = p.ram - p.carve_out;
      // amdgpu/TTM default: the GTT limit is half of the RAM the OS sees (ROCm docs example:
      // 62.82 GB on 125.65 GB).
      const double def = p.os_visible * m.gpu_limit_fraction;
      p.gtt_default = !k.gtt_gib.has_value();
      p.gtt = k.gtt_gib ? *k.gtt_gib * kGiB : def;
      if (p.gtt > p.os_visible) {
        // Kernels from mid-2026 cap GTT at the RAM the OS manages ("cap GTT size to physical RAM on APUs").
        p.warnings.push_back("GTT limit " + gib_text(p.gtt) + " exceeds the " + gib_text(p.os_visible) +
                             " the OS sees; newer kernels cap it there");
        p.gtt = p.os_visible;
      }
      break;
    }
    case MemoryKind::Apple:
    case MemoryKind::UnifiedNvidia: {
      p.carve_out = 0;
      p.os_visible = p.ram;
      p.gtt_default = !k.gtt_gib.has_value();
      p.gtt = k.gtt_gib ? std::min(*k.gtt_gib * kGiB, p.ram) : p.ram * m.gpu_limit_fraction;
      break;
    }
    case MemoryKind::Discrete: {
      p.carve_out = m.vram_gib * kGiB;
      p.os_visible = p.ram;
      p.gtt_default = true;
      // Layers that do not fit VRAM run from system RAM (partial offload).
      p.gtt = k.gtt_gib ? *k.gtt_gib * kGiB : p.ram * m.gpu_limit_fraction;
      break;
    }
  }
  return p;
}

bool backend_reaches_gtt(const Backend& b, const Knobs& k) {
  if (!b.reaches_gtt) return false;
  return b.hip ? k.hip_gtt : true;
}

std::optional<bool> hip_reaches_gtt(const std::string& kernel) {
  if (kernel.empty()) return true;
  if (kernel == "older") return false;
  const auto parts = split(kernel, '.');  // MAJOR.MINOR or MAJOR.MINOR.PATCH
  if (parts.size() < 2 || parts.size() > 3) return std::nullopt;
  std::optional<int64_t> n[3];
  for (size_t i = 0; i < parts.size(); ++i)
    if (!(n[i] = parse_whole(parts[i], 0, 9999))) return std::nullopt;
  return *n[0] > 6 || (*n[0] == 6 && *n[1] >= 10);
}

const char* verdict_id(Verdict v) {
  switch (v) {
    case Verdict::CarveOut: return "carve-out";
    case Verdict::Gtt: return "gtt";
    case Verdict::NoFit: return "no-fit";
    case Verdict::OsSqueeze: return "os-squeeze";
    case Verdict::Refused: return "refused";
  }
  return "?";
}

const char* verdict_label(Verdict v) {
  switch (v) {
    case Verdict::CarveOut: return "fits the carve-out";
    case Verdict::Gtt: return "fits only with GTT";
    case Verdict::NoFit: return "does not fit";
    case Verdict::OsSqueeze: return "fits, squeezes the OS";
    case Verdict::Refused: return "refused by llama.cpp";
  }
  return "?";
}

const PoolWords& pool_words(MemoryKind k) {
  static const PoolWords amd{"carve-out", "GTT", "carve-out + GTT", "fits the carve-out", "fits only with GTT",
                             "carve-out", "GTT"};
  static const PoolWords apple{"",      "wired limit", "wired limit", "fits the wired limit", "fits the wired limit",
                               "wired", "wired"};
  static const PoolWords spark{
      "", "unified memory", "unified memory", "fits unified memory", "fits unified memory", "unified", "unified"};
  static const PoolWords discrete{"VRAM", "system RAM", "VRAM + system RAM", "fits VRAM", "spills to system RAM",
                                  "VRAM", "RAM spill"};
  switch (k) {
    case MemoryKind::AmdApu: return amd;
    case MemoryKind::Apple: return apple;
    case MemoryKind::UnifiedNvidia: return spark;
    case MemoryKind::Discrete: return discrete;
  }
  return amd;
}

const char* verdict_label(Verdict v, MemoryKind k) {
  if (v == Verdict::CarveOut) return pool_words(k).fits_dedicated;
  if (v == Verdict::Gtt) return pool_words(k).fits_borrowed;
  return verdict_label(v);
}

Placement place(const Pools& p, bool reaches_gtt, double gpu_bytes, double host_bytes) {
  Placement r;
  r.gpu_bytes = gpu_bytes;
  r.host_bytes = host_bytes;
  r.gpu_limit = p.carve_out + (reaches_gtt ? p.gtt : 0.0);
  r.headroom = r.gpu_limit - gpu_bytes;
  r.in_carve_out = std::min(gpu_bytes, p.carve_out);
  r.in_gtt = reaches_gtt ? std::clamp(gpu_bytes - p.carve_out, 0.0, p.gtt) : 0.0;
  r.os_free = p.os_visible - r.in_gtt - host_bytes;
  if (gpu_bytes > r.gpu_limit) {
    r.verdict = Verdict::NoFit;
  } else if (r.os_free < p.os_reserve) {
    r.verdict = Verdict::OsSqueeze;
  } else {
    r.verdict = gpu_bytes <= p.carve_out ? Verdict::CarveOut : Verdict::Gtt;
  }
  // Headroom in the pool the model landed in: the carve-out when it fits there.
  if (gpu_bytes <= p.carve_out) r.headroom = p.carve_out - gpu_bytes;
  return r;
}

}  // namespace haloplan
