// The page's calls through Session, natively: the catalog is rebuilt only when custom models,
// removals or calibrations change; a custom-model list the page sends again is a new revision;
// custom models too many for a link stay in the browser with a notice; the parts follow the last
// state, also after a calibration built another catalog; GGUF parts are grouped into one model;
// the measured rows can come later.
#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "gguf_writer.h"
#include "haloplan/default_catalog.h"
#include "haloplan/view/session.h"
#include "helpers.h"

using namespace haloplan;
using haloplan::test::shipped;
using nlohmann::json;

namespace {

json model_entry(int i) {
  return {{"id", "my-model-" + std::to_string(i)},
          {"name", "My Model " + std::to_string(i)},
          {"arch", "llama"},
          {"n_layers", 24},
          {"hidden_size", 2048},
          {"n_heads", 16},
          {"n_kv_heads", 4},
          {"head_dim", 128},
          {"intermediate_size", 8192},
          {"vocab_size", 32000},
          {"max_context", 32768},
          {"tied_embeddings", true},
          {"sources", {"typed in by hand"}}};
}

json state(json custom = json::array()) {
  return {{"v", 1}, {"machine", "framework-desktop-128"}, {"ctx", 32768}, {"custom", std::move(custom)}};
}

bool has_notice(const json& r, const std::string& key, const std::string& text) {
  for (const auto& n : r["notices"])
    if (n["key"] == key && n["message"].get<std::string>().find(text) != std::string::npos) return true;
  return false;
}

size_t fit_rows_named(const json& part, const std::string& prefix) {
  size_t n = 0;
  for (const auto& row : part["fit"]["rows"])
    if (row[0].get<std::string>().rfind(prefix, 0) == 0) ++n;
  return n;
}

}  // namespace

TEST_CASE("Session: a part before any compute is empty") {
  Session s(shipped());
  CHECK(s.compute_part("fit", 0) == "{}");
  CHECK(s.catalog_builds() == 0);
}

TEST_CASE("Session: the catalog is rebuilt only when custom models, removals or calibrations change") {
  Session s(shipped());
  json st = state(json::array({model_entry(1), model_entry(2)}));
  const json r1 = json::parse(s.compute(st.dump(), false));
  CHECK(s.catalog_builds() == 1);
  CHECK(r1["custom_count"] == 2);
  CHECK(r1["state"]["custom"].empty());  // the page keeps its own list
  REQUIRE(r1.contains("info"));          // the pickers, for a catalog the page has not seen
  CHECK(fit_rows_named(json::parse(s.compute_part("fit", 0)), "my-model-") == 2);

  // A knob change with the same models: no rebuild, no pickers sent again, the models still there.
  json knob = st;
  knob.erase("custom");
  knob["ctx"] = 8192;
  const json r2 = json::parse(s.compute(knob.dump(), true));
  CHECK(s.catalog_builds() == 1);
  CHECK_FALSE(r2.contains("info"));
  CHECK(r2["custom_count"] == 2);
  CHECK(r2["state"]["ctx"] == 8192);
  CHECK(fit_rows_named(json::parse(s.compute_part("fit", 0)), "my-model-") == 2);

  // The page sends its list again (an edit, an import): a new revision, rebuilt even if equal.
  s.compute(st.dump(), false);
  CHECK(s.catalog_builds() == 2);

  // A removal and a calibration are part of the catalog too.
  knob["removed"] = {"llama-3.1-8b"};
  const json r3 = json::parse(s.compute(knob.dump(), true));
  CHECK(s.catalog_builds() == 3);
  REQUIRE(r3.contains("info"));
  bool listed = false;
  for (const auto& m : r3["info"]["models"]) listed |= m["id"] == "llama-3.1-8b";
  CHECK_FALSE(listed);
  knob["cal"] = "llamacpp-vulkan:1.1:0.9:4:4";
  s.compute(knob.dump(), true);
  CHECK(s.catalog_builds() == 4);
  s.compute(knob.dump(), true);
  CHECK(s.catalog_builds() == 4);
}

TEST_CASE("Session: custom models too many for a link stay in the browser, with a notice") {
  Session s(shipped());
  // Notes of pseudo-random letters, so the link's compression cannot fold the models into a short
  // link (about 400 KB of JSON).
  json many = json::array();
  uint32_t x = 2463534242u;
  for (int i = 0; i < 3000; ++i) {
    json m = model_entry(i);
    std::string notes;
    for (int k = 0; k < 100; ++k) {
      x ^= x << 13, x ^= x >> 17, x ^= x << 5;  // xorshift32
      notes += char('a' + x % 26);
    }
    m["notes"] = notes;
    many.push_back(m);
  }
  const json r = json::parse(s.compute(state(many).dump(), false));
  CHECK(r["custom_count"] == 3000);
  CHECK(has_notice(r, "link", "3000 custom models are too many for a link"));
  const std::string link = r["link"];
  CHECK(link.find("custom=") == std::string::npos);
  CHECK(link.size() <= kMaxLinkBytes);
  // The same models on the next change: the same policy, still without them in the link.
  json knob = state();
  knob.erase("custom");
  knob["ctx"] = 4096;
  const json again = json::parse(s.compute(knob.dump(), true));
  CHECK(has_notice(again, "link", "too many for a link"));
  CHECK(again["link"].get<std::string>().find("ctx=4096") != std::string::npos);

  // A few models fit: the link carries them and decodes back to the same list.
  const json few = json::parse(s.compute(state(json::array({model_entry(7)})).dump(), false));
  CHECK_FALSE(has_notice(few, "link", "too many"));
  const json decoded = json::parse(s.decode_link(few["link"].get<std::string>()));
  REQUIRE(decoded["state"]["custom"].size() == 1);
  CHECK(decoded["state"]["custom"][0]["id"] == "my-model-7");
}

