// The core's JSON reader and decimal conversion. nlohmann's own parser and the C library's strtod
// are the oracles: the reader must build the same values they do, accept what they accept (except
// repeated keys and deep nesting, which it refuses on purpose) and reject what they reject.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "haloplan/text/decimal.h"
#include "haloplan/text/json_parse.h"

using namespace haloplan;
using nlohmann::json;

namespace {

std::optional<json> read(std::string_view text, std::string* message = nullptr) {
  std::vector<Diagnostic> d;
  auto j = detail::parse_json(text, d, "the text");
  if (message) *message = d.empty() ? "" : (d[0].path.empty() ? "" : d[0].path + ": ") + d[0].message;
  return j;
}

std::string file_text(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

double strtod_of(std::string_view s) { return std::strtod(std::string(s).c_str(), nullptr); }

}  // namespace

TEST_CASE("the JSON reader builds the same values as nlohmann's parser") {
  const std::string data = HALOPLAN_FIXTURES "/../../data/";
  for (const char* name : {"models.json", "machines.json", "backends.json", "setup.json", "guide.json"}) {
    INFO(name);
    const std::string text = file_text(data + name);
    REQUIRE(text.size() > 500);
    const auto mine = read(text);
    REQUIRE(mine);
    CHECK(*mine == json::parse(text));
    CHECK(mine->dump() == json::parse(text).dump());
  }
  const std::string all_kinds = R"( {"s": "a\"b\\c\/d\b\f\n\r\t\u00e9\u20AC\ud83d\ude00 é", "n": [0, -0, 1, -1,
    18446744073709551615, -9223372036854775808, 18446744073709551616, -9223372036854775809, 1.5, -2.5e-3,
    1E2, 1e+2, 0.1, 123456789012345678901234567890, 4.9406564584124654e-324, 1.7976931348623157e308],
    "b": [true, false, null], "o": {}, "a": [], "nested": [[{"x": [{}]}]]} )";
  const auto mine = read(all_kinds);
  REQUIRE(mine);
  const json theirs = json::parse(all_kinds);
  CHECK(*mine == theirs);
  CHECK(mine->dump() == theirs.dump());
  // Integers stay integers while 64 bits hold them, signed or not, as nlohmann keeps them.
  const auto& n = (*mine)["n"];
  for (size_t i = 0; i < n.size(); ++i) {
    INFO(i << ": " << n[i].dump());
    CHECK(n[i].type() == theirs["n"][i].type());
  }
  // A byte order mark before the text is skipped, as nlohmann's reader does.
  CHECK(read("\xEF\xBB\xBF{\"a\": 1}") == json{{"a", 1}});
}

TEST_CASE("the JSON reader names each problem with its line, column and path") {
  struct Case {
    const char* text;
    const char* path;
    const char* message;
  };
  const Case cases[] = {
      {"", "", "line 1, column 1: the text is empty"},
      {"  \n ", "", "line 2, column 2: the text is empty"},
      {"{\"a\": [1, 2,]}", "a[2]", "line 1, column 13: unexpected ']' where a value was expected"},
      {"{\"a\": 1,}", "a", "line 1, column 9: expected a key in double quotes, found '}'"},
      {"{\"a\" 1}", "a", "line 1, column 6: expected ':' after the key, found '1'"},
      {"{\"a\": 1 \"b\": 2}", "a", "line 1, column 9: expected ',' or '}' after a member of an object, found '\"'"},
      {"[1 2]", "[1]", "line 1, column 4: expected ',' or ']' after an item of a list, found '2'"},
      {"[1,\n 2,\n tru]", "[2]", "line 3, column 2: unexpected 't' where a value was expected"},
      {"{\"é\": x}", "é", "line 1, column 7: unexpected 'x' where a value was expected"},
      {"[01]", "[0]", "line 1, column 2: invalid number '01'"},
      {"[1.]", "[0]", "line 1, column 2: invalid number '1.'"},
      {"[-]", "[0]", "line 1, column 2: invalid number '-'"},
      {"[1e]", "[0]", "line 1, column 2: invalid number '1e'"},
      {"[.5]", "[0]", "line 1, column 2: unexpected '.' where a value was expected"},
      {"[NaN]", "[0]", "line 1, column 2: NaN and Infinity are not JSON numbers"},
      {"[-Infinity]", "[0]", "line 1, column 2: NaN and Infinity are not JSON numbers"},
      {"[1e400]", "[0]", "line 1, column 2: the number 1e400 is too large"},
      {"[\"a\tb\"]", "[0]", "line 1, column 4: a control character (byte 0x09) in a string must be escaped"},
      {"[\"\\x\"]", "[0]", "line 1, column 3: invalid escape in a string: \\ followed by 'x'"},
      {"[\"\\u12\"]", "[0]", "line 1, column 3: \\u must be followed by four hex digits"},
      {"[\"\\udc00\"]", "[0]", "line 1, column 9: \\u escape of a lone low surrogate"},
      {"[\"\\ud800x\"]", "[0]", "line 1, column 9: \\u escape of a high surrogate without its low surrogate"},
      {"[\"\xC0\xAF\"]", "[0]", "line 1, column 3: a string holds bytes that are not UTF-8 (byte 0xC0)"},
      {"[\"\xED\xA0\x80\"]", "[0]", "line 1, column 3: a string holds bytes that are not UTF-8 (byte 0xED)"},
      {"[\"abc", "[0]", "line 1, column 6: the text ends inside a string"},
      {"{\"a\": {\"b\": 1, \"b\": 2}}", "a.b", "line 1, column 16: the key \"b\" appears twice in one object"},
      {"{'a': 1}", "", "line 1, column 2: expected a key in double quotes, found \"'\""},
      {"[1] x", "", "line 1, column 5: unexpected 'x' after the end of the JSON value"},
      {"[1, 2", "[2]", "line 1, column 6: the text ends inside a list"},
  };
  for (const auto& [text, path, message] : cases) {
    INFO(text);
    std::string got;
    CHECK_FALSE(read(text, &got));
    CHECK(got == (*path ? std::string(path) + ": " : std::string()) + "the text is not valid JSON: " + message);
  }
}

