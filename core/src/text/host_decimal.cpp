// The native builds' host parser for decimal texts (see decimal.h); the wasm builds use
// wasm/host_decimal.cpp instead.
#include <cstdlib>
#include <string>

#include "haloplan/text/decimal.h"

namespace haloplan::detail {

double host_decimal(std::string_view number) { return std::strtod(std::string(number).c_str(), nullptr); }

}  // namespace haloplan::detail
