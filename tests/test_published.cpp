// What llama-server really loads: published files (presets and known-size mixes), the vision
// projector and a draft model, against published sizes and llama.cpp's own rules.
#include <catch2/catch.hpp>

#include "haloplan/view/exports.h"
#include "haloplan/view/scenario.h"
#include "haloplan/view/tables.h"
#include "helpers.h"

using namespace haloplan;

namespace {
constexpr double kGiBytes = 1073741824.0;

Scenario framework() {
  Scenario s;
  s.machine = test::shipped().machine("framework-desktop-128");
  s.ctx.n_ctx = 32768;
  return s;
}
}  // namespace

TEST_CASE("Published preset files: the weights equal llama-bench's model size of the real file") {
  const auto fx = test::fixture("published_sizes.json");
  REQUIRE(fx["files"].size() >= 30);
  for (const auto& f : fx["files"]) {
    const CatalogModel* m = test::shipped().model(f["model"].get<std::string>());
    REQUIRE(m);
    const auto q = ftype_from_name(f["preset"].get<std::string>());
    REQUIRE(q);
    INFO(f["file"].get<std::string>() << " (" << f["source"].get<std::string>() << ")");
    // A file converted with the model's MTP layer carries it (llama-bench counts it; the plan
    // loads it only with --mtp on).
    const auto w = model_weights(*m, *q);
    const bool nextn = f.value("nextn", false);
    const double gib = double(w.total_bytes + (nextn ? w.nextn_bytes : 0)) / kGiBytes;
    // llama-bench prints two decimals (three for TinyLlama): half a step of rounding, or 0.2 %.
    CHECK(gib == Approx(f["gib"].get<double>()).margin(std::max(0.0051, 0.002 * gib)));
  }
}

TEST_CASE("A published file is planned at its published size and named as Hugging Face names it") {
  const auto& c = test::shipped();
  const CatalogModel* m = c.model("qwen3.6-35b-a3b");
  REQUIRE(m);
  // Nathanw1014/strix-halo-llamacpp: llama-bench prints 20.81 GiB for Qwen3.6-35B-A3B-UD-Q4_K_XL.
  const PublishedFile* f = m->published("unsloth:UD-Q4_K_XL");
  REQUIRE(f);
  const Scenario s = with_file(framework(), f);
  const Plan p = make_plan(c, *m, f->mix, s);
  CHECK(double(p.weights.total_bytes) / kGiBytes == Approx(20.81).margin(0.001));
  CHECK(p.quant_label() == "UD-Q4_K_XL (unsloth)");
  CHECK(p.weights.nextn_bytes == 0);  // the size is what llama-bench loaded
  const auto cmd = llama_server_command(p, s, *c.backend("llamacpp-vulkan"));
  REQUIRE(cmd);
  CHECK(cmd->rfind("llama-server -hf unsloth/Qwen3.6-35B-A3B-GGUF:UD-Q4_K_XL -c 32768", 0) == 0);
  Scenario text_only = s;
  text_only.vision = false;  // -hf fetches the projector unless told not to
  CHECK(llama_server_command(make_plan(c, *m, f->mix, text_only), text_only, *c.backend("llamacpp-vulkan"))
            ->find(" --no-mmproj ") != std::string::npos);
  // In a selection, the file's row follows the model's presets, and a model without it has none.
  Selection sel;
  sel.models = {m, c.model("llama-3.1-8b")};
  sel.quants = {FType::Q4_K_M};
  sel.files = {"unsloth:UD-Q4_K_XL"};
  const auto cells = selection_cells(sel);
  REQUIRE(cells.size() == 3);
  CHECK(cells[1].key() == "unsloth:UD-Q4_K_XL");
  CHECK(cells[2].model->id == "llama-3.1-8b");
}

