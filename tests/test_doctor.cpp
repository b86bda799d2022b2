// haloplan doctor on fake sysfs/proc trees (tests/fixtures/doctor/*): each tree is a box from the
// reference — its numbers are the ones the sources measured or set — and the probe must read back
// what the files say, name every file it could not use, and plan with the pools it read.
#include <catch2/catch.hpp>
#include <map>

#include "haloplan/planner/probe.h"
#include "haloplan/view/doctor.h"
#include "haloplan/view/scenario.h"
#include "helpers.h"
#include "root_reader.h"

using namespace haloplan;
using haloplan::test::shipped;

namespace {

std::string tree(const std::string& name) { return std::string(HALOPLAN_FIXTURES) + "/doctor/" + name; }

Probe probe_of(const std::string& name) { return probe_system(cli::RootReader(tree(name))); }

DoctorReport report_of(const std::string& name, const std::string& model = "", const std::string& quant = "") {
  ViewState s;
  s.machine.clear();
  if (!model.empty()) s.model = model;
  if (!quant.empty()) s.quant = quant, s.quants = {quant};
  return doctor(probe_of(name), shipped(), s, "");
}

bool any_has(const std::vector<std::string>& v, const std::string& a, const std::string& b = "") {
  for (const auto& x : v)
    if (x.find(a) != std::string::npos && x.find(b) != std::string::npos) return true;
  return false;
}

double pool_of(const DoctorReport& d, const std::string& backend) {
  const Scenario sc = scenario_for(d.state, d.catalog);
  const Pools p = machine_pools(*sc.machine, sc.knobs);
  const Backend* b = d.catalog.backend(backend);
  return p.carve_out + (backend_reaches_gtt(*b, sc.knobs) ? p.gtt : 0.0);
}

// A tree in memory, for what no fixture directory holds.
struct MapReader : SystemReader {
  std::map<std::string, std::string> files;
  std::optional<std::string> read(const std::string& path) const override {
    auto it = files.find(path);
    if (it == files.end()) return std::nullopt;
    return it->second;
  }
  std::optional<std::vector<std::string>> list(const std::string& dir) const override {
    std::vector<std::string> names;
    const std::string prefix = dir + "/";
    for (const auto& [path, text] : files) {
      if (path.rfind(prefix, 0) != 0) continue;
      const std::string rest = path.substr(prefix.size());
      const std::string name = rest.substr(0, rest.find('/'));
      if (names.empty() || names.back() != name) names.push_back(name);
    }
    if (names.empty()) return std::nullopt;
    return names;
  }
};

}  // namespace

TEST_CASE("doctor: the stock 64 GiB carve-out box reads as shipped and fits gpt-oss-120b in the carve-out") {
  const Probe p = probe_of("stock-64g");
  CHECK(p.strix_halo);
  CHECK(p.pci_id == "1002:1586");
  CHECK(*p.carve_out_bytes == 68719476736.0);  // mem_info_vram_total: 64 GiB from the BIOS
  CHECK(*p.gtt_bytes == 8146227.0 * 4096);     // the kernel's default: half of MemTotal, in pages
  CHECK(*p.ram_bytes == 128 * kGiB);
  CHECK(p.kernel_version == "6.18.5");
  CHECK(p.iommu == true);
  CHECK(p.findings.empty());
  CHECK(p.problems.empty());  // amdgpu.gttsize's "-1" is the driver's default, not garbage

  const DoctorReport d = report_of("stock-64g");
  CHECK(d.machine_id == "framework-desktop-128");
  CHECK(d.matched_by.find("DMI") != std::string::npos);
  CHECK(d.kernel_default_gtt);
  REQUIRE(d.answer);
  // gpt-oss-120b's MXFP4 release is 63.39 GB = 59.0 GiB (data/models.json, the published file):
  // it fits a 64 GiB carve-out with its cache.
  CHECK(d.answer->focus.cell.model->id == "gpt-oss-120b");
  CHECK(d.answer->focus.verdict == Verdict::CarveOut);
  // Vulkan reaches the carve-out plus the GTT limit read.
  CHECK(pool_of(d, "llamacpp-vulkan") == Approx(68719476736.0 + 8146227.0 * 4096));
}

TEST_CASE("doctor: GTT-first with ttm.pages_limit=31457280 gives every backend 120 GiB beyond the carve-out") {
  const Probe p = probe_of("gtt-first");
  // 31457280 pages = 120 GiB (strix-halo-facts: pages = GiB x 262144).
  CHECK(*p.gtt_bytes == 120 * kGiB);
  CHECK(*p.carve_out_bytes == 0.5 * kGiB);
  CHECK(p.iommu == false);
  CHECK(p.iommu_how.find("amd_iommu=off") != std::string::npos);
  REQUIRE(p.params.size() == 2);
  CHECK(p.params[1].name == "ttm.pages_limit");
  CHECK(p.params[1].value == "31457280");
  CHECK(p.findings.empty());

  const DoctorReport d = report_of("gtt-first");
  CHECK(d.machine_id == "framework-desktop-128");  // no DMI: the 128 GiB preset offering 0.5 GiB
  // ROCm on a 6.10+ kernel reports Total VRAM 122880 MiB (= pages_limit) on such a box (hogeheer's
  // logs): HIP reaches the GTT limit, as Vulkan does.
  CHECK(pool_of(d, "llamacpp-rocm") >= 120 * kGiB);
  CHECK(pool_of(d, "llamacpp-vulkan") == Approx(120.5 * kGiB));
  CHECK(d.link.find("carve=0.5") != std::string::npos);
  CHECK(d.link.find("gtt=120") != std::string::npos);
  CHECK(d.link.find("kernel=6.18.4") != std::string::npos);
}

