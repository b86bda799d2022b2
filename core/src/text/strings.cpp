#include "haloplan/text/strings.h"

#include <cstdio>

#include "haloplan/text/decimal.h"

namespace haloplan {

namespace {
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
char lower_char(char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; }
bool is_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }
}  // namespace

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = lower_char(c);
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t at = s.find(sep, start);
    if (at == std::string_view::npos) at = s.size();
    if (at > start) out.emplace_back(s.substr(start, at - start));
    start = at + 1;
  }
  return out;
}

std::string join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) out += sep;
    out += parts[i];
  }
  return out;
}

std::string num_text(double v, int digits) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.*g", digits, v);
  return buf;
}

std::optional<double> parse_number(std::string_view s, double lo, double hi) {
  double d = 0;
  if (s.size() > 32 || !detail::parse_decimal(s, d) || d < lo || d > hi) return std::nullopt;
  return d;
}

std::optional<int64_t> parse_whole(std::string_view s, int64_t lo, int64_t hi) {
  if (s.empty() || s.size() > 20) return std::nullopt;
  uint64_t n = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    const uint64_t digit = uint64_t(c - '0');
    if (n > (UINT64_MAX - digit) / 10) return std::nullopt;
    n = n * 10 + digit;
  }
  if (n > uint64_t(INT64_MAX)) return std::nullopt;
  const auto v = int64_t(n);
  if (v < lo || v > hi) return std::nullopt;
  return v;
}

std::string gib_amount(double gib) {
  char buf[48];
  std::snprintf(buf, sizeof buf, gib == double(int64_t(gib)) ? "%.0f" : "%.2f", gib);
  return buf;
}

bool valid_id(std::string_view s) {
  if (s.empty() || s.size() > kMaxIdLength) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_')) return false;
  return true;
}

std::string slug(std::string_view name, std::string_view fallback) {
  std::string out;
  for (char c : name) {
    if (is_alnum(c) || c == '.') out += lower_char(c);
    else if (!out.empty() && out.back() != '-') out += '-';
    if (out.size() >= 80) break;
  }
  while (!out.empty() && (out.back() == '-' || out.back() == '.')) out.pop_back();
  return out.empty() ? std::string(fallback) : out;
}

}  // namespace haloplan
