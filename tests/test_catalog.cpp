#include <catch2/catch.hpp>

#include "haloplan/catalog/load.h"
#include "helpers.h"

using namespace haloplan;

namespace {
std::string one_model(const std::string& fields) {
  return R"({"schema":"haloplan-models","version":1,"models":[{"id":"t-1b","name":"T","arch":"llama",)" + fields +
         R"(,"sources":["test"]}]})";
}
const std::string kGood =
    R"("n_layers":16,"hidden_size":2048,"n_heads":32,"n_kv_heads":8,"intermediate_size":8192,"vocab_size":32000,"max_context":4096,"tied_embeddings":true)";

bool has_diag(const std::vector<Diagnostic>& d, const std::string& path, const std::string& part, bool error = true) {
  for (const auto& x : d)
    if (x.path == path && x.message.find(part) != std::string::npos && x.error == error) return true;
  return false;
}
}  // namespace

TEST_CASE("The shipped catalog loads without errors or warnings") {
  Catalog c;
  const auto d = load_default_catalog(c);
  for (const auto& x : d) UNSCOPED_INFO(x.text());
  CHECK(d.empty());
  CHECK(c.models.size() >= 40);
  CHECK(c.machines.size() >= 8);
  for (const char* id : {"llamacpp-vulkan", "llamacpp-rocm", "vllm-rocm", "ollama", "llamacpp-metal"})
    CHECK(c.backend(id));
}

TEST_CASE("Every model named by the guide and the calibration file is in the catalog") {
  const auto& c = test::shipped();
  for (const char* id : {"qwen3-coder-30b-a3b",
                         "llama-3.3-70b",
                         "glm-4.5-air",
                         "kimi-linear-48b-a3b",
                         "qwen3-235b-a22b",
                         "qwen3-coder-480b-a35b",
                         "deepseek-v3",
                         "kimi-k2",
                         "gpt-oss-120b",
                         "gpt-oss-20b",
                         "dots.llm1",
                         "gemma-3-27b",
                         "gemma-4-26b-a4b",
                         "hunyuan-a13b",
                         "llama-2-7b",
                         "llama-4-scout-17b-16e",
                         "minimax-m2.1-reap-139b",
                         "minimax-m2.5",
                         "mistral-small-3.1-24b",
                         "phi-4",
                         "qwen3.6-35b-a3b",
                         "qwen3-coder-next-80b-a3b",
                         "tinyllama-1.1b"}) {
    INFO(id);
    CHECK(c.model(id));
  }
}

TEST_CASE("A valid one-model catalog loads") {
  Catalog c;
  const auto d = load_models(one_model(kGood), c);
  CHECK(d.empty());
  REQUIRE(c.models.size() == 1);
  CHECK(c.models[0].arch.head_dim == 64);
}

TEST_CASE("Catalog errors name the JSON path and what was expected") {
  Catalog c;
  auto d = load_models(
      one_model(
          R"("n_layers":"many","hidden_size":2048,"n_heads":32,"n_kv_heads":8,"intermediate_size":8192,"vocab_size":32000,"max_context":4096,"tied_embeddings":true)"),
      c);
  CHECK(has_diag(d, "models[0].n_layers", "expected an integer, found a string"));
  CHECK(c.models.empty());

  d = load_models(
      one_model(
          R"("n_layers":16,"hidden_size":2048,"n_heads":32,"n_kv_heads":7,"intermediate_size":8192,"vocab_size":32000,"max_context":4096,"tied_embeddings":true)"),
      c);
  CHECK(has_diag(d, "models[0]", "n_heads must be a multiple of n_kv_heads"));

  d = load_models(one_model(kGood + R"(,"moe":{"n_expert":8,"n_expert_used":9,"expert_ff":100})"), c);
  CHECK(has_diag(d, "models[0]", "n_expert_used must be between 1 and moe.n_expert"));

  d = load_models(one_model(kGood + R"(,"attention":{"kind":"mla"})"), c);
  CHECK(has_diag(d, "models[0].attention.kv_lora_rank", "missing"));

  d = load_models(one_model(kGood + R"(,"attention":{"pattern":"SSA"})"), c);
  CHECK(has_diag(d, "models[0]", "sliding_window must be positive"));

  d = load_models(
      one_model(
          R"("n_layers":16.5,"hidden_size":2048,"n_heads":32,"vocab_size":32000,"max_context":4096,"tied_embeddings":true)"),
      c);
  CHECK(has_diag(d, "models[0].n_layers", "expected an integer, found 16.5"));
  CHECK(c.models.empty());
}

TEST_CASE("Unknown fields are reported as warnings, not dropped silently") {
  Catalog c;
  const auto d = load_models(one_model(kGood + R"(,"n_layer":16)"), c);
  CHECK(has_diag(d, "models[0].n_layer", "unknown field", false));
  CHECK_FALSE(has_errors(d));
  CHECK(c.models.size() == 1);
}

TEST_CASE("Schema envelope: version, schema name, duplicates, malformed JSON") {
  Catalog c;
  auto d = load_models(R"({"schema":"haloplan-models","version":2,"models":[]})", c);
  CHECK(has_diag(d, "version", "newer than this haloplan"));
  d = load_models(R"({"schema":"something","version":1,"models":[]})", c);
  CHECK(has_diag(d, "schema", "expected \"haloplan-models\""));
  d = load_models(R"({"schema":"haloplan-models","version":1,"models":[)", c);
  REQUIRE(d.size() == 1);
  CHECK(d[0].message.find("not valid JSON") != std::string::npos);
  d = load_models(R"({"schema":"haloplan-models","version":1,"models":[{"id":"a","name":"A","arch":"llama",)" + kGood +
                      R"(,"sources":["x"]},{"id":"a","name":"A","arch":"llama",)" + kGood + R"(,"sources":["x"]}]})",
                  c);
  CHECK(has_diag(d, "models[1].id", "appears more than once"));
}

TEST_CASE("Deeply nested JSON is refused with a message, not a crash") {
  Catalog c;
  std::string deep(100000, '[');
  const auto d = load_models(deep, c);
  REQUIRE_FALSE(d.empty());
  CHECK(has_errors(d));
}

TEST_CASE("A user catalog replaces models by id and adds new ones; a broken one changes nothing") {
  Catalog c = test::shipped();
  const size_t n = c.models.size();
  auto d = merge_models(one_model(kGood), c);
  CHECK_FALSE(has_errors(d));
  CHECK(c.models.size() == n + 1);
  const auto before = c.models.size();
  d = merge_models(one_model(R"("n_layers":0)"), c);
  CHECK(has_errors(d));
  CHECK(c.models.size() == before);
}
