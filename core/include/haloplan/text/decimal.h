// Layer: text. Decimal text to double, correctly rounded, without the C library's strtod: in the page's wasm,
// musl's strtod and the long-double arithmetic it needs are about 8 KB gzip. Most numbers (up to
// 19 significant digits, powers of ten up to 1e22) convert exactly with one rounding (Clinger's
// fast path); the rest go to the host's own correctly rounded parser: strtod natively,
// JavaScript's Number() in the browser.
#pragma once

#include <cstddef>
#include <string_view>

namespace haloplan::detail {

// The length of the JSON number at the start of s (-?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?),
// 0 if there is none.
size_t json_number_length(std::string_view s);

// A JSON number's text (as json_number_length measured it) to the nearest double; ±inf when it
// is too large for one.
double json_number_value(std::string_view number);

// The host's correctly rounded parser for a JSON number's text: strtod natively
// (core/src/host_decimal.cpp), JavaScript's Number() in the wasm builds (wasm/host_decimal.cpp).
double host_decimal(std::string_view number);

// A whole text that is a number: JSON's grammar, with an optional '+' (as in "+1.5"). False for
// anything else, including surrounding spaces and numbers too large for a double.
bool parse_decimal(std::string_view s, double& out);

}  // namespace haloplan::detail
