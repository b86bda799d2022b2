// The page's state: link codecs, links that round-trip, tampered links, custom models.
#include <catch2/catch.hpp>
#include <cstdio>

#include "haloplan/text/codec.h"
#include "haloplan/view/exports.h"
#include "haloplan/view/tables.h"
#include "haloplan/view/view.h"
#include "helpers.h"

using namespace haloplan;
using haloplan::test::shipped;

namespace {
bool has_notice(const std::vector<Notice>& n, const std::string& key, const std::string& text) {
  for (const auto& x : n)
    if (x.key == key && x.message.find(text) != std::string::npos) return true;
  return false;
}
const char* kModel = R"({"id":"my-model","name":"My Model","arch":"llama","n_layers":24,"hidden_size":2048,
  "n_heads":16,"n_kv_heads":4,"head_dim":128,"intermediate_size":8192,"vocab_size":32000,
  "max_context":32768,"tied_embeddings":true,"sources":["typed in by hand"]})";
}  // namespace

TEST_CASE("LZ round-trips the shipped catalog and shrinks it") {
  const std::string text(embedded::models_json());
  const std::string packed = lz_compress(text);
  CHECK(packed.size() < text.size() / 2);
  auto back = lz_decompress(packed, text.size());
  REQUIRE(back);
  CHECK(*back == text);
  CHECK_FALSE(lz_decompress(packed, text.size() - 1));  // output limit enforced
  for (size_t cut : {size_t(0), size_t(1), packed.size() / 2, packed.size() - 1})
    CHECK_FALSE(lz_decompress(packed.substr(0, cut), 1 << 20));
  CHECK(lz_decompress(lz_compress(""), 10) == std::string());
  CHECK(lz_decompress(lz_compress("aaaaaaaaaaaaaaaaaaaaaaaaaaaaab"), 100) ==
        std::string("aaaaaaaaaaaaaaaaaaaaaaaaaaaaab"));
  // A match reaching back before the start of the output is refused.
  CHECK_FALSE(lz_decompress(std::string("\x01"
                                        "a"
                                        "\x05"
                                        "\x09"
                                        "\x00",
                                        5),
                            100));
}

TEST_CASE("base64url and percent-encoding round-trip and refuse garbage") {
  const std::string bytes("\x00\xff\x10 hello {\"json\"}", 18);
  CHECK(base64url_decode(base64url_encode(bytes)) == bytes);
  CHECK(base64url_encode("\xfb\xff") == "-_8");
  CHECK_FALSE(base64url_decode("ab+c"));
  CHECK_FALSE(base64url_decode("a"));
  CHECK(percent_encode("a b&c=d#{}") == "a%20b%26c%3Dd%23%7B%7D");
  CHECK(percent_decode("a%20b%26c") == std::string("a b&c"));
  CHECK_FALSE(percent_decode("50%"));
  CHECK_FALSE(percent_decode("%zz"));
}

TEST_CASE("a view round-trips through its link with readable keys") {
  ViewState s;
  s.machine = "framework-desktop-64";
  s.carve_out_gib = 32;
  s.gtt_gib = 40.5;
  s.kernel = "6.8";
  s.backend = "llamacpp-rocm";
  s.ctx = 131072;
  s.type_k = "q8_0";
  s.type_v = "q8_0";
  s.slots = 4;
  s.quants = {"Q8_0", "Q4_K_M"};
  s.model = "qwen3-30b-a3b";
  s.quant = "Q8_0";
  s.filter = "qwen & co";
  s.sort = "total";
  s.desc = true;
  s.removed = {"llama-3.1-8b"};
  const std::string link = encode_link(s);
  CHECK(link.rfind("v=1&machine=framework-desktop-64&carve=32&gtt=40.5&", 0) == 0);
  CHECK(link.find("&ctx=131072&ktype=q8_0&vtype=q8_0&slots=4&") != std::string::npos);
  CHECK(link.find("filter=qwen%20%26%20co") != std::string::npos);
  std::vector<Notice> n;
  const ViewState r = decode_link("#" + link, n);
  CHECK(n.empty());
  CHECK(state_to_json(r) == state_to_json(s));
  // The JSON form carries the same state.
  std::vector<Notice> n2;
  CHECK(state_to_json(state_from_json(state_to_json(s).dump(), n2)) == state_to_json(s));
  CHECK(n2.empty());
}

