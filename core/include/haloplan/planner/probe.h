// Layer: planner. The machine as it is: what a running Linux box's sysfs, procfs and modprobe
// files say about its memory pools (carve-out, GTT limit, RAM the OS sees), its kernel and the
// parameters it was given. The files come through a reader, so a fake tree and the real root are
// read the same way; every value that cannot be read or makes no sense is a finding that names
// the file and what it held, never a crash.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "haloplan/planner/catalog.h"

namespace haloplan {

// Reads a system's files by absolute path ("/proc/meminfo").
class SystemReader {
 public:
  virtual ~SystemReader() = default;
  // The file's bytes, at most kMaxProbeFileBytes of them; nullopt when it cannot be read.
  virtual std::optional<std::string> read(const std::string& path) const = 0;
  // The names in a directory, sorted; nullopt when it is not a directory that can be read.
  virtual std::optional<std::vector<std::string>> list(const std::string& dir) const = 0;
};

constexpr size_t kMaxProbeFileBytes = 1 << 16;

// A module parameter as the box was told it: on the kernel command line or in a modprobe file.
struct ProbedParam {
  std::string name;    // "ttm.pages_limit", "amdgpu.gttsize", "amd_iommu"
  std::string value;   // as written
  std::string source;  // "/proc/cmdline", "/etc/modprobe.d/ttm.conf:3"
};

struct Probe {
  bool linux_system = false;  // /proc could be read
  // The AMD GPU whose pools are read (the Strix Halo one when there are several).
  std::string card;    // "/sys/class/drm/card1"
  std::string pci_id;  // "1002:1586"
  bool amd_gpu = false, strix_halo = false;
  std::vector<std::string> other_gpus;              // "card0 (10de:2684)": cards not read for pools
  std::optional<double> carve_out_bytes;            // mem_info_vram_total: the BIOS carve-out on an APU
  std::optional<double> gtt_bytes;                  // mem_info_gtt_total: the GTT limit in force
  std::optional<double> os_visible_bytes;           // MemTotal
  std::optional<double> available_bytes;            // MemAvailable
  std::optional<double> ram_bytes;                  // installed, estimated: MemTotal + carve-out, rounded up
  std::optional<uint64_t> ttm_pages, amdttm_pages;  // /sys/module/{ttm,amdttm}/parameters/pages_limit
  std::optional<int64_t> gttsize_mib;               // /sys/module/amdgpu/parameters/gttsize (-1: default)
  bool amdttm_loaded = false;
  std::string kernel;          // /proc/sys/kernel/osrelease as written ("6.18.4-arch1-1")
  std::string kernel_version;  // its MAJOR.MINOR[.PATCH] ("6.18.4"); empty if none
  std::optional<bool> iommu;   // translation on (nullopt: not known)
  std::string iommu_how;       // "amd_iommu=off on the kernel command line", ...
  std::string dmi_vendor, dmi_product;
  std::vector<ProbedParam> params;    // memory and IOMMU parameters set on the command line or in modprobe.d
  std::vector<std::string> read;      // files that were read
  std::vector<std::string> unread;    // files looked for and not readable
  std::vector<std::string> problems;  // values that make no sense, each naming its file
  std::vector<std::string> findings;  // conflicts and changes not in effect, with what to do
};

Probe probe_system(const SystemReader& r);

// The TTM page count for a GiB figure and back (4 KiB pages).
inline double pages_gib(uint64_t pages) { return double(pages) * 4096.0 / kGiB; }

// The catalog's AMD APU this probe is: the one whose DMI vendor and product match, else the first
// with the estimated RAM whose BIOS offers the carve-out read, else the first with that RAM;
// nullptr when none has it. `how` says which rule picked it.
const Machine* match_machine(const Probe& p, const Catalog& c, std::string& how);

}  // namespace haloplan
