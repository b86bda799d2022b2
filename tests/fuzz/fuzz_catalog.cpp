// libFuzzer target: the catalog loaders (models, machines, backends, setup) and the Hugging Face
// config mapping on arbitrary text.
#include <cstdint>
#include <string_view>

#include "haloplan/catalog/hf_config.h"
#include "haloplan/catalog/load.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace haloplan;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  Catalog c;
  (void)load_models(text, c);
  (void)load_machines(text, c);
  (void)load_backends(text, c);
  (void)load_setup(text, c);
  (void)hf_config_to_model(text, "fuzz");
  return 0;
}
