// Hugging Face config.json: real configs map to the architecture the shipped catalog has, so the
// weights, KV cache and state come out the same; unknown or incomplete configs say what is wrong.
#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "haloplan/catalog/hf_config.h"
#include "haloplan/planner/plan.h"
#include "helpers.h"

using namespace haloplan;
using haloplan::test::shipped;

namespace {
std::string read_fixture(const std::string& name) {
  std::ifstream f(std::string(HALOPLAN_FIXTURES) + "/hf/" + name);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}
}  // namespace

TEST_CASE("Hugging Face configs give the shipped models' weights, KV cache and state") {
  // model id, compare weights too (false where the config's vocabulary is padded beyond the
  // tokenizer's, as Gemma 3's 262208 against the GGUF's 262144)
  const std::vector<std::pair<std::string, bool>> cases = {
      // clang-format off
      {"llama-3.1-8b", true},     {"qwen3-30b-a3b", true},       {"gpt-oss-20b", true},
      {"deepseek-v3", true},      {"gemma-3-27b", false},        {"qwen3-next-80b-a3b", true},
      {"nemotron-nano-9b-v2", true}, {"granite-4.0-h-tiny", true}, {"glm-4.5-air", false},
      {"mixtral-8x7b", true},     {"qwen2.5-7b", true},          {"phi-4", true}};
  // clang-format on
  for (const auto& [id, weights] : cases) {
    INFO(id);
    const auto r = hf_config_to_model(read_fixture(id + ".json"), "hf/" + id);
    INFO(r.error);
    REQUIRE(r.model);
    Catalog c = shipped();
    nlohmann::json entry = *r.model;
    entry["id"] = "imported";
    const nlohmann::json env = {{"schema", "haloplan-models"}, {"version", 1}, {"models", {entry}}};
    const auto d = merge_models(env.dump(), c);
    for (const auto& x : d) INFO(x.text());
    REQUIRE_FALSE(has_errors(d));
    Scenario s;
    s.machine = c.machine("framework-desktop-128");
    s.ctx.n_ctx = 65536;
    const Plan mine = make_plan(c, *c.model("imported"), FType::Q4_K_M, s);
    const Plan ref = make_plan(c, *c.model(id), FType::Q4_K_M, s);
    CHECK(mine.kv.kv_bytes() == ref.kv.kv_bytes());
    CHECK(mine.kv.state_bytes == ref.kv.state_bytes);
    const auto& a = c.model("imported")->arch;
    const auto& b = c.model(id)->arch;
    REQUIRE(a.n_layer == b.n_layer);
    for (int il = 0; il < a.n_layer; ++il) CHECK(a.layer_kind(il) == b.layer_kind(il));
    if (weights) CHECK(mine.weights.total_bytes == ref.weights.total_bytes);
    else CHECK(double(mine.weights.total_bytes) == Approx(double(ref.weights.total_bytes)).epsilon(0.01));
  }
}

TEST_CASE("Hugging Face configs: names, and what cannot be mapped") {
  auto r = hf_config_to_model(read_fixture("qwen3-30b-a3b.json"), "Qwen/Qwen3-30B-A3B");
  REQUIRE(r.model);
  CHECK((*r.model)["id"] == "qwen3-30b-a3b");
  CHECK((*r.model)["name"] == "Qwen/Qwen3-30B-A3B");
  CHECK((*r.model)["arch"] == "qwen3moe");

  r = hf_config_to_model(R"({"model_type": "falcon", "hidden_size": 4544})", "");
  CHECK_FALSE(r.model);
  CHECK(r.error.rfind("model_type 'falcon' is not one this version maps (known: llama, mistral, ", 0) == 0);

  r = hf_config_to_model(R"({"model_type": "llama", "hidden_size": 4096, "num_attention_heads": 32})", "");
  CHECK_FALSE(r.model);
  CHECK(r.error == "config.json (model_type 'llama') is missing num_hidden_layers, vocab_size, intermediate_size");

  r = hf_config_to_model(R"({"hidden_size": 1})", "");
  CHECK(r.error == "config.json has no model_type; it is not a Hugging Face transformers config");
  r = hf_config_to_model("[1, 2", "");
  CHECK(r.error == "config.json is not valid JSON: line 1, column 6: the text ends inside a list");
  r = hf_config_to_model(
      R"({"model_type": "llama", "num_hidden_layers": -4, "hidden_size": 4096, "num_attention_heads": 32,
                            "vocab_size": 32000, "intermediate_size": 11008})",
      "");
  CHECK(r.error == "config.json (model_type 'llama') has invalid num_hidden_layers (-4)");
}
