// Layer: planner. The catalog as the planner reads it: models, machines, backends, speed families
// and setup facts. Loading it from JSON text, with validation, is the catalog layer's job
// (haloplan/catalog/load.h).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "haloplan/planner/model.h"
#include "haloplan/planner/platform.h"
#include "haloplan/planner/quant.h"

namespace haloplan {

namespace detail {
struct WeightMemo;  // weight breakdowns already computed for this model, per preset (plan.cpp)
}

// Exact weights of one GGUF file of the model, read from its header (sum of the tensor rows).
struct FileWeights {
  std::string file;
  FType quant = FType::Q4_K_M;
  uint64_t weights_bytes = 0;
  uint64_t token_embd_bytes = 0;
  int64_t tensors = 0;
};

// A GGUF someone publishes whose size is known from a cited source but whose tensor mix is not a
// llama.cpp preset (Unsloth's UD-*_XL, repackaged MXFP4 experts): planned as the preset `mix`
// with every tensor scaled to the published size. Chosen by key(), "publisher:tag".
struct PublishedFile {
  std::string publisher;       // unsloth
  std::string tag;             // UD-Q4_K_XL: the file's quant label, as in `-hf repo:tag`
  std::string repo;            // unsloth/Qwen3.6-35B-A3B-GGUF
  FType mix = FType::Q4_K_M;   // the preset whose tensor split stands in for the file's
  uint64_t weights_bytes = 0;  // the tensors' bytes (llama-bench's model size, GiB x 2^30)
  std::string source;          // where that size was read
  std::string key() const { return publisher + ":" + tag; }
};

// The vision projector (mmproj) llama-server loads beside the model with --mmproj.
struct Projector {
  std::string file;    // mmproj-F16.gguf
  uint64_t bytes = 0;  // the file's size
  std::string source;  // where it was read (or how it was derived)
};

struct CatalogModel {
  std::string id, name;
  ModelArch arch;
  double published_total_b = 0;  // parameter counts as published (model card), 0 if not given
  double published_active_b = 0;
  std::vector<std::string> sources;
  std::string notes;
  bool verified = true;  // false: some dimensions were not read from the model's own config
  // "embedding" or "reranker" for a model served beside a chat model (llama-server --embeddings,
  // --reranking); empty for a chat model. The ranked answers list chat models only.
  std::string role;
  std::optional<FileWeights> file;  // imported from a GGUF header: exact bytes at file->quant
  // The format the model is released and run in where it is a llama.cpp preset (gpt-oss: its
  // MoE layers ship in MXFP4): the tables show it beside the chosen quants.
  std::optional<FType> release_quant;
  std::vector<PublishedFile> files;  // published files of known size, not presets
  std::optional<Projector> mmproj;   // vision models: the projector's published size
  const PublishedFile* published(std::string_view key) const;
  // Filled by the planner on first use. The weights depend on arch alone, so copies of a model
  // share it; a model is not modified once planned (the loader builds a fresh one).
  mutable std::shared_ptr<detail::WeightMemo> memo;
};

struct Strategy {
  std::string id, name, summary;
  std::vector<std::string> pros, cons, sources;
};

struct Tuning {
  std::string id, name, parameter, effect, side_effect;
  std::vector<std::string> sources;
};

struct SetupFacts {
  std::vector<Strategy> strategies;
  std::vector<Tuning> tunings;
  std::vector<std::string> gtt_sources;      // evidence for pages_limit / gttsize rules
  std::vector<std::string> hip_gtt_sources;  // the evidence, both ways, for the HIP rule
};

// One llama-bench measurement the speed families were fitted on (data/measured.json, written by
// bench/calibrate from bench/data): the evidence shown beside an estimate.
struct MeasuredRow {
  std::string model;    // catalog id
  std::string quant;    // the file's quant label as the source gives it ("UD-Q4_K_XL")
  std::string family;   // speed family ("vulkan-radv")
  std::string test;     // llama-bench's test ("tg128", "pp512@d16384")
  std::string backend;  // the backend label as the source gives it
  bool decode = false;
  int64_t n_tokens = 0, depth = 0;
  bool flash_attn = false;
  double tps = 0;        // measured tokens/s
  double predicted = 0;  // the shipped fit's figure for the same row (in sample)
  int build = 0;         // llama.cpp build number, 0 if unknown
  std::string date;      // "YYYY-MM", empty if unknown
  size_t source = 0;     // index into MeasuredRows::sources
};

struct MeasuredRows {
  std::vector<std::string> sources;  // commit-pinned files or threads
  std::vector<MeasuredRow> rows;
};

struct Catalog {
  std::vector<CatalogModel> models;
  std::vector<Machine> machines;
  std::vector<Backend> backends;
  std::vector<SpeedFamily> speed_families;
  SetupFacts setup;
  // Shared, never modified once loaded: copies of the catalog (a view with the user's models
  // applied) point to the same rows.
  std::shared_ptr<const MeasuredRows> measured;

  const CatalogModel* model(std::string_view id) const;
  const Machine* machine(std::string_view id) const;
  const Backend* backend(std::string_view id) const;
};

}  // namespace haloplan
