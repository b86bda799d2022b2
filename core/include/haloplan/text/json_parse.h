// Layer: text. The core's JSON reader: text to nlohmann's DOM with limits (nesting, repeated keys,
// numbers too large for a double, broken UTF-8); a problem names its line, column and JSON path.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "haloplan/text/diagnostic.h"

namespace haloplan::detail {

using nlohmann::json;

// Parses text with a nesting limit, so hostile input cannot exhaust the stack.
std::optional<json> parse_json(std::string_view text, std::vector<Diagnostic>& diags, const std::string& what);

std::string type_word(const json& j);

}  // namespace haloplan::detail
