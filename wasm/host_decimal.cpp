// The wasm builds' host parser for decimal texts (see core/src/decimal.h): JavaScript's Number()
// reads a JSON number's text to the nearest double, as strtod does, and costs the wasm nothing.
// musl's strtod would add about 8 KB gzip to the page.
#include <emscripten/emscripten.h>

#include <string_view>

#include "haloplan/text/decimal.h"

EM_JS(double, haloplan_js_number, (const char* text, int length), { return Number(UTF8ToString(text, length)); });

namespace haloplan::detail {

double host_decimal(std::string_view number) { return haloplan_js_number(number.data(), int(number.size())); }

}  // namespace haloplan::detail
