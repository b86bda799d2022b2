#include <catch2/catch.hpp>

#include "haloplan/planner/memory.h"
#include "helpers.h"

using namespace haloplan;

TEST_CASE("KV and state sizes of the reference's worked examples, to the byte") {
  const auto fx = test::fixture("kv_examples.json");
  for (const auto& c : fx["cases"]) {
    INFO(c["name"].get<std::string>());
    const auto* m = test::shipped().model(c["model"].get<std::string>());
    REQUIRE(m);
    ContextParams cp;
    cp.n_ctx = c["ctx"].get<int64_t>();
    cp.type_k = *type_from_name(c["type_k"].get<std::string>());
    cp.type_v = *type_from_name(c["type_v"].get<std::string>());
    if (c.contains("slots")) cp.n_seq = c["slots"].get<int>();
    const auto kv = kv_cache(m->arch, cp);
    CHECK(kv.error.empty());
    CHECK(kv.kv_bytes() == c["kv_bytes"].get<uint64_t>());
    if (c.contains("state_bytes")) CHECK(kv.state_bytes == c["state_bytes"].get<uint64_t>());
    if (c.contains("swa_cells")) CHECK(kv.swa_cells == c["swa_cells"].get<int64_t>());
  }
}

TEST_CASE("Context is padded to 256 cells") {
  const auto& a = test::shipped().model("llama-3.1-8b")->arch;
  ContextParams cp;
  cp.n_ctx = 1000;
  CHECK(kv_cache(a, cp).n_ctx == 1024);
  CHECK(kv_cache(a, cp).kv_bytes() == 131072ull * 1024);
}

TEST_CASE("Per-slot caches pad each stream; unified caches share one pool") {
  const auto& a = test::shipped().model("llama-3.1-8b")->arch;
  ContextParams cp;
  cp.n_ctx = 10000;
  cp.n_seq = 3;
  cp.kv_unified = true;
  CHECK(kv_cache(a, cp).n_ctx == 10240);
  cp.kv_unified = false;
  const auto kv = kv_cache(a, cp);
  CHECK(kv.n_ctx_seq == 3584);  // PAD(10240 / 3, 256)
  CHECK(kv.n_ctx == 3584 * 3);
  CHECK(kv.kv_bytes() == 131072ull * 3584 * 3);
}

TEST_CASE("Without flash attention a quantized V cache is refused") {
  const auto& a = test::shipped().model("llama-3.1-8b")->arch;
  ContextParams cp;
  cp.flash_attn = false;
  cp.type_v = GgmlType::Q8_0;
  CHECK_FALSE(kv_cache(a, cp).error.empty());
  cp.flash_attn = true;
  CHECK(kv_cache(a, cp).error.empty());
}

TEST_CASE("MLA before V-less caching stores K 576 + V 512 per token per layer") {
  const auto& a = test::shipped().model("deepseek-v3")->arch;
  ContextParams cp;
  cp.n_ctx = 32768;
  cp.mla_vless = false;
  CHECK(kv_cache(a, cp).kv_bytes() == 132736ull * 32768);
}

TEST_CASE("swa_full (llama.cpp --swa-full) gives sliding-window layers the whole context") {
  const auto& a = test::shipped().model("gemma-3-27b")->arch;
  ContextParams cp;
  cp.n_ctx = 131072;
  cp.swa_full = true;
  CHECK(kv_cache(a, cp).kv_bytes() == 62ull * 8192 * 131072);
}

TEST_CASE("Decode reads only the used part of the cache, windowed for SWA") {
  const auto& a = test::shipped().model("llama-3.1-8b")->arch;
  ContextParams cp;
  CHECK(kv_read_bytes(a, cp, 0) == 131072ull * 256);
  CHECK(kv_read_bytes(a, cp, 16384) == 131072ull * 16384);
  const auto& g = test::shipped().model("gpt-oss-20b")->arch;
  // 12 full layers grow with depth, 12 SWA layers stay at the 256-cell-padded window.
  CHECK(kv_read_bytes(g, cp, 65536) == 12ull * 2048 * 65536 + 12ull * 2048 * 256);
}
