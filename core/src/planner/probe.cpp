#include "haloplan/planner/probe.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "haloplan/text/strings.h"

namespace haloplan {

namespace {

constexpr const char* kDrm = "/sys/class/drm";
constexpr uint64_t kMaxPages = uint64_t(1) << 40;  // 4 PiB of 4 KiB pages: past any real machine
constexpr double kMaxBytes = 64.0 * 1024 * kGiB;   // 64 TiB

// A value as a message shows it: printable ASCII, at most 40 characters.
std::string shown(std::string_view s) {
  std::string out;
  for (char ch : s.substr(0, 40)) {
    const auto u = static_cast<unsigned char>(ch);
    if (u >= 0x20 && u < 0x7f) out += ch;
    else {
      static const char* hex = "0123456789abcdef";
      out += "\\x";
      out += hex[u >> 4];
      out += hex[u & 15];
    }
  }
  if (s.size() > 40) out += "...";
  return "'" + out + "'";
}

std::string gib_words(double bytes) { return gib_amount(std::round(bytes / kGiB * 100) / 100) + " GiB"; }

std::string pages_words(uint64_t pages) {
  return std::to_string(pages) + " pages = " + gib_amount(std::round(pages_gib(pages) * 100) / 100) + " GiB";
}

struct Reader {
  const SystemReader& r;
  Probe& p;

  // A file's text; recorded as read or unread (`expected`: its absence is worth saying).
  std::optional<std::string> text(const std::string& path, bool expected = true) {
    auto t = r.read(path);
    if (t) p.read.push_back(path);
    else if (expected) p.unread.push_back(path);
    return t;
  }