TEST_CASE("custom models travel in the link, compressed only when that is shorter") {
  ViewState s;
  s.custom = nlohmann::json::array({nlohmann::json::parse(kModel)});
  std::string link = encode_link(s);
  const auto at = link.find("&custom=");
  REQUIRE(at != std::string::npos);
  const std::string value = link.substr(at + 8);
  const std::string plain = "j:" + percent_encode(s.custom.dump());
  const bool compressed = value.rfind("z:", 0) == 0;
  CHECK(value.size() <= plain.size());
  CHECK(compressed);  // a whole model compresses well
  std::vector<Notice> n;
  CHECK(decode_link(link, n).custom == s.custom);
  CHECK(n.empty());
  // Whichever form is shorter is chosen, for small and large entries alike.
  for (const auto& custom : {nlohmann::json::array({nlohmann::json{{"id", "x"}}}), nlohmann::json::array({1})}) {
    s.custom = custom;
    link = encode_link(s);
    const std::string v = link.substr(link.find("&custom=") + 8);
    const std::string j = "j:" + percent_encode(custom.dump());
    const std::string z = "z:" + base64url_encode(lz_compress(custom.dump()));
    CHECK(v == (z.size() < j.size() ? z : j));
    CHECK(decode_link(link, n).custom == custom);
  }
}

TEST_CASE("a link longer than its limit is refused before it is all encoded") {
  // Many distinct models: their link is long in either form.
  ViewState s;
  s.custom = nlohmann::json::array();
  for (int i = 0; i < 400; ++i) {
    auto m = nlohmann::json::parse(kModel);
    m["id"] = "model-" + std::to_string(i * 7919 % 100003);
    m["name"] = "Model " + std::to_string(i * 104729 % 1000003);
    m["n_layers"] = 8 + i % 50;
    s.custom.push_back(m);
  }
  const std::string full = encode_link(s);
  REQUIRE(full.size() > 10000);
  CHECK(encode_link(s, full.size()) == full);
  CHECK_FALSE(encode_link(s, full.size() - 1));
  CHECK_FALSE(encode_link(s, 1000));
  // The compressor gives up as soon as its stream passes the limit, and only then.
  const std::string text = s.custom.dump();
  const std::string packed = lz_compress(text);
  CHECK(lz_compress(text, packed.size()) == packed);
  CHECK_FALSE(lz_compress(text, packed.size() - 1));
  CHECK_FALSE(lz_compress(text, 100));
}

TEST_CASE("a tampered link keeps what it can and says what it dropped") {
  ViewState good;
  good.custom = nlohmann::json::array({nlohmann::json::parse(kModel)});
  const std::string link = encode_link(good);
  std::vector<Notice> n;
  const ViewState truncated = decode_link(link.substr(0, link.size() - 7), n);
  CHECK(has_notice(n, "custom", "left out"));
  CHECK(truncated.custom.empty());
  CHECK(truncated.ctx == 32768);

  n.clear();
  const ViewState s = decode_link("v=7&ctx=lots&slots=0&ktype=q6_k&gtt=-3&fa=maybe&zzz=1&carve=%zz&ctx2", n);
  CHECK(has_notice(n, "v", "newer haloplan (link version 7)"));
  CHECK(has_notice(n, "ctx", "got 'lots'; the default is used"));
  CHECK(has_notice(n, "slots", "from 1 to 256, got '0'"));
  CHECK(has_notice(n, "ktype", "'q6_k' is not a KV cache type"));
  CHECK(has_notice(n, "gtt", "got '-3'"));
  CHECK(has_notice(n, "fa", "got 'maybe'"));
  CHECK(has_notice(n, "zzz", "unknown link part"));
  CHECK(has_notice(n, "carve", "broken %-escape"));
  CHECK(s.ctx == 32768);
  CHECK(s.slots == 1);
  CHECK(s.flash_attn);
  CHECK_FALSE(s.gtt_gib);

  n.clear();
  decode_link("ctx=4096", n);
  CHECK(has_notice(n, "v", "no version"));
  n.clear();
  decode_link(std::string(kMaxLinkBytes + 1, 'a'), n);
  CHECK(has_notice(n, "link", "longer than"));
}

