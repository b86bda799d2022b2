// The JSON writer behind the page's view: what it writes must read back as the same values.
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "haloplan/text/json_out.h"
#include "haloplan/view/exports.h"
#include "haloplan/view/tables.h"

using namespace haloplan;
using nlohmann::json;

TEST_CASE("the JSON writer places commas in nested objects and arrays") {
  JsonOut o;
  o.obj().field("a", 1.0).key("b").arr().num(1).arr().end_arr().obj().end_obj().str("x").end_arr();
  o.key("c").obj().field("d", true).key("e").null().end_obj().end_obj();
  CHECK(o.text() == R"({"a":1,"b":[1,[],{},"x"],"c":{"d":true,"e":null}})");
}

TEST_CASE("the JSON writer escapes strings so they read back unchanged") {
  const std::string nasty = std::string("quote \" backslash \\ newline \n tab \t nul ") + '\0' + " \x01\x1f end €";
  JsonOut o;
  o.obj().field(nasty, nasty).end_obj();
  const json j = json::parse(o.text());
  REQUIRE(j.size() == 1);
  CHECK(j.begin().key() == nasty);
  CHECK(j.begin().value() == nasty);
  CHECK(o.text().find('\0') == std::string::npos);
}

TEST_CASE("the JSON writer prints numbers that read back as the same double") {
  const double values[] = {0.0,
                           -0.0,
                           1.0,
                           -3.0,
                           0.1,
                           1.0 / 3.0,
                           2.5e-300,
                           1.7976931348623157e308,
                           128849018880.0,
                           9007199254740993.0,
                           -123456.789,
                           4.6e15};
  for (double v : values) {
    JsonOut o;
    o.arr().num(v).end_arr();
    const json j = json::parse(o.text());
    INFO(o.text());
    CHECK(j[0].get<double>() == v);
  }
  JsonOut whole;
  whole.arr().num(137438953472.0).num(-2).end_arr();
  CHECK(whole.text() == "[137438953472,-2]");  // bytes stay integers
  JsonOut odd;
  odd.arr().num(std::nan("")).num(std::numeric_limits<double>::infinity()).end_arr();
  CHECK(odd.text() == "[null,null]");  // JSON has no NaN or infinity
}

TEST_CASE("a table written by the writer reads back as the same table") {
  Table t{"Fit \"now\"", {"model", "GiB"}, {{"a,b", "1.5"}, {"c\nd", "2"}}, {"note ⚠"}};
  JsonOut o;
  write_table(o, t);
  const auto back = table_from_json(json::parse(o.text()));
  REQUIRE(back);
  CHECK(back->title == t.title);
  CHECK(back->headers == t.headers);
  CHECK(back->rows == t.rows);
  CHECK(back->notes == t.notes);
  CHECK(json::parse(o.text()) == table_json(t));
}