  // A one-value sysfs file as a whole number in [lo, hi].
  std::optional<int64_t> whole(const std::string& path, int64_t lo, int64_t hi, const char* what,
                               bool expected = true) {
    const auto t = text(path, expected);
    if (!t) return std::nullopt;
    const auto v = parse_whole(trim(*t), lo, hi);
    if (!v) {
      const auto any = parse_whole(trim(*t), INT64_MIN, INT64_MAX);
      p.problems.push_back(path + " holds " + shown(trim(*t)) + (any ? ", out of range for " : ", not ") + what +
                           "; it was not used");
    }
    return v;
  }
};

// "0x1002\n" -> "1002".
std::optional<std::string> pci_hex(std::string_view t) {
  t = trim(t);
  if (t.size() != 6 || t.substr(0, 2) != "0x") return std::nullopt;
  std::string h = lower(t.substr(2));
  if (!std::all_of(h.begin(), h.end(), [](char ch) { return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f'); }))
    return std::nullopt;
  return h;
}

bool is_card(const std::string& name) {
  return name.size() > 4 && name.rfind("card", 0) == 0 &&
         std::all_of(name.begin() + 4, name.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
}

// The parameters that set the GTT limit and the IOMMU, as the kernel names them ('-' and '_' are
// the same in a parameter name).
bool interesting(const std::string& name) {
  static const char* names[] = {"ttm.pages_limit",
                                "ttm.page_pool_size",
                                "amdttm.pages_limit",
                                "amdttm.page_pool_size",
                                "amdgpu.gttsize",
                                "amd_iommu",
                                "iommu"};
  return std::any_of(std::begin(names), std::end(names), [&](const char* n) { return name == n; });
}

std::string param_name(std::string_view n) {
  std::string s(n);
  std::replace(s.begin(), s.end(), '-', '_');
  return s;
}

void read_cmdline(Reader& in) {
  const auto t = in.text("/proc/cmdline");
  if (!t) return;
  for (const auto& tok : split(*t, ' ')) {
    for (const auto& part : split(tok, '\n')) {
      const auto eq = part.find('=');
      const std::string name = param_name(part.substr(0, eq));
      if (!interesting(name)) continue;
      in.p.params.push_back({name, eq == std::string::npos ? "" : part.substr(eq + 1), "/proc/cmdline"});
    }
  }
}

// /etc/modprobe.d/*.conf: "options MODULE key=value ..." for ttm, amdttm and amdgpu.
void read_modprobe(Reader& in) {
  const std::string dir = "/etc/modprobe.d";
  const auto names = in.r.list(dir);
  if (!names) {
    in.p.unread.push_back(dir);
    return;
  }
  for (const auto& name : *names) {
    if (name.size() < 6 || name.substr(name.size() - 5) != ".conf") continue;
    const std::string path = dir + "/" + name;
    const auto t = in.text(path);
    if (!t) continue;
    if (t->find('\0') != std::string::npos) {
      in.p.problems.push_back(path + " holds binary data, not modprobe options; it was not read");
      continue;
    }
    size_t line_no = 0;
    std::string joined;  // a line ending in '\' continues on the next
    size_t first_line = 0;
    for (size_t pos = 0; pos <= t->size();) {
      const size_t nl = std::min(t->find('\n', pos), t->size());
      std::string line = t->substr(pos, nl - pos);
      pos = nl + 1;
      ++line_no;
      if (joined.empty()) first_line = line_no;
      if (!line.empty() && line.back() == '\\') {
        line.pop_back();
        joined += line + " ";
        continue;
      }
      joined += line;
      std::string whole = joined;
      joined.clear();
      if (const auto hash = whole.find('#'); hash != std::string::npos) whole.resize(hash);
      std::vector<std::string> words;
      for (const auto& w : split(whole, ' '))
        for (const auto& x : split(w, '\t')) words.push_back(x);
      if (words.size() < 3 || words[0] != "options") continue;
      const std::string module = param_name(words[1]);
      if (module != "ttm" && module != "amdttm" && module != "amdgpu") continue;
      for (size_t i = 2; i < words.size(); ++i) {
        const auto eq = words[i].find('=');
        const std::string name = module + "." + param_name(words[i].substr(0, eq));
        if (!interesting(name)) continue;
        in.p.params.push_back(
            {name, eq == std::string::npos ? "" : words[i].substr(eq + 1), path + ":" + std::to_string(first_line)});
      }
    }
  }
}

void read_meminfo(Reader& in) {
  const auto t = in.text("/proc/meminfo");
  if (!t) return;
  in.p.linux_system = true;
  for (const auto& line : split(*t, '\n')) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    const std::string key = line.substr(0, colon);
    if (key != "MemTotal" && key != "MemAvailable") continue;
    std::string_view v = trim(std::string_view(line).substr(colon + 1));
    const bool kb = v.size() > 3 && v.substr(v.size() - 3) == " kB";
    if (kb) v = trim(v.substr(0, v.size() - 3));
    const auto n = parse_whole(v, 1, int64_t(kMaxBytes / 1024));
    if (!kb || !n) {
      in.p.problems.push_back("/proc/meminfo: " + key + " is " + shown(trim(line.substr(colon + 1))) +
                              ", not a size in kB; it was not used");
      continue;
    }
    (key == "MemTotal" ? in.p.os_visible_bytes : in.p.available_bytes) = double(*n) * 1024.0;
  }
  if (!in.p.os_visible_bytes && std::none_of(in.p.problems.begin(), in.p.problems.end(), [](const std::string& s) {
        return s.rfind("/proc/meminfo: MemTotal", 0) == 0;
      }))
    in.p.problems.push_back("/proc/meminfo has no MemTotal line; the RAM the OS sees is not known");
}

void read_kernel(Reader& in) {
  std::string release;
  if (auto t = in.text("/proc/sys/kernel/osrelease", false)) {
    release = std::string(trim(*t));
  } else if (auto v = in.text("/proc/version", false)) {
    // "Linux version 6.18.4-arch1-1 (...) ..."
    const auto words = split(std::string(trim(*v)), ' ');
    if (words.size() >= 3 && words[0] == "Linux" && words[1] == "version") release = words[2];
  }
  if (release.empty()) {
    if (in.p.linux_system) in.p.unread.push_back("/proc/sys/kernel/osrelease");
    return;
  }
  if (release.size() > 200 || release.find_first_of(std::string("\0\n\r", 3)) != std::string::npos) {
    in.p.problems.push_back("/proc/sys/kernel/osrelease holds " + shown(release) + ", not a kernel release");
    return;
  }
  in.p.kernel = release;
  // The leading MAJOR.MINOR[.PATCH] of "6.18.4-arch1-1" or "7.1.0-rc3".
  size_t end = 0;
  int dots = 0;
  while (end < release.size() &&
         ((release[end] >= '0' && release[end] <= '9') || (release[end] == '.' && dots < 2 && end > 0))) {
    if (release[end] == '.') ++dots;
    ++end;
  }
  std::string v = release.substr(0, end);
  while (!v.empty() && v.back() == '.') v.pop_back();
  if (hip_reaches_gtt(v)) in.p.kernel_version = v;
  else
    in.p.problems.push_back("/proc/sys/kernel/osrelease holds " + shown(release) +
                            ", which starts with no MAJOR.MINOR version");
}

void read_gpu(Reader& in) {
  const auto names = in.r.list(kDrm);
  if (!names) {
    if (in.p.linux_system) in.p.unread.push_back(kDrm);
    return;
  }
  struct Card {
    std::string dir, id;
    bool strix = false;
  };
  std::vector<Card> amd;
  for (const auto& name : *names) {
    if (!is_card(name)) continue;
    const std::string dir = std::string(kDrm) + "/" + name + "/device";
    const auto vendor_text = in.text(dir + "/vendor", false);
    const auto device_text = in.text(dir + "/device", false);
    const auto vendor = vendor_text ? pci_hex(*vendor_text) : std::nullopt;
    const auto device = device_text ? pci_hex(*device_text) : std::nullopt;
    if (vendor_text && !vendor)
      in.p.problems.push_back(dir + "/vendor holds " + shown(trim(*vendor_text)) + ", not a PCI id");
    if (device_text && !device)
      in.p.problems.push_back(dir + "/device holds " + shown(trim(*device_text)) + ", not a PCI id");
    const std::string id = vendor.value_or("????") + ":" + device.value_or("????");
    if (vendor == std::string("1002")) {
      // 1002:1586 is Strix Halo's GPU (Radeon 8060S/8050S; rocminfo "Chip ID: 5510(0x1586)",
      // antirez/ds4 #475; whichllm PR #154).
      amd.push_back({std::string(kDrm) + "/" + name, id, device == std::string("1586")});
    } else {
      in.p.other_gpus.push_back(name + " (" + id + ")");
    }
  }
  if (amd.empty()) return;
  std::stable_sort(amd.begin(), amd.end(), [](const Card& a, const Card& b) { return a.strix > b.strix; });
  for (size_t i = 1; i < amd.size(); ++i)
    in.p.other_gpus.push_back(amd[i].dir.substr(std::string(kDrm).size() + 1) + " (" + amd[i].id + ")");
  const Card& card = amd.front();
  in.p.amd_gpu = true;
  in.p.card = card.dir;
  in.p.pci_id = card.id;
  in.p.strix_halo = card.strix;
  const int64_t max = int64_t(kMaxBytes);
  if (auto v = in.whole(card.dir + "/device/mem_info_vram_total", 0, max, "a byte count"))
    in.p.carve_out_bytes = double(*v);
  if (auto v = in.whole(card.dir + "/device/mem_info_gtt_total", 0, max, "a byte count")) in.p.gtt_bytes = double(*v);
}

void read_modules(Reader& in) {
  if (auto v = in.whole("/sys/module/ttm/parameters/pages_limit", 0, int64_t(kMaxPages), "a page count", in.p.amd_gpu))
    in.p.ttm_pages = uint64_t(*v);
  in.p.amdttm_loaded = in.r.list("/sys/module/amdttm").has_value();
  if (in.p.amdttm_loaded)
    if (auto v = in.whole("/sys/module/amdttm/parameters/pages_limit", 0, int64_t(kMaxPages), "a page count"))
      in.p.amdttm_pages = uint64_t(*v);
  // amdgpu's gttsize reads -1 when it was not set (the driver's default).
  if (auto t = in.text("/sys/module/amdgpu/parameters/gttsize", false)) {
    const auto v = trim(*t);
    if (v == "-1") in.p.gttsize_mib = -1;
    else if (auto n = parse_whole(v, 0, int64_t(1) << 32)) in.p.gttsize_mib = *n;
    else in.p.problems.push_back("/sys/module/amdgpu/parameters/gttsize holds " + shown(v) + ", not a size in MiB");
  }
}

void read_iommu(Reader& in) {
  for (const auto& prm : in.p.params) {
    if (prm.source != "/proc/cmdline") continue;
    if ((prm.name == "amd_iommu" || prm.name == "iommu") && prm.value == "off") {
      in.p.iommu = false;
      in.p.iommu_how = prm.name + "=off on the kernel command line";
    } else if (prm.name == "iommu" && prm.value == "pt") {
      in.p.iommu = true;
      in.p.iommu_how = "iommu=pt on the kernel command line (passthrough for the host)";
    }
  }
  if (!in.p.iommu_how.empty()) return;
  if (auto units = in.r.list("/sys/class/iommu")) {
    in.p.read.push_back("/sys/class/iommu");
    in.p.iommu = !units->empty();
    in.p.iommu_how = units->empty() ? "no IOMMU units in /sys/class/iommu"
                                    : std::to_string(units->size()) + " IOMMU unit(s) in /sys/class/iommu";
  }
}

void read_dmi(Reader& in) {
  auto one = [&](const char* file, std::string& out) {
    if (auto t = in.text(std::string("/sys/class/dmi/id/") + file, false)) {
      const std::string v(trim(*t));
      if (v.size() <= 200 && std::all_of(v.begin(), v.end(), [](char ch) { return ch >= 0x20 && ch < 0x7f; })) out = v;
      else in.p.problems.push_back(std::string("/sys/class/dmi/id/") + file + " holds " + shown(v) + ", not a name");
    }
  };
  one("sys_vendor", in.p.dmi_vendor);
  one("product_name", in.p.dmi_product);
}

// The installed RAM: what the OS sees plus the carve-out, rounded up to a size memory is sold in
// (firmware keeps a little of it).
double installed_ram(double os_visible, double carve_out) {
  const double gib = (os_visible + carve_out) / kGiB;
  for (double size : {8.0, 16.0, 24.0, 32.0, 48.0, 64.0, 96.0, 128.0, 192.0, 256.0, 384.0, 512.0})
    if (gib <= size + 1e-6) return size * kGiB;
  return std::ceil(gib / 64.0) * 64.0 * kGiB;
}

// The last value each source gave a parameter, as numbers; problems for those that are not.
struct Setting {
  uint64_t value = 0;
  std::string source;
};

std::vector<Setting> settings(Probe& p, const std::string& name, uint64_t hi) {
  std::vector<Setting> out;
  for (const auto& prm : p.params) {
    if (prm.name != name) continue;
    const auto v = parse_whole(prm.value, 0, int64_t(hi));
    if (!v) {
      // amdgpu.gttsize=-1 is the driver's "default".
      if (!(name == "amdgpu.gttsize" && prm.value == "-1"))
        p.problems.push_back(prm.source + ": " + name + " is " + shown(prm.value) +
                             ", not a whole number; the kernel ignores or refuses it");
      continue;
    }
    out.push_back({uint64_t(*v), prm.source});
  }
  return out;
}

void findings(Probe& p) {
  const auto ttm = settings(p, "ttm.pages_limit", kMaxPages);
  const auto amdttm = settings(p, "amdttm.pages_limit", kMaxPages);
  const auto gttsize = settings(p, "amdgpu.gttsize", uint64_t(1) << 32);

  // The same parameter given different values in different places.
  auto disagree = [&](const std::vector<Setting>& s, const std::string& name, auto words) {
    for (size_t i = 1; i < s.size(); ++i)
      if (s[i].value != s[0].value) {
        p.findings.push_back(name + " is set to " + words(s[0].value) + " in " + s[0].source + " and to " +
                             words(s[i].value) + " in " + s[i].source + "; keep one value in one place");
        return;
      }
  };
  disagree(ttm, "ttm.pages_limit", pages_words);
  disagree(amdttm, "amdttm.pages_limit", pages_words);

  // Set, yet not what the running module has: a modprobe file not in the initramfs, or no reboot.
  auto not_in_effect = [&](const std::vector<Setting>& s, const std::string& name, std::optional<uint64_t> running) {
    if (!running) return;
    for (const auto& x : s)
      if (x.value != *running) {
        const bool file = x.source.rfind("/etc/", 0) == 0;
        p.findings.push_back(
            x.source + " sets " + name + "=" + std::to_string(x.value) + " (" + gib_words(double(x.value) * 4096) +
            ") but the running limit is " + pages_words(*running) +
            (file ? ": not in effect; rebuild the initramfs (sudo update-initramfs -u, or sudo dracut -f) "
                    "and reboot"
                  : ": the module did not take it; check which module holds the limit (ttm or amdttm)"));
        return;
      }
  };
  not_in_effect(ttm, "ttm.pages_limit", p.ttm_pages);
  not_in_effect(amdttm, "amdttm.pages_limit", p.amdttm_pages);

  // amdgpu.gttsize beside ttm.pages_limit with another size.
  if (!gttsize.empty() && !ttm.empty()) {
    const double g_gib = double(gttsize.back().value) / 1024.0, t_gib = pages_gib(ttm.back().value);
    if (std::fabs(g_gib - t_gib) > 0.01) {
      std::string s = "amdgpu.gttsize=" + std::to_string(gttsize.back().value) + " (" +
                      gib_amount(std::round(g_gib * 100) / 100) + " GiB, " + gttsize.back().source +
                      ") and ttm.pages_limit=" + std::to_string(ttm.back().value) + " (" +
                      gib_amount(std::round(t_gib * 100) / 100) + " GiB, " + ttm.back().source + ") disagree";
      if (p.gtt_bytes) s += "; the GTT limit in force is " + gib_words(*p.gtt_bytes) + " (mem_info_gtt_total)";
      const auto old = p.kernel_version.empty() ? std::nullopt : hip_reaches_gtt(p.kernel_version);
      s += old && !*old
               ? ". On kernels before 6.10 both were needed (kyuz0/amd-strix-halo-toolboxes #98): give them "
                 "the same size"
               : ". amdgpu.gttsize is deprecated (kernels since 6.19 warn and use ttm.pages_limit): drop it and "
                 "keep ttm.pages_limit alone";
      p.findings.push_back(s);
    }
  } else if (!gttsize.empty() && !p.kernel_version.empty() && hip_reaches_gtt(p.kernel_version).value_or(false)) {
    p.findings.push_back("amdgpu.gttsize is set (" + gttsize.back().source +
                         ") without ttm.pages_limit: it is deprecated, and recent kernels take the GTT limit from "
                         "ttm.pages_limit (pages = GiB x 262144)");
  }

  // AMD's DKMS driver brings its own TTM module, which needs the limit too.
  if (p.amdttm_loaded && p.ttm_pages && p.amdttm_pages && *p.ttm_pages != *p.amdttm_pages)
    p.findings.push_back("this kernel loads AMD's DKMS amdttm module beside ttm, and their limits differ: ttm " +
                         pages_words(*p.ttm_pages) + ", amdttm " + pages_words(*p.amdttm_pages) +
                         "; set amdttm.pages_limit to the same value (copy /etc/modprobe.d/ttm.conf to amdttm.conf, "
                         "with 'options amdttm')");

  if (!p.kernel_version.empty() && !hip_reaches_gtt(p.kernel_version).value_or(true))
    p.findings.push_back("kernel " + p.kernel_version +
                         " is older than 6.10: HIP (llama.cpp-ROCm, vLLM, Ollama's ROCm runner) sees only the "
                         "carve-out; AMD's minimum kernel for gfx1151 is 6.18.4");

  if (p.gtt_bytes && p.os_visible_bytes && *p.gtt_bytes > *p.os_visible_bytes)
    p.findings.push_back("the GTT limit " + gib_words(*p.gtt_bytes) + " is more than the " +
                         gib_words(*p.os_visible_bytes) +
                         " of RAM the OS sees: a model that fills it leaves the OS nothing, and kernels since mid-2026 "
                         "cap GTT there (\"drm/amdgpu: cap GTT size to physical RAM on APUs\")");

  if (p.linux_system && !p.amd_gpu)
    p.findings.push_back("no AMD GPU under /sys/class/drm" +
                         (p.other_gpus.empty() ? std::string() : " (found: " + join(p.other_gpus, ", ") + ")") +
                         ": the carve-out and GTT pools are an AMD APU's; only the RAM and the kernel were read");
  else if (p.amd_gpu && !p.strix_halo)
    p.findings.push_back("the AMD GPU is " + p.pci_id +
                         ", not Strix Halo (1002:1586): its pools were read as an APU's carve-out and GTT, which "
                         "holds for AMD APUs but not for a discrete Radeon");
  if (!p.linux_system)
    p.findings.push_back(
        "/proc/meminfo could not be read: this is not a Linux system (or --root is not one's root). On a Mac the "
        "GPU's limit is the wired limit: 'sysctl iogpu.wired_limit_mb' (0: macOS's default) and 'sysctl hw.memsize' "
        "give it and the RAM");
}

}  // namespace

Probe probe_system(const SystemReader& r) {
  Probe p;
  Reader in{r, p};
  read_meminfo(in);
  read_kernel(in);
  read_cmdline(in);
  read_modprobe(in);
  read_gpu(in);
  read_modules(in);
  read_iommu(in);
  read_dmi(in);
  // Without mem_info_gtt_total, the GTT limit is TTM's (amdttm's when that module is loaded).
  if (!p.gtt_bytes && p.amd_gpu) {
    const auto pages = p.amdttm_loaded && p.amdttm_pages ? p.amdttm_pages : p.ttm_pages;
    if (pages) p.gtt_bytes = double(*pages) * 4096.0;
  }
  if (p.os_visible_bytes) p.ram_bytes = installed_ram(*p.os_visible_bytes, p.carve_out_bytes.value_or(0));
  findings(p);
  return p;
}

const Machine* match_machine(const Probe& p, const Catalog& c, std::string& how) {
  if (!p.ram_bytes) return nullptr;
  const double ram = *p.ram_bytes / kGiB;
  auto contains = [](const std::string& hay, const std::string& needle) {
    return !needle.empty() && lower(hay).find(lower(needle)) != std::string::npos;
  };
  std::vector<const Machine*> same_ram;
  for (const auto& m : c.machines)
    if (m.kind == MemoryKind::AmdApu && std::fabs(m.ram_gib - ram) < 0.5) same_ram.push_back(&m);
  for (const Machine* m : same_ram)
    if (contains(p.dmi_vendor, m->dmi_vendor) && (m->dmi_product.empty() || contains(p.dmi_product, m->dmi_product))) {
      how = "its DMI name (" + p.dmi_vendor + " " + p.dmi_product + ") and " + gib_amount(ram) + " GiB of RAM";
      return m;
    }
  if (p.carve_out_bytes)
    for (const Machine* m : same_ram)
      for (double o : m->carve_out_options_gib)
        if (std::fabs(o * kGiB - *p.carve_out_bytes) < 0.01 * kGiB) {
          how =
              "its RAM (" + gib_amount(ram) + " GiB) and a carve-out its BIOS offers; pass --machine to choose another";
          return m;
        }
  if (!same_ram.empty()) {
    how = "its RAM (" + gib_amount(ram) + " GiB); pass --machine to choose another";
    return same_ram.front();
  }
  return nullptr;
}

}  // namespace haloplan