TEST_CASE("doctor: an amdttm DKMS box whose amdttm kept the default limit is told to set both") {
  const Probe p = probe_of("amdttm-dkms");
  CHECK(p.amdttm_loaded);
  CHECK(*p.ttm_pages == 31457280);
  CHECK(*p.amdttm_pages == 16469033);
  CHECK(*p.gtt_bytes == 16469033.0 * 4096);  // mem_info_gtt_total: the limit in force is amdttm's
  CHECK(any_has(p.findings, "amdttm", "differ"));

  // GLM-4.5-Air has 106 B parameters (its model card); at Q8_0's 34 bytes per 32 weights (ggml)
  // that is over 104 GiB, beyond the 63 GiB this box reaches. The change to the GTT limit names
  // the amdttm module too.
  const DoctorReport d = report_of("amdttm-dkms", "glm-4.5-air", "Q8_0");
  REQUIRE(d.answer);
  CHECK_FALSE(d.answer->focus.fits());
  const auto tables = doctor_tables(d);
  bool told = false;
  for (const auto& t : tables)
    if (t.title == "What would make it fit")
      for (const auto& r : t.rows)
        if (r[0].find("GTT limit") != std::string::npos)
          told = r[1].find("options amdttm pages_limit=") != std::string::npos;
  CHECK(told);
}

TEST_CASE("doctor: amdgpu.gttsize and ttm.pages_limit that disagree are named, with the limit in force") {
  const Probe p = probe_of("gttsize-conflict");
  // kyuz0's line: amdgpu.gttsize=126976 (124 GiB) beside ttm.pages_limit=31457280 (120 GiB).
  CHECK(any_has(p.findings, "amdgpu.gttsize=126976", "ttm.pages_limit=31457280"));
  CHECK(any_has(p.findings, "in force is 120 GiB"));
  CHECK(p.iommu == true);  // iommu=pt keeps translation for devices
  // The modprobe file's continued line still counts as one option line.
  bool continued = false;
  for (const auto& x : p.params)
    continued |= x.name == "ttm.page_pool_size" && x.source.find("ttm.conf:1") != std::string::npos;
  CHECK(continued);
}

TEST_CASE("doctor: a modprobe file the running kernel never took is reported with how to apply it") {
  const Probe p = probe_of("not-applied");
  CHECK(*p.ttm_pages == 16469033);
  CHECK(any_has(p.findings, "/etc/modprobe.d/ttm.conf", "not in effect"));
  CHECK(any_has(p.findings, "update-initramfs"));
}

TEST_CASE("doctor: missing files are listed and leave no plan, without a crash") {
  const Probe p = probe_of("missing");
  CHECK(p.amd_gpu);
  CHECK_FALSE(p.carve_out_bytes);
  CHECK(any_has(p.unread, "mem_info_vram_total"));
  CHECK(any_has(p.unread, "/proc/cmdline"));
  const DoctorReport d = report_of("missing");
  CHECK(d.machine_id.empty());
  CHECK(d.link.empty());
  CHECK_FALSE(d.notices.empty());
  CHECK_FALSE(doctor_tables(d).empty());
}

TEST_CASE("doctor: garbage in every file is a problem naming the file, and nothing is used") {
  const Probe p = probe_of("garbage");
  CHECK_FALSE(p.os_visible_bytes);
  CHECK_FALSE(p.carve_out_bytes);
  CHECK_FALSE(p.gtt_bytes);
  CHECK_FALSE(p.ttm_pages);
  CHECK(p.kernel.empty());
  for (const char* file : {"/proc/meminfo", "mem_info_vram_total", "mem_info_gtt_total", "pages_limit", "osrelease",
                           "/etc/modprobe.d/ttm.conf", "card0/device/device"})
    CHECK(any_has(p.problems, file));
  CHECK(any_has(p.problems, "ttm.pages_limit is '12x'"));
  CHECK(any_has(p.problems, "'banana'"));
  const DoctorReport d = report_of("garbage");
  CHECK(d.link.empty());
  JsonOut j;
  write_doctor(j, d);
  CHECK(nlohmann::json::parse(j.text())["carve_out_bytes"].is_null());
}

TEST_CASE("doctor: an empty tree is not a Linux system and says what a Mac would need") {
  MapReader none;
  const Probe p = probe_system(none);
  CHECK_FALSE(p.linux_system);
  CHECK(any_has(p.findings, "iogpu.wired_limit_mb"));
  const DoctorReport d = doctor(p, shipped(), ViewState{}, "");
  CHECK(d.machine_id.empty());
}

TEST_CASE("doctor: a kernel before 6.10 keeps HIP in the carve-out and says so") {
  MapReader r;
  r.files["/proc/meminfo"] = "MemTotal: 65169816 kB\n";
  r.files["/proc/sys/kernel/osrelease"] = "6.8.0-45-generic\n";
  r.files["/sys/class/drm/card0/device/vendor"] = "0x1002";
  r.files["/sys/class/drm/card0/device/device"] = "0x1586";
  r.files["/sys/class/drm/card0/device/mem_info_vram_total"] = "68719476736";
  r.files["/sys/class/drm/card0/device/mem_info_gtt_total"] = "33366945792";
  const Probe p = probe_system(r);
  CHECK(p.kernel_version == "6.8.0");
  CHECK(any_has(p.findings, "older than 6.10"));
  const DoctorReport d = doctor(p, shipped(), ViewState{}, "");
  REQUIRE_FALSE(d.machine_id.empty());
  CHECK(pool_of(d, "llamacpp-rocm") == Approx(64 * kGiB));
  CHECK(pool_of(d, "llamacpp-vulkan") == Approx(64 * kGiB + 33366945792.0));
}
