// Layer: planner. A plan: one model at one quant and context on one machine, across every backend that runs
// there — memory terms, placement verdicts, speed — plus the solvers built on it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "haloplan/planner/catalog.h"
#include "haloplan/planner/memory.h"
#include "haloplan/planner/speed.h"

namespace haloplan {

struct Scenario {
  const Machine* machine = nullptr;
  Knobs knobs;
  ContextParams ctx;
  int64_t prompt_tokens = 4096;         // for time to first token
  std::optional<uint64_t> file_bytes;   // known GGUF size (custom quant mixes)
  const PublishedFile* file = nullptr;  // a published file (with_file sets it and file_bytes)
  // What llama-server loads beside the model: the vision projector (--mmproj) of a model that
  // has one, when vision is on (a size the user states wins over the catalog's), and a draft
  // model for speculative decoding (-md) with its own weights, KV cache and compute buffer.
  bool vision = true;
  std::optional<uint64_t> mmproj_bytes;
  const CatalogModel* draft = nullptr;
  FType draft_quant = FType::Q8_0;
  // The stated projector size and the draft model are for this model only (the page's focused
  // model); nullptr: for every model planned.
  const CatalogModel* extras_for = nullptr;
  // Self-speculation with the model's own MTP/NextN layers (--spec-type draft-mtp), for models
  // that have them: the layers are loaded, an MTP context holds their KV cache (f16), and the
  // target keeps rollback snapshots of its recurrent state.
  bool mtp = false;
  // A discrete GPU's --n-cpu-moe as the user runs it (layers from the first whose routed experts
  // stay in system RAM); nullopt: as many as VRAM needs, then whole layers.
  std::optional<int> n_cpu_moe;
};

// What MTP self-speculation adds (llama.cpp common/speculative.cpp, common_speculative_init_result):
// the NextN weights, the MTP context's cache of the NextN layers at the target's size and its
// compute buffer (estimate: the target's). The target's snapshots are in Plan::kv.state_bytes.
struct MtpPlan {
  uint64_t weights_bytes = 0;
  KvBreakdown kv;
  uint64_t compute_bytes = 0;
  int n_rs_seq = 0;
  double gpu_bytes() const { return double(weights_bytes) + double(kv.kv_bytes()) + double(compute_bytes); }
};

// The scenario planning the model as published file f: f's mix scaled to f's size.
Scenario with_file(Scenario s, const PublishedFile* f);

// The draft model llama-server runs beside the target: its context takes the target's size,
// slots and flash attention with its own cache types (-ctkd/-ctvd, f16 by default; llama.cpp
// common/speculative.cpp, common_base_params_to_speculative).
struct DraftPlan {
  const CatalogModel* model = nullptr;
  FType quant = FType::Q8_0;
  WeightBreakdown weights;
  KvBreakdown kv;
  BufferEstimate buffers;
  double gpu_bytes() const {
    return double(weights.total_bytes - weights.token_embd_bytes + weights.output_copy_bytes) + double(kv.kv_bytes()) +
           double(kv.state_bytes) + double(buffers.compute_bytes);
  }
  double host_bytes() const {
    return double(weights.token_embd_bytes) + double(buffers.output_bytes) + double(buffers.host_compute_bytes);
  }
};

struct BackendPlan {
  const Backend* backend = nullptr;
  Offload offload;  // discrete GPUs: what runs from system RAM (nothing when it fits VRAM)
  bool reaches_gtt = false;
  double overhead_bytes = 0;  // runtime overhead (estimate)
  Placement placement;
  double decode_tps_0 = 0;    // depth 0
  double decode_tps_ctx = 0;  // with the context full
  double prefill_tps = 0;     // prompt of prompt_tokens from empty
  double ttft_s = 0;          // time to first token for prompt_tokens
  // 80% error bands of the speed fit, as factors on the estimates (measured/predicted quantiles).
  double decode_lo = 0, decode_hi = 0, prefill_lo = 0, prefill_hi = 0;
  // The model's architecture has no calibration row in this backend's family: the speeds are
  // bytes and FLOPs only and the bands are the leave-one-architecture-out ones.
  bool unmeasured = false;
};

struct Plan {
  const CatalogModel* model = nullptr;
  FType quant = FType::Q4_K_M;          // the preset (a published file's mix)
  const PublishedFile* file = nullptr;  // set: the published file this plan is for
  WeightBreakdown weights;
  KvBreakdown kv;
  BufferEstimate buffers;
  SpeedInputs speed_in;
  Pools pools;
  std::vector<BackendPlan> backends;
  uint64_t projector_bytes = 0;  // the vision projector llama-server loads (--mmproj), GPU side
  std::optional<DraftPlan> draft;
  std::optional<MtpPlan> mtp;
  std::string error;  // non-empty: settings llama.cpp would refuse
  const BackendPlan* find(std::string_view backend_id) const;
  // The quant as the tables name it: the preset, or the file's tag and publisher.
  std::string quant_label() const;
  // Weights, KV cache, recurrent state and the buffers (device compute, output, host compute):
  // everything the model holds, without the runtime's own overhead and without what llama-server
  // may add as it runs (context checkpoints, prompt cache: buffers.checkpoint/prompt_cache_bytes).
  double total_bytes() const {
    return double(weights.total_bytes + weights.output_copy_bytes) + double(kv.kv_bytes()) + double(kv.state_bytes) +
           double(buffers.compute_bytes) + double(buffers.output_bytes) + double(buffers.host_compute_bytes) +
           double(projector_bytes) + (draft ? draft->gpu_bytes() + draft->host_bytes() : 0.0) +
           (mtp ? mtp->gpu_bytes() : 0.0);
  }
};

std::vector<const Backend*> backends_for(const Catalog& c, const Machine& m);

// Gives every model of the catalog its weight memo now, so that copies of the catalog (a view
// with the user's models applied) share the weights already computed instead of redoing them.
void share_weight_memos(const Catalog& c);

// A model's weights at a preset (its GGUF's own bytes when imported at that quant), memoized.
const WeightBreakdown& model_weights(const CatalogModel& m, FType q);

Plan make_plan(const Catalog& c, const CatalogModel& model, FType quant, const Scenario& s);

// The label of a published file in the tables: "UD-Q4_K_XL (unsloth)".
std::string file_label(const PublishedFile& f);

// Why llama.cpp would refuse `draft` as the draft model of `target`, or "" (vocabulary sizes
// more than 128 apart: common/speculative.cpp, SPEC_VOCAB_MAX_SIZE_DIFFERENCE).
std::string draft_refusal(const CatalogModel& target, const CatalogModel& draft);

// Largest context (multiple of 256, at most the model's trained context) at which the model fits
// the backend's pool without squeezing the OS (carve_out_only: within the carve-out alone); 0 if
// not even 256 fits.
int64_t max_context(const Catalog& c, const CatalogModel& model, FType quant, const Scenario& s, const Backend& b,
                    bool carve_out_only = false);
// First preset of the quant ladder that fits at the scenario's context.
std::optional<FType> best_quant(const Catalog& c, const CatalogModel& model, const Scenario& s, const Backend& b);
// Smallest whole-GiB GTT limit (keeping the carve-out) that makes the model fit; nullopt if none.
std::optional<double> min_gtt_gib(const Catalog& c, const CatalogModel& model, FType quant, const Scenario& s,
                                  const Backend& b);
// Smallest BIOS carve-out option that makes the model fit a carve-out-only backend.
std::optional<double> min_carve_out_gib(const Catalog& c, const CatalogModel& model, FType quant, const Scenario& s,
                                        const Backend& b);

}  // namespace haloplan