TEST_CASE("Session: the parts follow the last state after a calibration built another catalog") {
  Session s(shipped());
  s.compute(state(json::array({model_entry(3)})).dump(), false);
  const std::string before = s.compute_part("fit", 5);
  const size_t builds = s.catalog_builds();
  const std::string bench =
      "| model | size | params | backend | ngl | test | t/s |\n"
      "| --- | ---: | ---: | --- | --: | ---: | ---: |\n"
      "| llama 8B Q4_K - Medium | 4.58 GiB | 8.03 B | Vulkan | 99 | tg128 | 40.00 ± 0.1 |\n";
  const json cal = json::parse(s.calibrate(state().dump(), bench, "llamacpp-vulkan"));
  CHECK(cal["cal"].is_string());
  CHECK(s.catalog_builds() == builds + 1);
  CHECK(s.compute_part("fit", 5) == before);  // the last state's catalog, built again
  CHECK(s.catalog_builds() == builds + 2);
  CHECK(s.compute_part("nonsense", 5) == "{}");
}

TEST_CASE("Session: GGUF parts of one model are read in steps and grouped") {
  Session s(shipped());
  const CatalogModel& m = *shipped().model("llama-3.2-1b");
  std::vector<test::GgufFile> parts;
  for (int i = 0; i < 3; ++i) parts.push_back(test::write_gguf(m, FType::Q4_K_M, true, i, 3));
  const std::string names[] = {"Llama-3.2-1B-Q4_K_M-00001-of-00003.gguf", "Llama-3.2-1B-Q4_K_M-00002-of-00003.gguf",
                               "Llama-3.2-1B-Q4_K_M-00003-of-00003.gguf"};
  // A prefix too short for the header asks for more bytes.
  const json need = json::parse(s.gguf_add(names[0], parts[0].bytes.substr(0, 16), parts[0].bytes.size()));
  CHECK(need["status"] == "need");
  CHECK(need["need"].get<uint64_t>() > 16);
  for (int i = 0; i < 2; ++i)
    CHECK(json::parse(s.gguf_add(names[i], parts[i].bytes, parts[i].bytes.size()))["status"] == "ok");
  const json missing = json::parse(s.gguf_finish());
  CHECK(missing["models"].empty());
  REQUIRE(missing["errors"].size() == 1);
  CHECK(missing["errors"][0].get<std::string>().find(names[0] + ": part 3 of 3 is missing") == 0);
  for (int i = 0; i < 3; ++i) s.gguf_add(names[i], parts[i].bytes, parts[i].bytes.size());
  const json done = json::parse(s.gguf_finish());
  REQUIRE(done["models"].size() == 1);
  CHECK(done["models"][0]["id"] == "llama-3.2-1b-q4-k-m");
  uint64_t weights = 0;
  for (const auto& p : parts) weights += p.weight_bytes;
  CHECK(done["models"][0]["gguf"]["weights_bytes"] == weights);
  CHECK(json::parse(s.gguf_finish())["models"].empty());  // finish forgets the headers
  const json bad = json::parse(s.gguf_add("x.gguf", "not a gguf file", 15));
  CHECK(bad["status"] == "error");
}

// The page's wasm starts without the measured rows and is handed data/measured.json on first use:
// its evidence is then the evidence of a session that had them from the start.
TEST_CASE("Session: measured rows added later give the evidence of the full catalog") {
  Catalog lean;
  REQUIRE_FALSE(has_errors(load_default_catalog_without_measured(lean)));
  Session late(std::move(lean));
  Session full(shipped());
  json st = state();
  st["model"] = "qwen2.5-7b";
  st["backend"] = "llamacpp-vulkan";
  late.compute(st.dump(), false);
  full.compute(st.dump(), false);
  CHECK_FALSE(late.has_measured());
  const json before = json::parse(late.compute_part("evidence", 0))["evidence"];
  REQUIRE(before.is_object());
  CHECK(before["near_decode"].empty());
  const json want = json::parse(full.compute_part("evidence", 0))["evidence"];
  REQUIRE(want["near_decode"].size() > 0);

  // A broken file is refused with its place, and nothing is kept.
  const json bad = json::parse(late.add_measured("{\"schema\": \"haloplan-measured\", \"version\": 1, \"rows\": 3}"));
  REQUIRE(bad.size() > 0);
  CHECK(bad[0]["path"].get<std::string>().rfind("measured.json", 0) == 0);
  CHECK_FALSE(late.has_measured());
  CHECK(json::parse(late.add_measured("not json")).size() > 0);
  CHECK_FALSE(late.has_measured());

  std::ifstream in(std::string(HALOPLAN_FIXTURES) + "/../../data/measured.json");
  std::stringstream text;
  text << in.rdbuf();
  const json ok = json::parse(late.add_measured(text.str()));
  for (const auto& d : ok) CHECK_FALSE(d["error"].get<bool>());
  CHECK(late.has_measured());
  CHECK(json::parse(late.compute_part("evidence", 0))["evidence"] == want);
  // A catalog built later (custom models) keeps the rows.
  st["custom"] = json::array({model_entry(9)});
  late.compute(st.dump(), false);
  full.compute(st.dump(), false);
  const std::string after = late.compute_part("evidence", 0);
  CHECK(json::parse(after)["evidence"]["near_decode"].size() > 0);
  CHECK(after == full.compute_part("evidence", 0));
}
