// Machines, backends and the memory pools a backend can reach on a machine.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace haloplan {

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

enum class MemoryKind {
  AmdApu,         // BIOS carve-out + kernel GTT (TTM) limit
  Apple,          // one pool; the GPU may wire up to a limit (iogpu.wired_limit_mb)
  UnifiedNvidia,  // one pool; CUDA allocates from all OS-visible memory (DGX Spark)
  Discrete,       // dedicated VRAM plus system RAM for offloaded layers
};

struct Machine {
  std::string id, name;
  MemoryKind kind = MemoryKind::AmdApu;
  double ram_gib = 0;            // installed system memory
  double vram_gib = 0;           // discrete GPUs only
  double bandwidth_gbs = 0;      // theoretical GPU-side memory bandwidth, GB/s
  double bandwidth_measured_gbs = 0;  // measured (0 if unknown)
  double fp16_tflops = 0;        // dense FP16 peak of the GPU
  std::vector<double> carve_out_options_gib;  // BIOS choices (AMD APUs)
  double default_carve_out_gib = 0;
  double gpu_limit_fraction = 0.5;  // default GTT (AMD: half of OS-visible RAM) / Apple wired limit
  double default_os_reserve_gib = 8;
  std::vector<std::string> sources;
  std::string notes;
};

struct SpeedParams {
  // Decode: seconds per token = c_weights * bytes/BW + c_kv * kv_bytes/BW + per-layer costs.
  double c_weights = 1.0 / 0.8;  // inverse of the effective bandwidth fraction for weights
  double c_kv = 1.0 / 0.5;       // same for KV reads
  double us_per_layer = 0;       // fixed cost per layer per token (kernel launches, syncs)
  double us_per_moe_layer = 0;   // extra per MoE layer (routing, expert gather)
  double us_per_recurrent_layer = 0;
  // Prefill: seconds per token = p_compute * 2*active/FLOPS + p_attn * attn_flops/FLOPS
  //                              + p_weights * all_weight_bytes / (ubatch * BW)
  double p_compute = 2.5;
  double p_attn = 4.0;
  double p_weights = 1.0;
  int rows = 0;              // calibration rows behind these numbers (0: not calibrated)
  std::string fitted_on;     // date and data file of the fit
  // Relative error band of the fit (quantiles of measured/predicted on the calibration rows).
  double band_lo = 0.8, band_hi = 1.2;
};

struct Backend {
  std::string id, name;
  std::vector<MemoryKind> machine_kinds;  // where it runs
  bool reaches_gtt = true;       // Vulkan: carve-out + GTT
  bool gtt_switchable = false;   // ROCm/HIP: GTT only on GTT-aware kernels (a user switch)
  bool gtt_default = true;       // value of the switch when the user does not set it
  double runtime_overhead_mib = 0;  // driver/runtime allocations outside llama.cpp's buffers
  double speed_factor = 1.0;     // throughput relative to the calibrated engine (e.g. Ollama)
  std::string speed_family;      // which calibration family it uses
  SpeedParams speed;
  bool speed_calibrated = false;
  std::vector<std::string> sources;
  std::string notes;
};

struct Knobs {
  std::optional<double> carve_out_gib;   // default: the machine's default
  std::optional<double> gtt_gib;         // default: the kernel's default rule
  std::optional<double> os_reserve_gib;  // default: the machine's default
  std::optional<bool> rocm_gtt;          // GTT-aware HIP allocation (ROCm on kernels >= 6.10)
};

struct Pools {
  double ram = 0;         // bytes, installed
  double carve_out = 0;   // dedicated: BIOS carve-out, or VRAM on a discrete GPU
  double os_visible = 0;  // what the OS sees
  double gtt = 0;         // how much the GPU may borrow from OS-visible RAM
  double os_reserve = 0;  // what the user wants left to the OS
  bool gtt_default = true;
  std::vector<std::string> warnings;
};

Pools machine_pools(const Machine& m, const Knobs& k);
// The pool limit a backend can fill on this machine: dedicated first, then borrowed.
bool backend_reaches_gtt(const Backend& b, const Knobs& k);

enum class Verdict { CarveOut, Gtt, NoFit, OsSqueeze };
const char* verdict_id(Verdict v);     // "carve-out" | "gtt" | "no-fit" | "os-squeeze"
const char* verdict_label(Verdict v);  // human words

struct Placement {
  Verdict verdict = Verdict::NoFit;
  double gpu_bytes = 0;      // what the backend allocates on the GPU side
  double host_bytes = 0;     // what stays in OS memory (token_embd, logits, host buffers)
  double in_carve_out = 0, in_gtt = 0;
  double gpu_limit = 0;      // carve-out (+ GTT when reachable)
  double headroom = 0;       // gpu_limit - gpu_bytes (negative: short by)
  double os_free = 0;        // OS-visible RAM left after GTT use and host bytes
};

Placement place(const Pools& p, bool reaches_gtt, double gpu_bytes, double host_bytes);

}  // namespace haloplan
