// The bad-input suite (tests/fixtures/bad_input.json) through the core: each catalog file, link
// and GGUF header gives exactly its case's messages, and the catalog the user had is unchanged.
#include <catch2/catch.hpp>

#include "bad_input.h"
#include "haloplan/catalog/gguf_import.h"
#include "haloplan/view/view.h"
#include "helpers.h"

using namespace haloplan;
using haloplan::test::shipped;

namespace {

const nlohmann::json& cases() {
  static const nlohmann::json j = test::fixture("bad_input.json");
  return j;
}

// What a user would notice changing: every model's identity, shape, notes and sources.
std::vector<std::string> fingerprint(const Catalog& c) {
  std::vector<std::string> f;
  for (const auto& m : c.models)
    f.push_back(m.id + "|" + m.name + "|" + std::to_string(m.arch.n_layer) + "|" + std::to_string(m.arch.n_embd) + "|" +
                m.notes + "|" + std::to_string(m.sources.size()));
  return f;
}

// The shipped catalog plus the suite's saved user models: the state every case must leave alone.
Catalog saved_state() {
  Catalog c = shipped();
  const auto d = merge_models(
      nlohmann::json{{"schema", "haloplan-models"}, {"version", 1}, {"models", cases()["saved"]}}.dump(), c);
  if (has_errors(d)) throw std::runtime_error("the suite's saved models do not load: " + d.front().text());
  return c;
}

}  // namespace

TEST_CASE("bad-input suite: every catalog file gets its exact errors and changes nothing") {
  const Catalog before = saved_state();
  REQUIRE(before.model("my-8b"));
  REQUIRE(cases()["catalog"].size() >= 40);
  for (const auto& k : cases()["catalog"]) {
    INFO("case " << k["name"].get<std::string>());
    Catalog c = before;
    std::vector<std::string> errors;
    for (const auto& d : merge_models(test::case_text(k), c))
      if (d.error) errors.push_back(d.path.empty() ? d.message : d.path + ": " + d.message);
    CHECK(errors == k["errors"].get<std::vector<std::string>>());
    CHECK(fingerprint(c) == fingerprint(before));
  }
}

TEST_CASE("bad-input suite: every tampered link gets its exact notices and keeps the defaults") {
  const ViewState defaults;
  REQUIRE(cases()["link"].size() >= 15);
  for (const auto& k : cases()["link"]) {
    INFO("case " << k["name"].get<std::string>());
    std::vector<Notice> n;
    const ViewState s = decode_link(test::case_text(k), n);
    std::vector<std::string> messages;
    for (const auto& x : n) messages.push_back(x.message);
    CHECK(messages == k["notices"].get<std::vector<std::string>>());
    // What the link could not say stays at the default.
    CHECK(s.ctx == defaults.ctx);
    CHECK(s.slots == defaults.slots);
    CHECK(s.custom.empty());
    CHECK(s.cal.empty());
  }
}

TEST_CASE("bad-input suite: every damaged GGUF header gets its exact error") {
  REQUIRE(cases()["gguf"].size() >= 12);
  for (const auto& k : cases()["gguf"]) {
    INFO("case " << k["name"].get<std::string>());
    const std::string b = test::case_gguf(k, shipped());
    const auto r = parse_gguf({reinterpret_cast<const uint8_t*>(b.data()), b.size()}, b.size());
    CHECK(r.status == GgufParse::Status::Error);
    CHECK(r.error == k["error"].get<std::string>());
  }
}
