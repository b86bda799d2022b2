#include <catch2/catch.hpp>
#include <cmath>

#include "haloplan/planner/memory.h"
#include "helpers.h"

using namespace haloplan;

TEST_CASE("Llama-3.1-8B bits per weight equal llama.cpp's published table") {
  const auto fx = test::fixture("bpw_llama31_8b.json");
  const auto* m = test::shipped().model(fx["model"].get<std::string>());
  REQUIRE(m);
  for (auto& [name, bpw] : fx["expected_bpw"].items()) {
    const auto w = weight_breakdown(m->arch, *ftype_from_name(name));
    INFO(name);
    CHECK(std::round(w.bits_per_weight() * 1e4) / 1e4 == Approx(bpw.get<double>()).margin(1e-9));
  }
}

TEST_CASE("Q3_K_M for Llama-3.1-8B follows the same rules (3.9960)") {
  const auto* m = test::shipped().model("llama-3.1-8b");
  CHECK(std::round(weight_breakdown(m->arch, FType::Q3_K_M).bits_per_weight() * 1e4) / 1e4 == Approx(3.9960));
}

TEST_CASE("Parameter counts match the reference's counts from the configs") {
  for (const auto& m : test::shipped().models) {
    if (m.published_total_b <= 0) continue;
    const auto w = weight_breakdown(m.arch, FType::BF16);
    INFO(m.id);
    CHECK(double(w.total_params) / 1e9 == Approx(m.published_total_b).epsilon(m.verified ? 0.02 : 0.05));
  }
}

TEST_CASE("Llama 3.1 Q4_K_M sizes match real files (8B: 4.9 GB in llama.cpp's README; 70B: 39.59 GiB GGUF)") {
  const auto& c = test::shipped();
  CHECK(weight_breakdown(c.model("llama-3.1-8b")->arch, FType::Q4_K_M).total_bytes / 1e9 == Approx(4.9).epsilon(0.01));
  // visorcraft strix-halo-llm-perf: Llama-3.1-70B Q4_K_M GGUF of 39.59 GiB (calibration rows).
  CHECK(weight_breakdown(c.model("llama-3.1-70b")->arch, FType::Q4_K_M).total_bytes / 1073741824.0 ==
        Approx(39.59).epsilon(0.002));
}

TEST_CASE("70B-class models bump attn_v to Q5_K where Q4_K would be used") {
  const auto& a = test::shipped().model("llama-3.3-70b")->arch;
  REQUIRE(a.is_type_70b());
  const auto tensors = build_tensors(a);
  const auto q = quantize(a, tensors, FType::Q4_K_M);
  int q5 = 0, q6 = 0;
  for (const auto& t : q) {
    if (t.spec->name.find("attn_v.weight") == std::string::npos) continue;
    if (t.type == GgmlType::Q5_K) ++q5;
    if (t.type == GgmlType::Q6_K) ++q6;
  }
  CHECK(q5 + q6 == 80);
  CHECK(q5 > 0);
  CHECK(q6 > 0);
}

TEST_CASE("MXFP4_MOE: merged experts MXFP4, everything else quantizable Q8_0") {
  const auto& a = test::shipped().model("gpt-oss-120b")->arch;
  const auto tensors = build_tensors(a);
  for (const auto& t : quantize(a, tensors, FType::MXFP4_MOE)) {
    INFO(t.spec->name);
    if (t.spec->ne[2] > 1) CHECK(t.type == GgmlType::MXFP4);
    else if (t.spec->n_dims == 2 && t.spec->name.find("weight") != std::string::npos &&
             t.spec->name.find("gate_inp") == std::string::npos)
      CHECK(t.type == GgmlType::Q8_0);
  }
  // Measured GGUF: 59-61 GiB (calibration rows); computed from the architecture:
  const double gib = weight_breakdown(a, FType::MXFP4_MOE).total_bytes / 1073741824.0;
  CHECK(gib > 58.0);
  CHECK(gib < 62.0);
}

TEST_CASE("an F16-labelled gpt-oss file keeps MXFP4 experts: the experts take the bytes the F16 rest leaves") {
  // Measured: gpt-oss-120b converted at F16 is a 60.87 GiB file (calibration rows, lhl), far below
  // an all-F16 file; its non-expert tensors are F16 and its experts stay MXFP4.
  const auto& a = test::shipped().model("gpt-oss-120b")->arch;
  const auto f16 = weight_breakdown(a, FType::F16);
  const auto mx = weight_breakdown(a, FType::MXFP4_MOE);
  const uint64_t file = uint64_t(60.87 * 1073741824.0);
  const auto w = experts_take_rest(f16, file);
  CHECK(w.total_bytes == file);
  CHECK(w.total_bytes - w.routed_expert_bytes == f16.total_bytes - f16.routed_expert_bytes);
  CHECK(w.routed_expert_bytes == Approx(double(mx.routed_expert_bytes)).epsilon(0.03));
  // Per token: the F16 rest plus MXFP4 experts at 4 of 128 read more than the uniformly scaled file.
  CHECK(w.decode_read_bytes > 1.3 * scale_to_file_size(mx, file).decode_read_bytes);
  // The rest alone larger than the file: every tensor scales instead.
  CHECK(experts_take_rest(f16, 1000).total_bytes == 1000);
}

TEST_CASE("MoE active parameters count the routed experts at k/n") {
  const auto& c = test::shipped();
  const auto* m = c.model("qwen3-30b-a3b");
  const auto w = weight_breakdown(m->arch, FType::Q4_K_M);
  // Reference: 30.53B total, 3.35B active (the latter with the embedding); one embedding row here.
  CHECK(w.total_params / 1e9 == Approx(30.53).epsilon(0.01));
  const double embd = double(m->arch.n_embd) * double(m->arch.n_vocab);
  CHECK((w.active_params + embd) / 1e9 == Approx(3.35).epsilon(0.02));
  // Derived in the reference: 17.28 GiB at Q4_K_M
  CHECK(w.total_bytes / 1073741824.0 == Approx(17.28).epsilon(0.005));
  CHECK(w.decode_read_bytes < w.total_bytes / 5);
}

TEST_CASE("gpt-oss in its release format (MXFP4_MOE) has the size llama-bench reports for the real files") {
  // Calibration rows (../shared/reference/calibration): llama-bench's model size column shows
  // 59.02 GiB for gpt-oss-120b MXFP4 (51 rows) and 11.27 GiB for bartowski's gpt-oss-20b MXFP4.
  const auto& c = test::shipped();
  auto gib2 = [&](const char* id) {
    const auto* m = c.model(id);
    REQUIRE(m->release_quant == FType::MXFP4_MOE);
    return std::round(double(weight_breakdown(m->arch, *m->release_quant).total_bytes) / 1073741824.0 * 100) / 100;
  };
  CHECK(gib2("gpt-oss-120b") == Approx(59.02).margin(1e-9));
  CHECK(gib2("gpt-oss-20b") == Approx(11.27).margin(1e-9));
}