TEST_CASE("the JSON reader stops at 64 levels of nesting without reading deeper") {
  std::vector<Diagnostic> d;
  CHECK(detail::parse_json(std::string(64, '[') + std::string(64, ']'), d, "x"));
  CHECK(d.empty());
  CHECK_FALSE(detail::parse_json(std::string(65, '[') + std::string(65, ']'), d, "x"));
  REQUIRE(d.size() == 1);
  CHECK(d[0].message == "x is nested deeper than 64 levels");
  // A million open brackets are refused at the limit, not by exhausting the stack.
  d.clear();
  CHECK_FALSE(detail::parse_json(std::string(1000000, '['), d, "x"));
  CHECK(d[0].message == "x is nested deeper than 64 levels");
}

TEST_CASE("the JSON reader accepts and rejects what nlohmann's parser does on mutated texts") {
  const std::string base = file_text(HALOPLAN_FIXTURES "/../../data/guide.json");
  std::mt19937 rng(20261126);
  const char pool[] = "{}[]\",:0123456789.-+eE \\u\"tfn\x01\x80\xC3\xA9\xFF";
  int accepted = 0, rejected = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string text = base;
    const int edits = 1 + int(rng() % 3);
    for (int e = 0; e < edits; ++e) {
      const size_t at = rng() % text.size();
      switch (rng() % 3) {
        case 0: text[at] = pool[rng() % (sizeof pool - 1)]; break;
        case 1: text.erase(at, 1 + rng() % 4); break;
        default: text.insert(at, 1, pool[rng() % (sizeof pool - 1)]);
      }
    }
    std::string message;
    const auto mine = read(text, &message);
    const json theirs = json::parse(text, nullptr, false);
    INFO(text << "\n" << message);
    if (theirs.is_discarded()) {
      CHECK_FALSE(mine);
      ++rejected;
    } else if (!mine) {
      CHECK(message.find("appears twice in one object") != std::string::npos);  // refused on purpose
    } else {
      CHECK(*mine == theirs);
      ++accepted;
    }
  }
  CHECK(accepted > 100);
  CHECK(rejected > 1000);
}

TEST_CASE("decimal text converts to the same double as strtod") {
  const char* texts[] = {"0",
                         "-0",
                         "1",
                         "0.1",
                         "0.30000000000000004",
                         "1e22",
                         "1e23",
                         "9007199254740993",
                         "9007199254740992.5",
                         "123456789012345678901234567890",
                         "2.2250738585072011e-308",
                         "4.9406564584124654e-324",
                         "2e-324",
                         "1.7976931348623157e308",
                         "1.7976931348623159e308",
                         "1e-400",
                         "0.000001234",
                         "12345.678e-3",
                         "1E+2",
                         "-2.5e-3",
                         "100000000000000000000000000000e-10",
                         "0.0000000000000000000000000001e28"};
  for (const char* t : texts) {
    INFO(t);
    REQUIRE(detail::json_number_length(t) == std::strlen(t));
    CHECK(same_bits(detail::json_number_value(t), strtod_of(t)));
  }
  // Random doubles, written shortest and with 17 digits, read back exactly.
  std::mt19937_64 rng(7);
  for (int i = 0; i < 20000; ++i) {
    uint64_t bits = rng();
    double v;
    std::memcpy(&v, &bits, sizeof v);
    if (!std::isfinite(v)) continue;
    char buf[64];
    char* end = nlohmann::detail::to_chars(buf, buf + sizeof buf, v);
    const std::string shortest(buf, end);
    std::snprintf(buf, sizeof buf, "%.17g", v);
    INFO(shortest << " " << buf);
    CHECK(same_bits(detail::json_number_value(shortest), v));
    CHECK(same_bits(detail::json_number_value(buf), v));
  }
  // Short decimals, the catalog's kind of number, take the exact fast path.
  for (int i = 0; i < 20000; ++i) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%d.%03de%d", int(rng() % 100000), int(rng() % 1000), int(rng() % 40) - 20);
    INFO(buf);
    CHECK(same_bits(detail::json_number_value(buf), strtod_of(buf)));
  }
}

TEST_CASE("a whole text is a number only in JSON's grammar, with an optional plus") {
  double v = 0;
  CHECK(detail::parse_decimal("96.5", v));
  CHECK(v == 96.5);
  CHECK(detail::parse_decimal("+1.5", v));
  CHECK(v == 1.5);
  CHECK(detail::parse_decimal("-3e2", v));
  CHECK(v == -300);
  for (const char* bad : {"", "+", "+-1", " 1", "1 ", ".5", "5.", "0x10", "inf", "nan", "1e400", "1,5", "--1", "01"}) {
    INFO(bad);
    CHECK_FALSE(detail::parse_decimal(bad, v));
  }
}