TEST_CASE("impossible knob values are named, with what is used instead") {
  std::vector<Notice> n;
  ViewState s;
  s.model = "llama-3.1-8b";
  s.carve_out_gib = 48;  // the Framework Desktop's BIOS offers 0.5, 4, 8, 16, 32 and 64 GiB
  s.gtt_gib = 200;       // more than the 128 GB box has
  s.ctx = 1000000;       // Llama 3.1 is trained for 131072 tokens
  validate_state(s, shipped(), n);
  CHECK(has_notice(n, "carve", "a carve-out of 48 GiB is not one of the BIOS options"));
  CHECK(has_notice(n, "carve", "32 GiB is used"));
  CHECK(s.carve_out_gib == 32);
  // 128 - 32 GiB of carve-out leaves the OS 96 GiB; the kernel caps GTT there.
  CHECK(has_notice(n, "gtt", "a GTT limit of 200 GiB is more than the 96 GiB the OS sees"));
  CHECK(s.gtt_gib == 96);
  CHECK(has_notice(n, "ctx", "a context of 1000000 tokens is more than Llama-3.1-8B was trained for (131072)"));
  CHECK(s.ctx == 131072);
  // The values a BIOS and a kernel can have pass without a word.
  std::vector<Notice> quiet;
  ViewState ok;
  ok.carve_out_gib = 0.5;
  ok.gtt_gib = 120;
  validate_state(ok, shipped(), quiet);
  CHECK(quiet.empty());
}

TEST_CASE("validation replaces what the catalog cannot satisfy") {
  std::vector<Notice> n;
  ViewState s;
  s.machine = "pc-9000";
  s.backend = "llamacpp-metal";
  s.model = "nope";
  s.carve_out_gib = 500;
  validate_state(s, shipped(), n);
  CHECK(s.machine == "framework-desktop-128");
  CHECK(s.backend == "llamacpp-vulkan");  // Metal does not run on the Framework
  // The machine's usual model (machines.json focus_model), in the format it is released in.
  CHECK(s.model == "gpt-oss-120b");
  CHECK(s.quant == "MXFP4_MOE");
  CHECK_FALSE(s.carve_out_gib);
  CHECK(has_notice(n, "machine", "unknown machine 'pc-9000'"));
  CHECK(has_notice(n, "backend", "does not run on"));
  CHECK(has_notice(n, "model", "'nope' is not in the catalog"));
  CHECK(has_notice(n, "carve", "leaves nothing"));
}

TEST_CASE("the llama.cpp build a user runs: one family per engine, in the link and the catalog") {
  std::vector<Notice> n;
  ViewState s = decode_link("v=1&builds=rocm-2025,vulkan-amdvlk", n);
  CHECK(n.empty());
  CHECK(s.builds == std::vector<std::string>{"rocm-2025", "vulkan-amdvlk"});
  CHECK(encode_link(s).find("builds=rocm-2025,vulkan-amdvlk") != std::string::npos);
  const Catalog c = apply_custom(shipped(), s, n);
  auto family = [&](const char* id) {
    return *std::find_if(shipped().speed_families.begin(), shipped().speed_families.end(),
                         [&](const SpeedFamily& f) { return f.id == id; });
  };
  // llama.cpp's own backends take the named family's fitted parameters and bands...
  CHECK(c.backend("llamacpp-rocm")->speed_family == "rocm-2025");
  CHECK(c.backend("llamacpp-rocm")->speed.prefill == family("rocm-2025").params.prefill);
  CHECK(c.backend("llamacpp-rocm")->speed.prefill_lo == family("rocm-2025").params.prefill_lo);
  CHECK(c.backend("llamacpp-vulkan")->speed.decode == family("vulkan-amdvlk").params.decode);
  // ...Ollama's runners keep theirs (their factor is measured against the default build), and the
  // shipped catalog is untouched.
  CHECK(c.backend("ollama-rocm")->speed_family == "rocm");
  CHECK(shipped().backend("llamacpp-rocm")->speed_family == "rocm");
  // The default of each engine is the newest family with data: 2026 ROCm builds, RADV.
  CHECK(shipped().backend("llamacpp-rocm")->default_speed_family == "rocm");
  CHECK(shipped().backend("llamacpp-vulkan")->default_speed_family == "vulkan-radv");

  // Refused: an unknown family, a second build of one engine, a malformed id.
  ViewState bad = decode_link("v=1&builds=rocm-1999,rocm-rocblas,rocm", n);
  validate_state(bad, shipped(), n);
  CHECK(bad.builds == std::vector<std::string>{"rocm-rocblas"});
  CHECK(has_notice(n, "builds", "unknown or uncalibrated build family 'rocm-1999'; known: vulkan-radv"));
  CHECK(has_notice(n, "builds", "a second rocm build 'rocm'; the first one named is used"));
  std::vector<Notice> m;
  CHECK(decode_link("v=1&builds=rocm%20x", m).builds.empty());
  CHECK(has_notice(m, "builds", "'rocm x' is not a valid speed family id"));
}