TEST_CASE("gpt-oss as unsloth packages it: the published Q4_K_M keeps MXFP4 experts (58.45 GiB, not 81.8)") {
  const auto& c = test::shipped();
  const CatalogModel* m = c.model("gpt-oss-120b");
  const PublishedFile* f = m->published("unsloth:Q4_K_M");
  REQUIRE(f);
  CHECK(double(make_plan(c, *m, f->mix, with_file(framework(), f)).weights.total_bytes) / kGiBytes ==
        Approx(58.45).margin(0.001));
  // llama-quantize's own Q4_K_M from an F16 source: the expert rows (2880) are not a multiple of
  // 256, so the K-quants fall back; the preset row stays what llama.cpp would write.
  CHECK(double(model_weights(*m, FType::Q4_K_M).total_bytes) / kGiBytes > 75);
}

TEST_CASE("The vision projector is loaded on the GPU at its published size, and only when vision is on") {
  const auto& c = test::shipped();
  const CatalogModel* m = c.model("gemma-3-27b");
  REQUIRE(m->mmproj);
  Scenario on = framework(), off = framework();
  off.vision = false;
  const Plan pon = make_plan(c, *m, FType::Q4_K_M, on), poff = make_plan(c, *m, FType::Q4_K_M, off);
  // ggml-org/gemma-3-27b-it-GGUF lists mmproj-model-f16.gguf at 858 MB.
  CHECK(pon.projector_bytes == 858000000u);
  const auto* von = pon.find("llamacpp-vulkan");
  const auto* voff = poff.find("llamacpp-vulkan");
  CHECK(von->placement.gpu_bytes - voff->placement.gpu_bytes == Approx(858e6).margin(1));
  CHECK(pon.total_bytes() - poff.total_bytes() == Approx(858e6).margin(1));
  const auto cmd = *llama_server_command(pon, on, *c.backend("llamacpp-vulkan"));
  CHECK(cmd.find(" --mmproj mmproj-model-f16.gguf ") != std::string::npos);
  CHECK(llama_server_command(poff, off, *c.backend("llamacpp-vulkan"))->find("mmproj") == std::string::npos);
  // A size the user states is for the model it was stated for.
  Scenario stated = framework();
  stated.mmproj_bytes = 600u << 20;
  stated.extras_for = c.model("llama-3.1-8b");
  CHECK(make_plan(c, *c.model("llama-3.1-8b"), FType::Q4_K_M, stated).projector_bytes == 600u << 20);
  CHECK(make_plan(c, *c.model("qwen3-32b"), FType::Q4_K_M, stated).projector_bytes == 0);
  CHECK(make_plan(c, *m, FType::Q4_K_M, stated).projector_bytes == 858000000u);
}

TEST_CASE("A draft model adds its weights, an f16 KV cache at the target's context and its buffers") {
  const auto& c = test::shipped();
  Scenario s = framework();
  s.ctx.type_k = s.ctx.type_v = GgmlType::Q8_0;  // the target's cache types; the draft keeps f16 (-ctkd)
  s.draft = c.model("qwen3-0.6b");
  const Plan p = make_plan(c, *c.model("qwen3-32b"), FType::Q4_K_M, s);
  REQUIRE(p.error.empty());
  REQUIRE(p.draft);
  // Qwen3-0.6B's config: 28 layers, 8 KV heads of 128: 28 x 2 x 1024 x 2 bytes x 32768 cells.
  CHECK(p.draft->kv.kv_bytes() == uint64_t(28) * 2 * 1024 * 2 * 32768);
  CHECK(p.draft->weights.total_bytes == model_weights(*s.draft, FType::Q8_0).total_bytes);
  Scenario none = s;
  none.draft = nullptr;
  const Plan p0 = make_plan(c, *c.model("qwen3-32b"), FType::Q4_K_M, none);
  CHECK(p.find("llamacpp-vulkan")->placement.gpu_bytes - p0.find("llamacpp-vulkan")->placement.gpu_bytes ==
        Approx(p.draft->gpu_bytes()).margin(1));
  CHECK(llama_server_command(p, s, *c.backend("llamacpp-vulkan"))->find(" -md qwen3-0.6b-Q8_0.gguf -ngld 999 ") !=
        std::string::npos);
}

