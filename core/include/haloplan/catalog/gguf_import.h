// Layer: catalog. GGUF headers (and Hugging Face config.json files) as catalog entries: what a
// file is, one entry per model with split parts combined, and the architecture read from the
// header's metadata and tensors. The CLI's `haloplan import` and the page's importer share it.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "haloplan/catalog/gguf.h"

namespace haloplan {

// What a file to import is, from its first bytes: a GGUF file ("GGUF" magic), a config.json (a
// JSON object), or neither.
enum class ImportKind { Gguf, HfConfig, Unknown };
ImportKind import_kind(std::string_view first_bytes);

// The name a config.json's model goes by: its folder for ".../Model/config.json", else the file
// name without ".json".
std::string hf_config_name(std::string path);

// A GGUF file name without its folder, ".gguf" and "-00001-of-0000N" ("Qwen3-8B-Q4_K_M").
std::string gguf_file_stem(std::string file_name);

// A catalog entry (the data/models.json schema) for the model in the header, with the file's
// exact weight bytes; nullopt with *error naming what is missing or unsupported.
std::optional<nlohmann::json> gguf_to_model(const GgufHeader& h, const std::string& file_name, std::string* error);

// Headers of several files, then one catalog entry per model: single files each, and the split
// parts of one model together (named after the first part). finish() forgets the headers.
class GgufImport {
 public:
  struct Result {
    std::vector<nlohmann::json> models;
    std::vector<std::string> errors;  // "file: what is wrong"
  };
  void add(std::string name, GgufHeader header);
  Result finish();

 private:
  std::vector<std::pair<std::string, GgufHeader>> singles_;
  std::vector<GgufHeader> parts_;
  std::string first_part_;
};

}  // namespace haloplan