TEST_CASE("custom models: a broken entry is left out, the others are used") {
  ViewState s;
  auto bad = nlohmann::json::parse(kModel);
  bad["id"] = "broken";
  bad["n_layers"] = -1;
  s.custom = nlohmann::json::array({bad, nlohmann::json::parse(kModel)});
  s.removed = {"llama-3.1-8b"};
  std::vector<Notice> n;
  const Catalog c = apply_custom(shipped(), s, n);
  CHECK(c.model("my-model"));
  CHECK_FALSE(c.model("broken"));
  CHECK_FALSE(c.model("llama-3.1-8b"));
  CHECK(c.models.size() == shipped().models.size());
  CHECK(has_notice(n, "custom", "custom[0].n_layers: value -1 is out of range"));
  CHECK(shipped().model("llama-3.1-8b"));  // the shipped catalog is untouched
}

TEST_CASE("the view computes every table for the focused model") {
  std::vector<Notice> n;
  ViewState s;
  s.model = "gpt-oss-120b";
  s.quant = "MXFP4_MOE";
  s.quants = {"Q4_K_M", "MXFP4_MOE"};
  validate_state(s, shipped(), n);
  const auto v = compute_view(s, shipped());
  CHECK(v["fit"]["rows"].size() == 2 * shipped().models.size());
  CHECK(v["fit"]["data"].size() == 2 * shipped().models.size());
  CHECK(v["focus"]["model"] == "gpt-oss-120b");
  const auto& pts = v["focus"]["curve"]["points"];
  REQUIRE(pts.size() == 33);
  CHECK(pts[0][1].get<double>() > pts[32][1].get<double>());  // slower with a full context
  // The axis reaches the trained context (131072: it fits all the way on the 128 GB box).
  CHECK(pts[32][0] == 131072);
  CHECK(v["setup"].size() == 3);
  // The raw numbers behind a row agree with its printed cells.
  const auto& row = v["fit"]["rows"][0];
  const auto& data = v["fit"]["data"][0];
  CHECK(row[0] == data["model"]);
  CHECK(row[2].get<std::string>() == gib(data["weights"].get<double>()));
  // The focused model's bytes read per token are the speed table's "read/token GB" for its row.
  bool found = false;
  for (const auto& r : v["speed"]["rows"]) {
    if (r[0] != "gpt-oss-120b" || r[1] != "MXFP4_MOE") continue;
    found = true;
    char text[32];
    std::snprintf(text, sizeof text, "%.2f", v["focus"]["read_bytes"].get<double>() / 1e9);
    CHECK(r[4].get<std::string>() == text);
  }
  CHECK(found);
}

TEST_CASE("each table part of the view is computed on its own, as in the whole view") {
  std::vector<Notice> n;
  ViewState s;
  s.ctx = 65536;
  s.quants = {"Q4_K_M", "Q8_0"};
  validate_state(s, shipped(), n);
  const auto whole = compute_view(s, shipped());
  for (const char* part : kViewParts) {
    JsonOut o;
    o.obj();
    REQUIRE(write_view_part(o, part, s, shipped()));
    o.end_obj();
    const auto j = nlohmann::json::parse(o.text());
    CHECK(j.size() == 1);
    CHECK(j[part] == whole[part]);
  }
  JsonOut none;
  CHECK_FALSE(write_view_part(none, "nonsense", s, shipped()));
  CHECK(none.text().empty());
  JsonOut head;
  head.obj();
  write_view_head(head, s, shipped());
  head.end_obj();
  const auto h = nlohmann::json::parse(head.text());
  CHECK(h["focus"] == whole["focus"]);
  CHECK_FALSE(h.contains("fit"));
}