TEST_CASE("llama.cpp refuses a draft whose vocabulary is more than 128 tokens off the target's") {
  const auto& c = test::shipped();
  Scenario s = framework();
  s.draft = c.model("qwen3-0.6b");                                           // 151936 tokens
  const Plan p = make_plan(c, *c.model("llama-3.1-70b"), FType::Q4_K_M, s);  // 128256
  CHECK(p.error ==
        "llama.cpp refuses Qwen3-0.6B as a draft for Llama-3.1-70B: their vocabularies (151936 and 128256 tokens) "
        "differ by more than 128");
  s.draft = c.model("llama-3.2-1b");
  CHECK(make_plan(c, *c.model("llama-3.1-70b"), FType::Q4_K_M, s).error.empty());
}

TEST_CASE("A link names published files by key, and one no model has is left out with a notice") {
  const auto& c = test::shipped();
  std::vector<Notice> n;
  ViewState s = decode_link(
      "v=1&quants=Q4_K_M,unsloth:UD-Q4_K_XL,unsloth:UD-Q9_K_XL&model=qwen3.6-35b-a3b&quant=unsloth:UD-Q4_K_XL&draft="
      "qwen3-0.5b",
      n);
  CHECK(n.empty());
  validate_state(s, c, n);
  std::vector<std::string> msgs;
  for (const auto& x : n) msgs.push_back(x.message);
  CHECK(msgs ==
        std::vector<std::string>{"no model in the catalog has a published file 'unsloth:UD-Q9_K_XL'; it was left out",
                                 "draft model 'qwen3-0.5b' is not in the catalog; no draft model is used"});
  CHECK(s.quants == std::vector<std::string>{"Q4_K_M", "unsloth:UD-Q4_K_XL"});
  CHECK(s.quant == "unsloth:UD-Q4_K_XL");
  // The key survives the link unchanged.
  std::vector<Notice> n2;
  CHECK(decode_link(encode_link(s), n2).quants == s.quants);
  CHECK(n2.empty());
}

TEST_CASE("MTP self-speculation: NextN weights, an MTP cache and rollback snapshots, as llama.cpp logs them") {
  const auto& c = test::shipped();
  const CatalogModel* m = c.model("qwen3.6-35b-a3b");
  Scenario s = framework();
  s.mtp = true;
  const Plan p = make_plan(c, *m, FType::Q4_K_M, s);
  REQUIRE(p.mtp);
  // llama.cpp v0.5.0 (node-llama-cpp 3.22.1), this model's layout loaded with load_mtp at 32768
  // tokens, one slot, f16: "llama_memory_recurrent: size = 251.25 MiB (1 cells, 40 layers, 1 seqs
  // 3 rs_seq)" and, in the MTP context, "llama_kv_cache: size = 64.00 MiB (32768 cells, 1 layers)".
  CHECK(p.kv.state_bytes == uint64_t(251.25 * 1048576));
  CHECK(p.mtp->kv.kv_bytes() == uint64_t(64) << 20);
  CHECK(p.mtp->n_rs_seq == 3);
  CHECK(p.mtp->weights_bytes == model_weights(*m, FType::Q4_K_M).nextn_bytes);
  CHECK(p.mtp->weights_bytes > 0);
  CHECK(llama_server_command(p, s, *c.backend("llamacpp-vulkan"))->find(" --spec-type draft-mtp ") !=
        std::string::npos);
  // Qwen3-Next keeps no snapshots ("0 rs_seq": llm_arch_supports_rs_rollback) and a model
  // without NextN layers has no MTP.
  const Plan next = make_plan(c, *c.model("qwen3-next-80b-a3b"), FType::Q4_K_M, s);
  REQUIRE(next.mtp);
  CHECK(next.mtp->n_rs_seq == 0);
  CHECK_FALSE(make_plan(c, *c.model("qwen3-32b"), FType::Q4_K_M, s).mtp);
}
