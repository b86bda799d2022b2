// Layer: text. The few string helpers every layer uses, defined once: ASCII case and space, lists
// split and joined at a separator, number text, and the rule for an id (catalog entries, link
// values) with the slug that turns a file or model name into one.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace haloplan {

std::string lower(std::string_view s);      // ASCII letters only; other bytes unchanged
std::string_view trim(std::string_view s);  // without leading and trailing ASCII white space

// The non-empty parts of s between separators ("a,,b" -> {"a", "b"}).
std::vector<std::string> split(std::string_view s, char sep);
std::string join(const std::vector<std::string>& parts, std::string_view sep = ",");

// A number as short text with up to `digits` significant digits ("%.*g": 0.5, 1e+06).
std::string num_text(double v, int digits = 10);

// An amount of GiB as settings name it: whole numbers without decimals ("120"), others with two
// ("0.50").
std::string gib_amount(double gib);

// A whole text as a number in [lo, hi]: a decimal (JSON's grammar, an optional '+', at most 32
// characters) or a whole number of decimal digits only (at most 20); nullopt for anything else.
std::optional<double> parse_number(std::string_view s, double lo, double hi);
std::optional<int64_t> parse_whole(std::string_view s, int64_t lo, int64_t hi);

// An id: 1 to 96 of lowercase ASCII letters, digits, '-', '.' and '_' (models, machines,
// backends, link values that name them).
constexpr size_t kMaxIdLength = 96;
bool valid_id(std::string_view s);

// A name as an id: lowercase letters, digits and '.', every other run of characters one '-'
// ("Qwen3-30B-A3B-Q4_K_M" -> "qwen3-30b-a3b-q4-k-m"), at most 80 characters; `fallback` when
// nothing is left.
std::string slug(std::string_view name, std::string_view fallback);

}  // namespace haloplan