TEST_CASE("the fit part comes filtered, sorted and cut to the rows the page shows") {
  std::vector<Notice> n;
  ViewState s;
  s.quants = {"Q4_K_M", "Q8_0"};
  s.filter = "  QWEN3 ";
  s.sort = "total GiB";
  s.desc = true;
  validate_state(s, shipped(), n);
  auto part = [&](const char* name, size_t rows) {
    JsonOut o;
    o.obj();
    REQUIRE(write_view_part(o, name, s, shipped(), rows));
    return nlohmann::json::parse(o.end_obj().text())[name];
  };
  const auto all = part("fit", 0);
  size_t qwen = 0, release_rows = 0;  // each model at both quants, plus its release format if another
  for (const auto& m : shipped().models) {
    qwen += m.id.find("qwen3") != std::string::npos ? 2 : 0;
    release_rows += m.release_quant && *m.release_quant != FType::Q4_K_M && *m.release_quant != FType::Q8_0;
  }
  REQUIRE(qwen > 3);
  REQUIRE(release_rows == 2);  // gpt-oss-20b and -120b in MXFP4_MOE
  CHECK(all["matching"] == qwen);
  CHECK(all["total"] == shipped().models.size() * 2 + release_rows);
  REQUIRE(all["rows"].size() == qwen);
  for (size_t i = 1; i < qwen; ++i)
    CHECK(std::stod(all["rows"][i - 1][7].get<std::string>()) >= std::stod(all["rows"][i][7].get<std::string>()));
  for (size_t i = 0; i < qwen; ++i) CHECK(all["data"][i]["model"] == all["rows"][i][0]);
  const auto three = part("fit", 3);
  CHECK(three["matching"] == qwen);
  REQUIRE(three["rows"].size() == 3);
  for (size_t i = 0; i < 3; ++i) CHECK(three["rows"][i] == all["rows"][i]);
  // Without a sort the rows keep catalog order; the speed table is cut the same way.
  s.sort.clear();
  const auto plain = part("fit", 2);
  CHECK(plain["rows"][0][0].get<std::string>().find("qwen3") != std::string::npos);
  const auto speed = part("speed", 5);
  CHECK(speed["rows"].size() == 5);
  CHECK(speed["total"] == shipped().models.size() * 2 + release_rows);
}

TEST_CASE("the llama-server command matches the plan") {
  std::vector<Notice> n;
  ViewState s;
  s.model = "qwen3-30b-a3b";
  s.quant = "Q8_0";
  s.ctx = 32768;
  s.slots = 2;
  s.type_k = "q8_0";
  s.type_v = "q8_0";
  validate_state(s, shipped(), n);
  const Scenario sc = scenario_for(s, shipped());
  const Plan p = make_plan(shipped(), *shipped().model("qwen3-30b-a3b"), FType::Q8_0, sc);
  CHECK(llama_server_command(p, sc, *shipped().backend("llamacpp-vulkan")) ==
        "llama-server -m qwen3-30b-a3b-Q8_0.gguf -c 32768 -np 2 --kv-unified -ctk q8_0 -ctv q8_0 -fa on -ngl 999 "
        "--no-mmap");
  CHECK_FALSE(llama_server_command(p, sc, *shipped().backend("vllm-rocm")));
  // A discrete GPU keeps mmap; defaults add no cache-type flags.
  ViewState d;
  d.machine = "desktop-rtx-4090";
  d.flash_attn = false;
  validate_state(d, shipped(), n);
  const Scenario dsc = scenario_for(d, shipped());
  const Plan dp = make_plan(shipped(), *shipped().model("llama-3.1-8b"), FType::Q4_K_M, dsc);
  CHECK(llama_server_command(dp, dsc, *shipped().backend("llamacpp-cuda")) ==
        "llama-server -m llama-3.1-8b-Q4_K_M.gguf -c 32768 -fa off -ngl 999");
}

TEST_CASE("deep links: a bare section id, or at= beside the scenario") {
  std::vector<Notice> n;
  ViewState s = decode_link("#guide-gtt", n);
  CHECK(n.empty());
  CHECK(s.section == "guide-gtt");
  CHECK(s.ctx == 32768);
  s.ctx = 8192;
  const std::string link = encode_link(s);
  CHECK(link.find("&at=guide-gtt") != std::string::npos);
  CHECK(decode_link(link, n).section == "guide-gtt");
  CHECK(n.empty());
}

