#include "haloplan/text/json_parse.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>

#include "haloplan/text/decimal.h"

namespace haloplan::detail {

namespace {
constexpr int kMaxDepth = 64;
}  // namespace

std::string type_word(const json& j) {
  switch (j.type()) {
    case json::value_t::null: return "null";
    case json::value_t::object: return "an object";
    case json::value_t::array: return "an array";
    case json::value_t::string: return "a string";
    case json::value_t::boolean: return "a boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned: return "an integer";
    case json::value_t::number_float: return "a number";
    default: return "an unsupported value";
  }
}

namespace {

bool is_space(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

// A character of the input as a message shows it: printable ASCII quoted, anything else as its
// byte (the message stays printable text; it is shown, logged and serialised as JSON).
std::string shown(std::string_view s, size_t at) {
  if (at >= s.size()) return "the end of the text";
  const unsigned char c = static_cast<unsigned char>(s[at]);
  if (c == '\'') return "\"'\"";
  if (c >= 0x20 && c < 0x7f) return std::string("'") + char(c) + "'";
  static constexpr char kHex[] = "0123456789ABCDEF";
  return std::string("byte 0x") + kHex[c >> 4] + kHex[c & 15];
}

// The length of a well-formed UTF-8 sequence at s[at] (RFC 3629: no overlong forms, no
// surrogates, nothing past U+10FFFF), 0 if it is not one.
size_t utf8_length(std::string_view s, size_t at) {
  auto byte = [&](size_t i) { return at + i < s.size() ? static_cast<unsigned char>(s[at + i]) : 0u; };
  auto cont = [&](size_t i, unsigned lo = 0x80, unsigned hi = 0xBF) { return byte(i) >= lo && byte(i) <= hi; };
  const unsigned c = byte(0);
  if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
  if (c == 0xE0) return cont(1, 0xA0) && cont(2) ? 3 : 0;
  if (c == 0xED) return cont(1, 0x80, 0x9F) && cont(2) ? 3 : 0;
  if (c >= 0xE1 && c <= 0xEF) return cont(1) && cont(2) ? 3 : 0;
  if (c == 0xF0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
  if (c >= 0xF1 && c <= 0xF3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (c == 0xF4) return cont(1, 0x80, 0x8F) && cont(2) && cont(3) ? 4 : 0;
  return 0;
}

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += char(cp);
  } else if (cp < 0x800) {
    out += char(0xC0 | (cp >> 6));
    out += char(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += char(0xE0 | (cp >> 12));
    out += char(0x80 | ((cp >> 6) & 0x3F));
    out += char(0x80 | (cp & 0x3F));
  } else {
    out += char(0xF0 | (cp >> 18));
    out += char(0x80 | ((cp >> 12) & 0x3F));
    out += char(0x80 | ((cp >> 6) & 0x3F));
    out += char(0x80 | (cp & 0x3F));
  }
}

// RFC 8259 JSON text to nlohmann's DOM. Stops at the nesting limit before reading the deep part,
// refuses a key repeated in one object, and names the first problem with its line, column and
// the JSON path of the value it is in (the wasm build has no exceptions). Its own reader, not
// nlohmann's: without nlohmann's lexer and strtod the page's wasm is 9.6 KB gzip smaller.
class Parser {
 public:
  explicit Parser(std::string_view text) : s_(text) {}

  bool parse(json& out) {
    if (s_.substr(0, 3) == "\xEF\xBB\xBF") p_ = 3;  // a byte order mark, as some editors save
    space();
    if (p_ == s_.size()) return fail("the text is empty");
    if (!value(out)) return false;
    space();
    return p_ == s_.size() || fail("unexpected " + shown(s_, p_) + " after the end of the JSON value");
  }

  bool too_deep = false;
  const std::string& message() const { return message_; }
  const std::string& error_path() const { return path_; }

 private:
  struct Frame {
    bool array;
    size_t index = 0;
    std::string key;
  };

  void space() {
    while (p_ < s_.size() && is_space(s_[p_])) ++p_;
  }

  bool fail(const std::string& what) {
    size_t line = 1, column = 1;
    for (size_t i = 0; i < p_ && i < s_.size(); ++i) {
      if (s_[i] == '\n') {
        ++line;
        column = 1;
      } else if ((static_cast<unsigned char>(s_[i]) & 0xC0) != 0x80) {
        ++column;  // columns count characters, not the bytes of one
      }
    }
    message_ = "line " + std::to_string(line) + ", column " + std::to_string(column) + ": " + what;
    path_ = path();
    return false;
  }

  bool value(json& out) {
    if (p_ >= s_.size()) return fail("the text ends where a value was expected");
    switch (s_[p_]) {
      case '{': return object(out);
      case '[': return array(out);
      case '"': {
        std::string text;
        if (!string(text)) return false;
        out = std::move(text);
        return true;
      }
      case 't': return literal("true", out, true);
      case 'f': return literal("false", out, false);
      case 'n': return literal("null", out, nullptr);
      default: return number(out);
    }
  }

  template <class T>
  bool literal(std::string_view word, json& out, T v) {
    if (s_.substr(p_, word.size()) != word) return fail("unexpected " + shown(s_, p_) + " where a value was expected");
    p_ += word.size();
    out = v;
    return true;
  }

  bool number(json& out) {
    size_t end = p_;
    while (end < s_.size() &&
           (std::isalnum(static_cast<unsigned char>(s_[end])) || s_[end] == '.' || s_[end] == '+' || s_[end] == '-'))
      ++end;
    const std::string_view token = s_.substr(p_, end - p_);
    if (token.empty()) return fail("unexpected " + shown(s_, p_) + " where a value was expected");
    if (token[0] == 'N' || token[0] == 'I' || token.substr(0, 2) == "-I")
      return fail("NaN and Infinity are not JSON numbers");
    if (json_number_length(token) != token.size()) {
      const bool word = !(token[0] == '-' || std::isdigit(static_cast<unsigned char>(token[0])));
      return fail(word ? "unexpected " + shown(s_, p_) + " where a value was expected"
                       : "invalid number '" + std::string(token.substr(0, 40)) + "'");
    }
    const bool negative = token[0] == '-';
    if (token.find_first_of(".eE") == std::string_view::npos && token.size() <= 20) {
      // An integer literal stays an integer while 64 bits hold it, as in nlohmann's own parser.
      uint64_t v = 0;
      bool fits = true;
      for (size_t i = negative; i < token.size() && fits; ++i) {
        const uint64_t d = uint64_t(token[i] - '0');
        fits = v <= (UINT64_MAX - d) / 10;
        v = v * 10 + d;
      }
      if (fits && !negative) {
        out = json::number_unsigned_t(v);
        p_ = end;
        return true;
      }
      if (fits && v <= uint64_t(INT64_MAX) + 1) {
        out = v == uint64_t(INT64_MAX) + 1 ? INT64_MIN : -int64_t(v);
        p_ = end;
        return true;
      }
    }
    const double d = json_number_value(token);
    if (!std::isfinite(d)) return fail("the number " + std::string(token.substr(0, 40)) + " is too large");
    out = d;
    p_ = end;
    return true;
  }

  bool string(std::string& out) {
    ++p_;  // the opening quote
    for (;;) {
      const size_t run = p_;
      while (p_ < s_.size() && s_[p_] != '"' && s_[p_] != '\\' && static_cast<unsigned char>(s_[p_]) >= 0x20 &&
             static_cast<unsigned char>(s_[p_]) < 0x80)
        ++p_;
      out.append(s_.data() + run, p_ - run);
      if (p_ >= s_.size()) return fail("the text ends inside a string");
      const unsigned char c = static_cast<unsigned char>(s_[p_]);
      if (c == '"') {
        ++p_;
        return true;
      }
      if (c < 0x20) return fail("a control character (" + shown(s_, p_) + ") in a string must be escaped");
      if (c >= 0x80) {
        const size_t n = utf8_length(s_, p_);
        if (!n) return fail("a string holds bytes that are not UTF-8 (" + shown(s_, p_) + ")");
        out.append(s_.data() + p_, n);
        p_ += n;
        continue;
      }
      if (!escape(out)) return false;
    }
  }

  bool escape(std::string& out) {
    const char e = p_ + 1 < s_.size() ? s_[p_ + 1] : '\0';
    const char* plain = "\"\\/bfnrt";
    const char* meant = "\"\\/\b\f\n\r\t";
    for (int i = 0; plain[i]; ++i)
      if (e == plain[i]) {
        out += meant[i];
        p_ += 2;
        return true;
      }
    if (e != 'u') return fail("invalid escape in a string: \\ followed by " + shown(s_, p_ + 1));
    uint32_t cp = 0;
    if (!hex4(p_ + 2, cp)) return fail("\\u must be followed by four hex digits");
    p_ += 6;
    if (cp >= 0xDC00 && cp <= 0xDFFF) return fail("\\u escape of a lone low surrogate");
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      uint32_t low = 0;
      if (s_.substr(p_, 2) != "\\u" || !hex4(p_ + 2, low) || low < 0xDC00 || low > 0xDFFF)
        return fail("\\u escape of a high surrogate without its low surrogate");
      p_ += 6;
      cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
    }
    append_utf8(out, cp);
    return true;
  }

  bool hex4(size_t at, uint32_t& cp) const {
    if (at + 4 > s_.size()) return false;
    for (size_t i = at; i < at + 4; ++i) {
      const char c = s_[i];
      const int d = c >= '0' && c <= '9'   ? c - '0'
                    : c >= 'a' && c <= 'f' ? c - 'a' + 10
                    : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                           : -1;
      if (d < 0) return false;
      cp = cp * 16 + uint32_t(d);
    }
    return true;
  }

  bool object(json& out) {
    if (!enter(false)) return false;
    out = json::object();
    auto& members = out.get_ref<json::object_t&>();
    ++p_;
    space();
    if (p_ < s_.size() && s_[p_] == '}') return leave();
    for (;;) {
      space();
      if (p_ >= s_.size()) return fail("the text ends inside an object");
      if (s_[p_] != '"') return fail("expected a key in double quotes, found " + shown(s_, p_));
      const size_t key_at = p_;
      std::string key;
      if (!string(key)) return false;
      frames_.back().key = key;
      space();
      if (p_ >= s_.size() || s_[p_] != ':') return fail("expected ':' after the key, found " + shown(s_, p_));
      ++p_;
      space();
      const auto [slot, fresh] = members.emplace(std::move(key), nullptr);
      if (!fresh) {
        p_ = key_at;
        return fail("the key \"" + frames_.back().key.substr(0, 80) + "\" appears twice in one object");
      }
      if (!value(slot->second)) return false;
      if (const Next n = next('}', "a member of an object", "an object"); n != Next::More) return n == Next::Closed;
    }
  }

  bool array(json& out) {
    if (!enter(true)) return false;
    out = json::array();
    auto& items = out.get_ref<json::array_t&>();
    ++p_;
    space();
    if (p_ < s_.size() && s_[p_] == ']') return leave();
    for (;;) {
      space();
      items.emplace_back();
      if (!value(items.back())) return false;
      ++frames_.back().index;
      if (const Next n = next(']', "an item of a list", "a list"); n != Next::More) return n == Next::Closed;
    }
  }

  // What follows a member or an item: a comma (another one comes) or the closing bracket.
  enum class Next { More, Closed, Failed };
  Next next(char close, const char* after, const char* inside) {
    space();
    if (p_ < s_.size() && s_[p_] == ',') {
      ++p_;
      return Next::More;
    }
    if (p_ < s_.size() && s_[p_] == close) return leave() ? Next::Closed : Next::Failed;
    fail(p_ < s_.size() ? std::string("expected ',' or '") + close + "' after " + after + ", found " + shown(s_, p_)
                        : std::string("the text ends inside ") + inside);
    return Next::Failed;
  }

  bool enter(bool array) {
    if (frames_.size() >= size_t(kMaxDepth)) {
      too_deep = true;
      return false;
    }
    frames_.push_back(Frame{array, 0, {}});
    return true;
  }

  bool leave() {
    ++p_;  // the closing bracket
    frames_.pop_back();
    return true;
  }

  // The path of the value being read: models[3].attention.kind
  std::string path() const {
    std::string p;
    for (const auto& f : frames_) {
      if (f.array) {
        p += '[';
        p += std::to_string(f.index);
        p += ']';
      } else if (!f.key.empty()) {
        if (!p.empty()) p += '.';
        p += f.key;
      }
    }
    return p;
  }

  std::string_view s_;
  size_t p_ = 0;
  std::vector<Frame> frames_;
  std::string message_, path_;
};
}  // namespace

std::optional<json> parse_json(std::string_view text, std::vector<Diagnostic>& diags, const std::string& what) {
  json j;
  Parser parser(text);
  const bool ok = parser.parse(j);
  if (parser.too_deep) {
    diags.push_back({"", what + " is nested deeper than " + std::to_string(kMaxDepth) + " levels", true});
    return std::nullopt;
  }
  if (!ok) {
    diags.push_back({parser.error_path(), what + " is not valid JSON: " + parser.message(), true});
    return std::nullopt;
  }
  return j;
}

}  // namespace haloplan::detail
