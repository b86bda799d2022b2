// Layer: catalog. Hugging Face config.json to a catalog entry (the data/models.json schema). Weights then come
// from llama.cpp's quantisation rules over the architecture, like every shipped model.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace haloplan {

struct HfImport {
  std::optional<nlohmann::json> model;  // the entry, or nothing on error
  std::string error;                    // unknown model_type, missing fields, not a config
};

// name: what to call the model (e.g. the repository, "Qwen/Qwen3-30B-A3B"); empty: taken from
// the config's _name_or_path or its model_type.
HfImport hf_config_to_model(std::string_view config_text, const std::string& name);

// The model_type values this version maps.
const std::vector<std::string>& hf_model_types();

}  // namespace haloplan