TEST_CASE("a table survives its JSON form; malformed tables are refused") {
  Table t;
  t.title = "T";
  t.headers = {"a", "b"};
  t.rows = {{"1", "x|y"}, {"2", "z"}};
  t.notes = {"n"};
  auto back = table_from_json(table_json(t));
  REQUIRE(back);
  CHECK(back->render(Format::Markdown) == t.render(Format::Markdown));
  CHECK(back->render(Format::Csv) == "a,b\n1,x|y\n2,z\n");
  auto bad = table_json(t);
  bad["rows"][0].push_back("extra");
  CHECK_FALSE(table_from_json(bad));
  CHECK_FALSE(table_from_json(nlohmann::json::array()));
}

TEST_CASE("only what fits, and the speed table sorted by any column") {
  std::vector<Notice> n;
  ViewState s;
  s.fits_only = true;
  validate_state(s, shipped(), n);
  const auto v = compute_view(s, shipped());
  // DeepSeek-V3 and Kimi-K2 at Q4_K_M are files of several hundred GB: they cannot load on a
  // 128 GB box, so neither table lists them; every fit row fits on some backend.
  for (const char* part : {"fit", "speed"})
    for (const auto& r : v[part]["rows"]) {
      CHECK(r[0] != "deepseek-v3");
      CHECK(r[0] != "kimi-k2");
    }
  REQUIRE(v["fit"]["data"].size() > 10);
  for (const auto& d : v["fit"]["data"]) {
    bool any = false;
    for (const auto& [id, x] : d["verdicts"].items()) any = any || x["verdict"] == "carve-out" || x["verdict"] == "gtt";
    CHECK(any);
  }
  CHECK(v["fit"]["matching"] == v["fit"]["data"].size());
  CHECK(v["fit"]["total"].get<double>() > v["fit"]["matching"].get<double>());
  for (const auto& r : v["speed"]["rows"]) CHECK(r[2].get<std::string>().rfind("no fit", 0) != 0);

  // Sorted by decode speed, fastest first: each figure (before its band) is at most the last.
  ViewState t;
  t.sort = "decode t/s @0";
  t.desc = true;
  validate_state(t, shipped(), n);
  const auto w = compute_view(t, shipped());
  double last = 1e9;
  for (const auto& r : w["speed"]["rows"]) {
    const double x = std::stod(r[5].get<std::string>());
    CHECK(x <= last);
    last = x;
  }
}

TEST_CASE("Ollama and vLLM launch lines carry the scenario, and a published file by its name") {
  std::vector<Notice> n;
  ViewState s;
  s.model = "qwen3.6-35b-a3b";
  s.quant = "unsloth:UD-Q4_K_XL";
  s.ctx = 65536;
  validate_state(s, shipped(), n);
  REQUIRE(n.empty());
  const CatalogModel& m = *shipped().model("qwen3.6-35b-a3b");
  const PublishedFile* f = m.published("unsloth:UD-Q4_K_XL");
  REQUIRE(f);
  const Scenario sc = with_file(scenario_for(s, shipped()), f);
  const Plan p = make_plan(shipped(), m, f->mix, sc);
  const auto ollama = launch_command(p, sc, *shipped().backend("ollama"));
  REQUIRE(ollama);
  CHECK(ollama->rfind("OLLAMA_VULKAN=1 OLLAMA_CONTEXT_LENGTH=65536 OLLAMA_FLASH_ATTENTION=1 ollama serve &\n", 0) == 0);
  CHECK(ollama->find("ollama run hf.co/" + f->repo + ":UD-Q4_K_XL") != std::string::npos);
  // The ROCm runner needs no Vulkan opt-in.
  CHECK(launch_command(p, sc, *shipped().backend("ollama-rocm"))->rfind("OLLAMA_CONTEXT_LENGTH=65536", 0) == 0);
  const auto vllm = launch_command(p, sc, *shipped().backend("vllm-rocm"));
  REQUIRE(vllm);
  CHECK(vllm->find("--max-model-len 65536 --max-num-seqs 1 --gpu-memory-utilization 0.90") != std::string::npos);
  CHECK(vllm->find("--tokenizer Qwen/") != std::string::npos);
}
