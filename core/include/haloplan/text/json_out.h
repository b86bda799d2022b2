// Layer: text. A compact JSON text writer for what the core hands out (the page's view, table exports): values
// go straight into one string and the writer places the commas. No tree is built, so a view of a
// few hundred rows costs a few string appends per cell instead of a map node per field.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace haloplan {

class JsonOut {
 public:
  JsonOut& obj() { return open('{'); }
  JsonOut& arr() { return open('['); }
  JsonOut& end_obj() { return close('}'); }
  JsonOut& end_arr() { return close(']'); }
  JsonOut& key(std::string_view k);
  JsonOut& str(std::string_view v);
  JsonOut& num(double v);  // whole numbers print as integers; NaN and infinities as null
  JsonOut& boolean(bool v);
  JsonOut& null();
  JsonOut& strs(const std::vector<std::string>& v);  // an array of strings
  JsonOut& raw(std::string_view json_value);         // an already serialised JSON value

  // key + value in one step, for the common cases.
  JsonOut& field(std::string_view k, std::string_view v) { return key(k).str(v); }
  JsonOut& field(std::string_view k, const char* v) { return key(k).str(v); }
  JsonOut& field(std::string_view k, const std::string& v) { return key(k).str(v); }
  JsonOut& field(std::string_view k, double v) { return key(k).num(v); }
  JsonOut& field(std::string_view k, bool v) { return key(k).boolean(v); }

  const std::string& text() const { return out_; }
  std::string take() { return std::move(out_); }

 private:
  void sep();
  JsonOut& open(char bracket);
  JsonOut& close(char bracket);
  std::string out_;
  bool comma_ = false;  // the next value or key follows a sibling
};

// s as a JSON string literal, quotes included.
void append_json_string(std::string& out, std::string_view s);

}  // namespace haloplan
