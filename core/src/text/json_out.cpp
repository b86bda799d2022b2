#include "haloplan/text/json_out.h"

#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>

namespace haloplan {

void append_json_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  size_t run = 0;  // start of the pending run of characters that need no escape
  for (size_t i = 0; i < s.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default:
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 15];
    }
  }
  out.append(s.data() + run, s.size() - run);
  out += '"';
}

void JsonOut::sep() {
  if (comma_) out_ += ',';
  comma_ = true;
}

JsonOut& JsonOut::open(char bracket) {
  sep();
  out_ += bracket;
  comma_ = false;
  return *this;
}

JsonOut& JsonOut::close(char bracket) {
  out_ += bracket;
  comma_ = true;
  return *this;
}

JsonOut& JsonOut::key(std::string_view k) {
  sep();
  append_json_string(out_, k);
  out_ += ':';
  comma_ = false;
  return *this;
}

JsonOut& JsonOut::str(std::string_view v) {
  sep();
  append_json_string(out_, v);
  return *this;
}

JsonOut& JsonOut::num(double v) {
  sep();
  char buf[64];
  char* end;
  if (!std::isfinite(v)) {
    out_ += "null";
    return *this;
  }
  if (v == std::trunc(v) && std::fabs(v) < 9e15) {
    end = std::to_chars(buf, buf + sizeof buf, int64_t(v)).ptr;
  } else {
    // The shortest text that reads back as the same double (nlohmann's Grisu2, already linked).
    end = nlohmann::detail::to_chars(buf, buf + sizeof buf, v);
  }
  out_.append(buf, end);
  return *this;
}

JsonOut& JsonOut::boolean(bool v) {
  sep();
  out_ += v ? "true" : "false";
  return *this;
}

JsonOut& JsonOut::null() {
  sep();
  out_ += "null";
  return *this;
}

JsonOut& JsonOut::strs(const std::vector<std::string>& v) {
  arr();
  for (const auto& s : v) str(s);
  return end_arr();
}

JsonOut& JsonOut::raw(std::string_view json_value) {
  sep();
  out_ += json_value;
  return *this;
}

}  // namespace haloplan
