#include "haloplan/text/decimal.h"

#include <cmath>
#include <cstdint>

namespace haloplan::detail {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

size_t digits_from(std::string_view s, size_t i) {
  while (i < s.size() && is_digit(s[i])) ++i;
  return i;
}

// Every power of ten a double holds exactly.
constexpr double kPow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                             1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
constexpr uint64_t kExactMantissa = uint64_t(1) << 53;

}  // namespace

size_t json_number_length(std::string_view s) {
  size_t i = 0;
  if (i < s.size() && s[i] == '-') ++i;
  if (i >= s.size() || !is_digit(s[i])) return 0;
  i = s[i] == '0' ? i + 1 : digits_from(s, i);
  if (i < s.size() && s[i] == '.') {
    const size_t end = digits_from(s, i + 1);
    if (end == i + 1) return 0;
    i = end;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    size_t j = i + 1;
    if (j < s.size() && (s[j] == '+' || s[j] == '-')) ++j;
    const size_t end = digits_from(s, j);
    if (end == j) return 0;
    i = end;
  }
  return i;
}

double json_number_value(std::string_view s) {
  size_t i = 0;
  const bool negative = !s.empty() && s[0] == '-';
  if (negative) ++i;
  // The significant digits as an integer (the first 19) and the power of ten that scales it.
  uint64_t mantissa = 0;
  int digits = 0, exp10 = 0;
  bool dropped = false, fraction = false;
  for (; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '.') {
      fraction = true;
      continue;
    }
    if (!is_digit(c)) break;
    if (digits < 19 && (mantissa || c != '0')) {
      mantissa = mantissa * 10 + uint64_t(c - '0');
      ++digits;
      if (fraction) --exp10;
    } else if (mantissa == 0) {  // a leading zero
      if (fraction) --exp10;
    } else {  // past 19 digits
      dropped = dropped || c != '0';
      if (!fraction) ++exp10;
    }
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    const bool minus = i < s.size() && s[i] == '-';
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    int e = 0;
    for (; i < s.size() && is_digit(s[i]); ++i) e = e < 100000 ? e * 10 + (s[i] - '0') : e;
    exp10 += minus ? -e : e;
  }
  if (mantissa == 0) return negative ? -0.0 : 0.0;
  // Clinger's fast path: an exact integer times or over an exact power of ten rounds once.
  while (!dropped && exp10 > 22 && mantissa <= kExactMantissa / 10) {
    mantissa *= 10;
    --exp10;
  }
  if (!dropped && mantissa <= kExactMantissa && exp10 >= -22 && exp10 <= 22) {
    const double v = exp10 < 0 ? double(mantissa) / kPow10[-exp10] : double(mantissa) * kPow10[exp10];
    return negative ? -v : v;
  }
  return host_decimal(s);
}

bool parse_decimal(std::string_view s, double& out) {
  if (!s.empty() && s[0] == '+') {
    s.remove_prefix(1);
    if (!s.empty() && s[0] == '-') return false;
  }
  if (s.empty() || json_number_length(s) != s.size()) return false;
  const double v = json_number_value(s);
  if (!std::isfinite(v)) return false;
  out = v;
  return true;
}

}  // namespace haloplan::detail
