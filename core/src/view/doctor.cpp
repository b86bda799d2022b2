#include "haloplan/view/doctor.h"

#include <algorithm>
#include <cmath>

#include "haloplan/planner/setup.h"
#include "haloplan/text/strings.h"
#include "haloplan/view/scenario.h"

namespace haloplan {

namespace {

std::string gib_or(const std::optional<double>& bytes, const char* missing = "not read") {
  return bytes ? gib(*bytes, 2) + " GiB" : missing;
}

// The modprobe lines that set a GTT limit, for ttm and, on a DKMS kernel, amdttm.
std::string modprobe_lines(double gtt_gib, bool amdttm) {
  const KernelParams k = kernel_params(gtt_gib);
  std::string s = "/etc/modprobe.d/ttm.conf: " + std::string(trim(k.modprobe));
  if (amdttm) s += "; /etc/modprobe.d/amdttm.conf: options amdttm pages_limit=" + std::to_string(k.pages);
  return s + "; then rebuild the initramfs (sudo update-initramfs -u, or sudo dracut -f) and reboot";
}

}  // namespace

DoctorReport doctor(const Probe& p, const Catalog& c, const ViewState& base, const std::string& machine) {
  DoctorReport d;
  d.probe = p;
  d.catalog = c;
  const Machine* m = nullptr;
  if (!machine.empty()) {
    m = c.machine(machine);
    d.matched_by = "--machine";
  } else if (p.amd_gpu) {
    m = match_machine(p, c, d.matched_by);
  }
  if (!p.amd_gpu) return d;
  if (!p.carve_out_bytes || !p.gtt_bytes) {
    d.notices.push_back(
        {"pools", "the carve-out or the GTT limit could not be read, so there is no plan for this box"});
    return d;
  }
  if (!m) {
    d.notices.push_back(
        {"machine", "no AMD APU preset has " + (p.ram_bytes ? gib(*p.ram_bytes, 0) : std::string("this")) +
                        " GiB of RAM; pass --machine to plan with one ('haloplan machines' lists them)"});
    return d;
  }
  if (m->kind != MemoryKind::AmdApu) {
    d.notices.push_back({"machine", m->name + " is not an AMD APU; doctor reads an APU's carve-out and GTT limit"});
    return d;
  }
  d.machine_id = m->id;

  // The preset as this box has it: its RAM, and the carve-out read among the BIOS choices.
  Machine& mine = *std::find_if(d.catalog.machines.begin(), d.catalog.machines.end(),
                                [&](const Machine& x) { return x.id == m->id; });
  const double carve = *p.carve_out_bytes / kGiB;
  // The RAM the plan works with is what is there: what the OS sees plus the carve-out (firmware
  // keeps the rest of the installed amount), so the OS side of every verdict is the box's own.
  if (p.os_visible_bytes) mine.ram_gib = (*p.os_visible_bytes + *p.carve_out_bytes) / kGiB;
  if (std::none_of(mine.carve_out_options_gib.begin(), mine.carve_out_options_gib.end(),
                   [&](double o) { return std::fabs(o - carve) < 0.01; })) {
    mine.carve_out_options_gib.push_back(carve);
    std::sort(mine.carve_out_options_gib.begin(), mine.carve_out_options_gib.end());
    d.notices.push_back({"carve", "the carve-out read, " + gib_amount(carve) + " GiB, is not one of the " + m->name +
                                      " preset's BIOS options; the page's link opens the nearest one"});
  }

  ViewState s = base;
  s.machine = m->id;
  s.carve_out_gib = carve;
  s.gtt_gib = *p.gtt_bytes / kGiB;
  if (!p.kernel_version.empty()) s.kernel = p.kernel_version;
  // The kernel's default GTT limit is half of the RAM the OS sees (ROCm docs: 62.82 GB of 125.65).
  if (p.os_visible_bytes && p.ttm_pages && std::none_of(p.params.begin(), p.params.end(), [](const ProbedParam& x) {
        return x.name == "ttm.pages_limit" || x.name == "amdttm.pages_limit";
      }))
    d.kernel_default_gtt =
        std::fabs(double(*p.ttm_pages) * 4096 - *p.os_visible_bytes / 2) < 0.01 * *p.os_visible_bytes;
  validate_state(s, d.catalog, d.notices);
  d.state = s;
  d.answer = answer_for(d.state, d.catalog, 5);
  d.link = encode_link(d.state);
  return d;
}

std::vector<Table> doctor_tables(const DoctorReport& d) {
  const Probe& p = d.probe;
  std::vector<Table> out;

  Table box;
  box.title = "This machine, as read";
  box.headers = {"what", "value", "read from"};
  auto row = [&](std::string what, std::string value, std::string from) {
    box.rows.push_back({std::move(what), std::move(value), std::move(from)});
  };
  if (p.amd_gpu)
    row("GPU", p.pci_id + (p.strix_halo ? " (Strix Halo, Radeon 8060S/8050S)" : " (AMD, not Strix Halo)"),
        p.card + "/device/vendor, device");
  else row("GPU", p.linux_system ? "no AMD GPU found" : "not read", "/sys/class/drm/card*/device");
  if (!p.other_gpus.empty()) row("other GPUs", join(p.other_gpus, ", "), "/sys/class/drm");
  if (p.amd_gpu) {
    row("BIOS carve-out (VRAM)", gib_or(p.carve_out_bytes), p.card + "/device/mem_info_vram_total");
    row("GTT limit", gib_or(p.gtt_bytes) + (d.kernel_default_gtt ? " (the kernel's default)" : ""),
        p.card + "/device/mem_info_gtt_total");
    row("TTM pages_limit",
        p.ttm_pages ? std::to_string(*p.ttm_pages) + " pages = " + gib(pages_gib(*p.ttm_pages) * kGiB, 2) + " GiB"
                    : "not read",
        "/sys/module/ttm/parameters/pages_limit");
    if (p.amdttm_loaded)
      row("amdttm pages_limit (DKMS)",
          p.amdttm_pages
              ? std::to_string(*p.amdttm_pages) + " pages = " + gib(pages_gib(*p.amdttm_pages) * kGiB, 2) + " GiB"
              : "not read",
          "/sys/module/amdttm/parameters/pages_limit");
  }
  row("RAM the OS sees", gib_or(p.os_visible_bytes), "/proc/meminfo MemTotal");
  if (p.available_bytes) row("available now", gib_or(p.available_bytes), "/proc/meminfo MemAvailable");
  if (p.ram_bytes) row("installed RAM (estimate)", gib(*p.ram_bytes, 0) + " GiB", "MemTotal + carve-out, rounded up");
  row("kernel", p.kernel.empty() ? "not read" : p.kernel, "/proc/sys/kernel/osrelease");
  row("IOMMU",
      !p.iommu   ? "not known"
      : *p.iommu ? "on"
                 : "off",
      p.iommu_how.empty() ? "/sys/class/iommu" : p.iommu_how);
  if (!p.dmi_vendor.empty() || !p.dmi_product.empty())
    row("system", trim(p.dmi_vendor + " " + p.dmi_product).data(), "/sys/class/dmi/id");
  row("machine preset", d.machine_id.empty() ? "none" : d.catalog.machine(d.machine_id)->name,
      d.machine_id.empty() ? (p.amd_gpu ? "see the findings" : "not an AMD APU") : "by " + d.matched_by);
  for (const auto& u : p.unread) box.notes.push_back("could not read " + u);
  out.push_back(std::move(box));

  if (!p.params.empty()) {
    Table k;
    k.title = "Memory and IOMMU parameters given";
    k.headers = {"parameter", "value", "where"};
    for (const auto& x : p.params) k.rows.push_back({x.name, x.value.empty() ? "(set)" : x.value, x.source});
    out.push_back(std::move(k));
  }

  if (!d.machine_id.empty()) {
    const Catalog& c = d.catalog;
    const Scenario sc = scenario_for(d.state, c);
    const Pools pools = machine_pools(*sc.machine, sc.knobs);
    Table b;
    b.title = "What each backend can reach now";
    b.headers = {"backend", "GPU pool (GiB)", "rule"};
    for (const Backend* be : backends_for(c, *sc.machine)) {
      const bool gtt = backend_reaches_gtt(*be, sc.knobs);
      b.rows.push_back({be->name, gib(pools.carve_out + (gtt ? pools.gtt : 0.0), 1),
                        gtt       ? "carve-out + GTT" + std::string(be->hip ? " (HIP on kernel 6.10+)" : "")
                        : be->hip ? "carve-out only (HIP on a kernel before 6.10)"
                                  : "carve-out only"});
    }
    b.notes.push_back("The OS keeps " + gib(pools.os_reserve, 0) + " GiB in reserve (--os-reserve).");
    out.push_back(std::move(b));

    if (d.answer && d.answer->backend && d.answer->focus.cell.model) {
      const Answer& a = *d.answer;
      Table v;
      v.title = a.focus.cell.model->name + " " + a.focus.cell.label() + " on " + a.backend->name + ", " +
                std::to_string(d.state.ctx) + " tokens of context";
      v.headers = {"answer"};
      v.rows.push_back({a.line});
      if (a.fixes.empty() && !a.focus.fits()) v.notes.push_back("No single change makes it fit on this machine.");
      out.push_back(std::move(v));
      Table f;
      f.title = "What would make it fit";
      f.headers = {"change", "how", "then"};
      for (const auto& ch : a.fixes) {
        std::string how = ch.detail;
        if ((ch.kind == "gtt" || ch.kind == "gtt-first") && ch.state.gtt_gib) {
          const std::string pages = std::to_string(kernel_params(*ch.state.gtt_gib).pages);
          // A DKMS kernel's amdttm module takes its own limit.
          if (const auto at = how.find("ttm.pages_limit=" + pages); p.amdttm_loaded && at != std::string::npos)
            how.insert(at + 16 + pages.size(), " amdttm.pages_limit=" + pages);
          how += "; or " + modprobe_lines(*ch.state.gtt_gib, p.amdttm_loaded);
        }
        f.rows.push_back(
            {ch.label, how, std::string(verdict_label(ch.verdict)) + ", " + gib(ch.headroom) + " GiB to spare"});
      }
      if (!f.rows.empty()) out.push_back(std::move(f));
    }
  }

  Table n;
  n.title = "Findings";
  n.headers = {"kind", "finding"};
  for (const auto& x : p.problems) n.rows.push_back({"unreadable value", x});
  for (const auto& x : p.findings) n.rows.push_back({"setup", x});
  for (const auto& x : d.notices) n.rows.push_back({"plan", x.message});
  if (p.iommu && *p.iommu)
    n.rows.push_back(
        {"tip",
         "amd_iommu=off on the kernel command line gave 5–16 % more prefill in public runs and "
         "at most a few % decode (noamsto/nix-amd-ai PR #132, kyuz0 issue #66); it also turns the NPU off"});
  if (n.rows.empty()) n.rows.push_back({"ok", "nothing to report"});
  out.push_back(std::move(n));
  if (!d.link.empty()) {
    Table l;
    l.title = "The same scenario on the page";
    l.headers = {"link"};
    l.rows.push_back({"#" + d.link});
    l.notes.push_back("Append it to the page's address; 'haloplan best --link' reads it too.");
    out.push_back(std::move(l));
  }
  return out;
}

void write_doctor(JsonOut& o, const DoctorReport& d) {
  const Probe& p = d.probe;
  auto bytes = [&](const char* k, const std::optional<double>& v) {
    if (v) o.field(k, *v);
    else o.key(k).null();
  };
  o.obj().field("linux", p.linux_system);
  o.key("gpu");
  if (p.amd_gpu) o.obj().field("card", p.card).field("pci_id", p.pci_id).field("strix_halo", p.strix_halo).end_obj();
  else o.null();
  o.key("other_gpus").strs(p.other_gpus);
  bytes("carve_out_bytes", p.carve_out_bytes);
  bytes("gtt_limit_bytes", p.gtt_bytes);
  o.field("gtt_kernel_default", d.kernel_default_gtt);
  bytes("ram_bytes", p.ram_bytes);
  bytes("os_visible_bytes", p.os_visible_bytes);
  bytes("available_bytes", p.available_bytes);
  auto pages = [&](const char* k, const std::optional<uint64_t>& v) {
    if (v) o.field(k, double(*v));
    else o.key(k).null();
  };
  pages("ttm_pages_limit", p.ttm_pages);
  o.field("amdttm_loaded", p.amdttm_loaded);
  pages("amdttm_pages_limit", p.amdttm_pages);
  o.field("kernel", p.kernel).field("kernel_version", p.kernel_version);
  o.key("iommu");
  if (p.iommu) o.boolean(*p.iommu);
  else o.null();
  o.key("kernel_params").arr();
  for (const auto& x : p.params)
    o.obj().field("name", x.name).field("value", x.value).field("source", x.source).end_obj();
  o.end_arr();
  o.field("dmi_vendor", p.dmi_vendor).field("dmi_product", p.dmi_product);
  o.field("machine", d.machine_id).field("matched_by", d.matched_by);
  o.key("backends").arr();
  if (!d.machine_id.empty()) {
    const Scenario sc = scenario_for(d.state, d.catalog);
    const Pools pools = machine_pools(*sc.machine, sc.knobs);
    for (const Backend* be : backends_for(d.catalog, *sc.machine)) {
      const bool gtt = backend_reaches_gtt(*be, sc.knobs);
      o.obj()
          .field("id", be->id)
          .field("name", be->name)
          .field("pool_bytes", pools.carve_out + (gtt ? pools.gtt : 0.0));
      o.field("reaches_gtt", gtt).end_obj();
    }
  }
  o.end_arr();
  o.key("answer");
  if (d.answer && d.answer->backend) write_answer(o, d.state, *d.answer);
  else o.null();
  o.field("link", d.link);
  std::vector<std::string> notices;
  for (const auto& n : d.notices) notices.push_back(n.message);
  o.key("findings").strs(p.findings).key("plan_notices").strs(notices).key("problems").strs(p.problems);
  o.key("read").strs(p.read).key("unread").strs(p.unread);
  o.end_obj();
}

}  // namespace haloplan
