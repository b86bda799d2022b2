// GGUF headers: exact weight bytes and architecture from generated headers of real models, split
// files, prefixes that need more bytes, and malformed files that must fail with a clear message.
#include <catch2/catch.hpp>
#include <cstring>

#include "gguf_writer.h"
#include "haloplan/catalog/gguf_import.h"
#include "haloplan/planner/memory.h"
#include "haloplan/planner/plan.h"
#include "helpers.h"

using namespace haloplan;
using haloplan::test::GgufWriter;
using haloplan::test::shipped;
using haloplan::test::write_gguf;

namespace {

std::span<const uint8_t> span_of(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

GgufParse parse_all(const std::string& s) { return parse_gguf(span_of(s), s.size()); }

// Reads the way the page and the CLI do: a first slice, grown until the header is complete.
GgufParse parse_growing(const std::string& file, uint64_t first, int* rounds) {
  uint64_t have = first;
  for (*rounds = 1;; ++*rounds) {
    auto r = parse_gguf(span_of(file).subspan(0, size_t(std::min<uint64_t>(have, file.size()))), file.size());
    if (r.status != GgufParse::Status::NeedMore) return r;
    REQUIRE(r.need_bytes > have);
    have = r.need_bytes;
  }
}

nlohmann::json entry_for(const std::string& id, FType q, const std::string& file) {
  const auto g = write_gguf(*shipped().model(id), q);
  const auto r = parse_all(g.bytes);
  REQUIRE(r.status == GgufParse::Status::Ok);
  std::string err;
  auto m = gguf_to_model(r.header, file, &err);
  INFO(err);
  REQUIRE(m);
  return *m;
}

Catalog with_entry(const nlohmann::json& m) {
  Catalog c = shipped();
  const nlohmann::json env = {{"schema", "haloplan-models"}, {"version", 1}, {"models", {m}}};
  const auto d = merge_models(env.dump(), c);
  for (const auto& x : d) INFO(x.text());
  REQUIRE_FALSE(has_errors(d));
  return c;
}

}  // namespace

TEST_CASE("a Llama-3.1-8B Q4_K_M header gives the weight bytes the core computes") {
  const auto& m = *shipped().model("llama-3.1-8b");
  const auto g = write_gguf(m, FType::Q4_K_M);
  CHECK(g.bytes.size() > 1000000);  // the tokenizer list makes the header megabytes long
  int rounds = 0;
  const auto r = parse_growing(g.bytes, 1 << 16, &rounds);
  REQUIRE(r.status == GgufParse::Status::Ok);
  CHECK(rounds > 2);
  CHECK(r.header.tensors.size() == g.tensors);
  CHECK(r.header.weight_bytes() == g.weight_bytes);
  CHECK(r.header.weight_bytes() == weight_breakdown(m.arch, FType::Q4_K_M).total_bytes);
  CHECK(r.header.header_bytes == g.bytes.size());

  std::string err;
  const auto e = gguf_to_model(r.header, "Meta-Llama-3.1-8B-Instruct-Q4_K_M.gguf", &err);
  REQUIRE(e);
  CHECK((*e)["id"] == "meta-llama-3.1-8b-instruct-q4-k-m");
  CHECK((*e)["n_layers"] == 32);
  CHECK((*e)["hidden_size"] == 4096);
  CHECK((*e)["n_heads"] == 32);
  CHECK((*e)["n_kv_heads"] == 8);
  CHECK((*e)["head_dim"] == 128);
  CHECK((*e)["intermediate_size"] == 14336);
  CHECK((*e)["vocab_size"] == 128256);
  CHECK((*e)["max_context"] == 131072);
  CHECK((*e)["tied_embeddings"] == false);
  CHECK((*e)["gguf"]["quant"] == "Q4_K_M");
  CHECK((*e)["gguf"]["weights_bytes"] == g.weight_bytes);
  CHECK((*e)["notes"] == "from GGUF header: Meta-Llama-3.1-8B-Instruct-Q4_K_M.gguf");

  // In the catalog it plans like the shipped model, with the file's own bytes.
  const Catalog c = with_entry(*e);
  Scenario s;
  s.machine = c.machine("framework-desktop-128");
  const Plan imported = make_plan(c, *c.model((*e)["id"].get<std::string>()), FType::Q4_K_M, s);
  const Plan ref = make_plan(c, *c.model("llama-3.1-8b"), FType::Q4_K_M, s);
  CHECK(imported.weights.total_bytes == ref.weights.total_bytes);
  CHECK(imported.kv.kv_bytes() == ref.kv.kv_bytes());
  CHECK(imported.weights.token_embd_bytes == ref.weights.token_embd_bytes);
}

TEST_CASE("MoE, sliding-window and MLA headers give the right architecture") {
  SECTION("Qwen3-30B-A3B") {
    const auto e = entry_for("qwen3-30b-a3b", FType::Q8_0, "Qwen3-30B-A3B-Q8_0.gguf");
    CHECK(e["arch"] == "qwen3moe");
    CHECK(e["n_layers"] == 48);
    CHECK(e["n_kv_heads"] == 4);
    CHECK(e["qk_norm"] == true);
    CHECK(e["moe"]["n_expert"] == 128);
    CHECK(e["moe"]["n_expert_used"] == 8);
    CHECK(e["moe"]["expert_ff"] == 768);
    CHECK_FALSE(e["moe"].contains("n_expert_shared"));
    CHECK(e["gguf"]["quant"] == "Q8_0");
  }
  SECTION("gpt-oss-20b") {
    const auto e = entry_for("gpt-oss-20b", FType::MXFP4_MOE, "gpt-oss-20b-MXFP4.gguf");
    CHECK(e["arch"] == "gpt-oss");
    CHECK(e["attention"]["sliding_window"] == 128);
    CHECK(e["attention"]["pattern"] == "SASASASASASASASASASASASA");
    CHECK(e["attention_sinks"] == true);
    CHECK(e["attention_bias"] == true);
    CHECK(e["moe"]["n_expert"] == 32);
    CHECK(e["moe"]["n_expert_used"] == 4);
    CHECK(e["moe"]["expert_bias"] == true);
    CHECK(e["gguf"]["quant"] == "MXFP4_MOE");
    // The same KV cache as the shipped entry: 12 full + 12 SWA layers.
    const Catalog c = with_entry(e);
    Scenario s;
    s.machine = c.machine("framework-desktop-128");
    s.ctx.n_ctx = 131072;
    CHECK(make_plan(c, *c.model("gpt-oss-20b-mxfp4"), FType::MXFP4_MOE, s).kv.kv_bytes() ==
          make_plan(c, *c.model("gpt-oss-20b"), FType::MXFP4_MOE, s).kv.kv_bytes());
  }
  SECTION("DeepSeek-V3") {
    const auto e = entry_for("deepseek-v3", FType::Q4_K_M, "DeepSeek-V3-Q4_K_M.gguf");
    CHECK(e["arch"] == "deepseek2");
    CHECK(e["n_layers"] == 61);
    CHECK(e["attention"]["kind"] == "mla");
    CHECK(e["attention"]["kv_lora_rank"] == 512);
    CHECK(e["attention"]["q_lora_rank"] == 1536);
    CHECK(e["attention"]["qk_rope_head_dim"] == 64);
    CHECK(e["attention"]["qk_nope_head_dim"] == 128);
    CHECK(e["attention"]["v_head_dim"] == 128);
    CHECK(e["moe"]["n_expert"] == 256);
    CHECK(e["moe"]["n_expert_shared"] == 1);
    CHECK(e["moe"]["shared_ff"] == 2048);
    CHECK(e["moe"]["n_dense_layers"] == 3);
    CHECK(e["moe"]["dense_ff"] == 18432);
    const Catalog c = with_entry(e);
    Scenario s;
    s.machine = c.machine("framework-desktop-128");
    CHECK(make_plan(c, *c.model("deepseek-v3-q4-k-m"), FType::Q4_K_M, s).kv.kv_bytes() ==
          make_plan(c, *c.model("deepseek-v3"), FType::Q4_K_M, s).kv.kv_bytes());
  }
  SECTION("Qwen3-Next: recurrent and attention layers") {
    const auto e = entry_for("qwen3-next-80b-a3b", FType::Q4_K_M, "Qwen3-Next-80B-A3B-Q4_K_M.gguf");
    CHECK(e["attention"]["pattern"].get<std::string>().substr(0, 8) == "RRRARRRA");
    CHECK(e["attention"]["recurrent"]["kind"] == "gated-deltanet");
    const Catalog c = with_entry(e);
    Scenario s;
    s.machine = c.machine("framework-desktop-128");
    const Plan a = make_plan(c, *c.model("qwen3-next-80b-a3b-q4-k-m"), FType::Q4_K_M, s);
    const Plan b = make_plan(c, *c.model("qwen3-next-80b-a3b"), FType::Q4_K_M, s);
    CHECK(a.kv.state_bytes == b.kv.state_bytes);
    CHECK(a.kv.kv_bytes() == b.kv.kv_bytes());
  }
}

TEST_CASE("split GGUF files combine; a missing part is named") {
  const auto& m = *shipped().model("llama-3.1-8b");
  std::vector<GgufHeader> parts;
  uint64_t total = 0;
  for (int i = 0; i < 3; ++i) {
    const auto g = write_gguf(m, FType::Q6_K, false, i, 3);
    const auto r = parse_all(g.bytes);
    REQUIRE(r.status == GgufParse::Status::Ok);
    parts.push_back(r.header);
    total += g.weight_bytes;
  }
  std::string err;
  auto all = combine_gguf_splits(parts, &err);
  REQUIRE(all);
  CHECK(all->weight_bytes() == total);
  CHECK(total == weight_breakdown(m.arch, FType::Q6_K).total_bytes);
  CHECK(gguf_to_model(*all, "Llama-3.1-8B-Q6_K-00001-of-00003.gguf", &err).value()["id"] == "llama-3-1-8b-q6-k");
  parts.pop_back();
  CHECK_FALSE(combine_gguf_splits(parts, &err));
  CHECK(err == "part 3 of 3 is missing; give every -0000N-of-3 file");
}

TEST_CASE("a prefix of a GGUF asks for more bytes; the whole file truncated is an error") {
  const auto g = write_gguf(*shipped().model("qwen3-0.6b"), FType::Q8_0, false);
  const std::string& f = g.bytes;
  size_t checked = 0;
  for (size_t cut = 0; cut < f.size(); cut += (cut < 4096 ? 1 : 61)) {
    const auto prefix = span_of(f).subspan(0, cut);
    const auto more = parse_gguf(prefix, f.size());
    INFO("cut at " << cut);
    REQUIRE(more.status == GgufParse::Status::NeedMore);
    CHECK(more.need_bytes > cut);
    CHECK(more.need_bytes <= f.size());
    const auto trunc = parse_gguf(prefix, cut);
    REQUIRE(trunc.status == GgufParse::Status::Error);
    CHECK(trunc.error == "the file ends inside its header (" + std::to_string(cut) + " bytes): it is truncated");
    ++checked;
  }
  CHECK(checked > 4096);
  CHECK(parse_all(f).status == GgufParse::Status::Ok);
}

TEST_CASE("malformed GGUF headers fail with a message naming the problem") {
  const auto g = write_gguf(*shipped().model("qwen3-0.6b"), FType::Q8_0, false);
  auto expect = [](std::string bytes, const std::string& msg) {
    const auto r = parse_gguf(span_of(bytes), bytes.size());
    INFO(r.error);
    REQUIRE(r.status == GgufParse::Status::Error);
    CHECK(r.error.find(msg) != std::string::npos);
  };
  auto patch64 = [](std::string s, size_t at, uint64_t v) {
    std::memcpy(s.data() + at, &v, 8);
    return s;
  };
  auto patch32 = [](std::string s, size_t at, uint32_t v) {
    std::memcpy(s.data() + at, &v, 4);
    return s;
  };
  std::string wrong = g.bytes;
  wrong[0] = 'X';
  expect(wrong, "not a GGUF file");
  expect(patch32(g.bytes, 4, 1), "GGUF version 1 is not supported (2 and 3 are)");
  expect(patch32(g.bytes, 4, 4), "GGUF version 4 is not supported");
  expect(patch64(g.bytes, 8, uint64_t(1) << 40), "claims 1099511627776 tensors; the limit is 1048576");
  expect(patch64(g.bytes, 16, ~uint64_t(0)), "metadata keys; the limit is 1048576");
  expect(patch64(g.bytes, 24, uint64_t(1) << 60),
         "metadata key 0 claims 1152921504606846976 bytes; the limit is 1 MiB");
  // The first key is "general.architecture" (20 bytes): its value type follows.
  expect(patch32(g.bytes, 24 + 8 + 20, 13), "metadata key 'general.architecture' has unknown value type 13");
  // Tensor infos: find the first tensor name and corrupt what follows it.
  const auto r = parse_all(g.bytes);
  REQUIRE(r.status == GgufParse::Status::Ok);
  const std::string first = r.header.tensors[0].name;
  const size_t name_at = g.bytes.find(first);  // tensor names do not occur in the metadata
  REQUIRE(name_at != std::string::npos);
  const size_t dims_at = name_at + first.size();
  expect(patch32(g.bytes, dims_at, 7), "has 7 dimensions; GGUF allows 1 to 4");
  expect(patch64(g.bytes, dims_at + 4, 0), "has dimension 0, outside 1 to 2^40");
  const int nd = r.header.tensors[0].n_dims;
  expect(patch32(g.bytes, dims_at + 4 + 8 * size_t(nd), 99), "has unknown ggml type id 99");
  expect(patch32(g.bytes, dims_at + 4 + 8 * size_t(nd), 4), "has unknown ggml type id 4");  // removed Q4_2
  expect(patch64(g.bytes, dims_at + 4, 100), "rows of 100 elements, not a multiple of");
  // An array whose count exceeds the file.
  GgufWriter w;
  w.bytes = "GGUF";
  w.u32(3);
  w.u64(0);
  w.u64(1);
  w.str("x.big");
  w.u32(9);
  w.u32(10);
  w.u64(uint64_t(1) << 25);
  expect(w.bytes, "array 'x.big' is larger than the file");
  // A header that parses but has no architecture.
  GgufWriter empty;
  empty.bytes = "GGUF";
  empty.u32(3);
  empty.u64(0);
  empty.u64(0);
  const auto pe = parse_all(empty.bytes);
  REQUIRE(pe.status == GgufParse::Status::Ok);
  std::string err;
  CHECK_FALSE(gguf_to_model(pe.header, "x.gguf", &err));
  CHECK(err == "general.architecture is missing");
}
