// Layer: planner. Machines, backends and the memory pools a backend can reach on a machine.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
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
  double ram_gib = 0;                 // installed system memory
  double vram_gib = 0;                // discrete GPUs only
  double bandwidth_gbs = 0;           // theoretical GPU-side memory bandwidth, GB/s
  double bandwidth_measured_gbs = 0;  // measured (0 if unknown)
  double fp16_tflops = 0;             // dense FP16 peak of the GPU
  // A discrete GPU's other tiers: system RAM, which the CPU reads offloaded weights from, and the
  // host-to-GPU link (PCIe) that prefill uploads them over, both theoretical GB/s.
  double ram_bandwidth_gbs = 0, link_gbs = 0;
  std::vector<double> carve_out_options_gib;  // BIOS choices (AMD APUs)
  double default_carve_out_gib = 0;
  double gpu_limit_fraction = 0.5;  // default GTT (AMD: half of OS-visible RAM) / Apple wired limit
  double default_os_reserve_gib = 8;
  std::vector<std::string> sources;
  std::string notes;
  // The model the page opens on for this machine: one people run on it (in its release format);
  // empty or not in the catalog: the catalog's first.
  std::string focus_model;
  // How `haloplan doctor` knows the box: parts of /sys/class/dmi/id/sys_vendor and product_name
  // (case-insensitive); empty: matched by RAM and carve-out only.
  std::string dmi_vendor, dmi_product;
};

// The bandwidth a machine's speed ceiling uses: measured when known, else theoretical.
inline double ceiling_bandwidth_gbs(const Machine& m) {
  return m.bandwidth_measured_gbs > 0 ? m.bandwidth_measured_gbs : m.bandwidth_gbs;
}

// Decode: seconds per token = sum of decode[i] * decode_features[i]
//   c_weights  x weight bytes read outside the routed experts / BW (inverse of the bandwidth
//                fraction reached)
//   c_experts  x routed-expert bytes read (experts-used of each MoE layer) / BW
//   c_kv       x KV and state bytes read at depth / BW, flash attention on
//   c_kv_nofa  x the same over query heads per KV head, flash attention off (one matrix-vector
//                product per KV head: multi-head attention pays most)
//   c_attn     x attention FLOPs at depth / FLOPS (long contexts turn attention compute-bound)
//   us_per_layer, us_per_moe_layer, us_per_recurrent_layer  x layer counts * 1e-6
//                                              (kernel launches and syncs per token)
// Prefill: seconds per token = sum of prefill[i] * prefill_features[i]
//   p_dense     x 2 * active non-expert parameters / FLOPS
//   p_experts   x 2 * active routed-expert parameters / FLOPS (small per-expert batches)
//   p_attn_fa   x attention FLOPs over the context / FLOPS, flash attention on
//   p_attn_nofa x the same, flash attention off
//   p_weights   x all weight bytes / (ubatch * BW)   (every weight read once per ubatch)
//   p_recurrent x 2 * recurrent state elements over the recurrent layers / FLOPS (the delta-rule
//                 or SSM scan each prompt token runs; Gated DeltaNet and Mamba2 layers)
//   p_attn_vec  x attention FLOPs over every query head and every cached position up to the end
//                 of the token's ubatch / FLOPS, flash attention on: the cost of a flash-attention
//                 kernel that handles one query at a time and does not skip masked positions
//                 (llama.cpp's "vec" kernel, which HIP builds ran on prompt batches before the
//                 tile kernel was made fast on AMD); 0 where the build's kernels tile queries
constexpr size_t kDecodeParams = 8, kPrefillParams = 7;
constexpr size_t kPrefillVec = 6;  // p_attn_vec's index
extern const std::array<const char*, kDecodeParams> kDecodeParamNames;
extern const std::array<const char*, kPrefillParams> kPrefillParamNames;

struct SpeedParams {
  std::array<double, kDecodeParams> decode{1.25, 1.25, 1.5, 2.0, 2.0, 0, 0, 0};
  std::array<double, kPrefillParams> prefill{2.5, 2.5, 4.0, 4.0, 1.0, 4.0, 0.0};
  int decode_rows = 0, prefill_rows = 0;  // calibration rows behind these numbers (0: not calibrated)
  std::string fitted_on;                  // date and data file of the fit
  // 80% error band: the 10th and 90th percentiles of measured/predicted on the calibration rows.
  double decode_lo = 0.7, decode_hi = 1.3, prefill_lo = 0.6, prefill_hi = 1.4;
  // The architectures (general.architecture) the calibration rows measured. A model of another
  // one runs a kernel path no row has seen: its figures are bytes and FLOPs only, with the band
  // of leave-one-architecture-out residuals (each architecture's rows predicted by a fit without
  // them).
  std::vector<std::string> measured_archs;
  double unmeasured_decode_lo = 0.5, unmeasured_decode_hi = 1.5, unmeasured_prefill_lo = 0.4,
         unmeasured_prefill_hi = 1.6;
  // The band once a user's own llama-bench rows have rescaled the family (paste-back calibration),
  // for the models they do not measure: each source's rows of one model predicted by the fit
  // without that model, scaled by the factor the same source's other models give. 0: not known.
  double calibrated_decode_lo = 0, calibrated_decode_hi = 0, calibrated_prefill_lo = 0, calibrated_prefill_hi = 0;
  bool measured(const std::string& arch) const;
};

// A group of engine builds that share speed parameters (bench/calibrate fits one set per family).
struct SpeedFamily {
  std::string id, name;
  SpeedParams params;
};

struct Backend {
  std::string id, name;
  std::vector<MemoryKind> machine_kinds;  // where it runs
  bool reaches_gtt = true;                // Vulkan: carve-out + GTT
  // Allocates through HIP (llama.cpp-ROCm, vLLM, Ollama's ROCm runner): one rule for all of them,
  // hip_reaches_gtt. Vulkan and the others reach carve-out + GTT whatever the kernel.
  bool hip = false;
  // Pre-allocates this share of the GPU memory it sees at start (vLLM --gpu-memory-utilization,
  // 0.9 by default) and gives the KV cache what weights and activations leave; 0: allocates what
  // the model needs.
  double preallocate_fraction = 0;
  double runtime_overhead_mib = 0;  // driver/runtime allocations outside llama.cpp's buffers
  double speed_factor = 1.0;        // throughput relative to the calibrated engine (e.g. Ollama)
  // The decode band of the backend's own measured runs around speed_factor x the family's
  // estimate (0: none); it widens the family's band, never narrows it.
  double decode_lo = 0, decode_hi = 0;
  std::string speed_family;          // which calibration family it uses
  std::string default_speed_family;  // the catalog's, before a user names the build they run
  SpeedParams speed;                 // that family's parameters
  bool speed_calibrated = false;
  std::vector<std::string> sources;
  std::string notes;
};

struct Knobs {
  std::optional<double> carve_out_gib;   // default: the machine's default
  std::optional<double> gtt_gib;         // default: the kernel's default rule
  std::optional<double> os_reserve_gib;  // default: the machine's default
  // HIP allocations reach GTT: kernels 6.10+ let small-APU VRAM allocations go to GTT, so HIP
  // sees VRAM + TTM (llama.cpp #18159, hogeheer's Total VRAM = ttm.pages_limit); older kernels
  // keep HIP in the carve-out (kyuz0 #98 on 6.8). True unless the user states an older kernel.
  bool hip_gtt = true;
};

// Whether a stated Linux kernel ("6.8", "6.18.4"; "older" for any before 6.10; "" for not
// stated, taken as AMD's supported minimum for gfx1151, 6.18.4) lets HIP reach GTT: 6.10 or newer.
// nullopt when the text is not a version.
std::optional<bool> hip_reaches_gtt(const std::string& kernel);

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

// Refused: llama.cpp would not start with these settings (Plan::error), whatever the memory.
enum class Verdict { CarveOut, Gtt, NoFit, OsSqueeze, Refused };
// A memory kind as data files and the view name it: "amd-apu", "apple", "unified-nvidia",
// "discrete"; and back (nullopt for anything else).
const char* memory_kind_id(MemoryKind k);
std::optional<MemoryKind> memory_kind_from(std::string_view id);

const char* verdict_id(Verdict v);     // "carve-out" | "gtt" | "no-fit" | "os-squeeze" | "refused"
const char* verdict_label(Verdict v);  // human words, as on an AMD APU

// The words a machine's pools go by on screen: a BIOS carve-out and GTT on AMD APUs, the wired
// limit on Apple silicon, one unified pool on DGX Spark, VRAM and system RAM beside a discrete GPU.
struct PoolWords {
  const char* dedicated;       // the pool the GPU owns ("carve-out", "VRAM"; "" when it has none)
  const char* borrowed;        // the pool it takes from the OS ("GTT", "wired limit", ...)
  const char* gpu_limit;       // both together ("carve-out + GTT", "VRAM + system RAM", ...)
  const char* fits_dedicated;  // Verdict::CarveOut
  const char* fits_borrowed;   // Verdict::Gtt
  const char* cell_dedicated;  // table cells: "carve-out (+3.8)", "VRAM (+2.1)"
  const char* cell_borrowed;   // "GTT (+9.6)", "wired (+9.6)", "unified (+9.6)", "RAM spill (+9.6)"
};
const PoolWords& pool_words(MemoryKind k);
const char* verdict_label(Verdict v, MemoryKind k);

struct Placement {
  Verdict verdict = Verdict::NoFit;
  double gpu_bytes = 0;   // what the backend allocates on the GPU side
  double host_bytes = 0;  // what stays in OS memory (token_embd, logits, host buffers)
  double in_carve_out = 0, in_gtt = 0;
  double gpu_limit = 0;  // carve-out (+ GTT when reachable)
  double headroom = 0;   // gpu_limit - gpu_bytes (negative: short by)
  double os_free = 0;    // OS-visible RAM left after GTT use and host bytes
};

Placement place(const Pools& p, bool reaches_gtt, double gpu_bytes, double host_bytes);

}  // namespace haloplan
