// Tables as one SVG picture, for forum posts and issue threads (the page's "Save as SVG/PNG",
// `haloplan ... --format svg`). A monospace grid: every column is as wide as its widest cell in
// characters, each cell's text is held to exactly that many character widths (textLength), so
// the grid holds in any monospace font and in the proportional fallback. Numbers align right.
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <string>
#include <vector>

#include "haloplan/view/table.h"

namespace haloplan {

namespace {

constexpr double kFont = 13;           // body text, px
constexpr double kChar = kFont * 0.6;  // a monospace advance (DejaVu Sans Mono, Menlo: 0.60 em)
constexpr double kTitleFont = 15;
constexpr double kTitleChar = kTitleFont * 0.6;
constexpr double kNoteFont = 12;
constexpr double kNoteChar = kNoteFont * 0.6;
constexpr double kRow = 22;      // row height
constexpr double kPad = 14;      // around the picture
constexpr double kGap = 2;       // characters between columns
constexpr size_t kWrapMin = 60;  // notes and titles wrap at the grid's width, or at this many characters

// Characters, not bytes ("×", "–" and "µ" take one column each).
size_t chars(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

std::string xml(const std::string& s) {
  std::string o;
  for (unsigned char c : s) {
    if (c == '&') o += "&amp;";
    else if (c == '<') o += "&lt;";
    else if (c == '>') o += "&gt;";
    else if (c == '"') o += "&quot;";
    else if (c < 0x20) o += ' ';  // control characters are not XML
    else o += char(c);
  }
  return o;
}

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  std::string s = buf;
  if (s.size() > 2 && s.compare(s.size() - 2, 2, ".0") == 0) s.resize(s.size() - 2);
  return s;
}

// A cell that reads as a number ("12.3", "+4.1", "-0.5", "1,024", "—"): its column aligns right.
bool numeric(const std::string& s) {
  if (s.empty() || s == "—" || s == "-") return true;
  size_t i = (s[0] == '+' || s[0] == '-') ? 1 : 0;
  if (i >= s.size() || !std::isdigit(static_cast<unsigned char>(s[i]))) return false;
  for (; i < s.size(); ++i)
    if (!std::isdigit(static_cast<unsigned char>(s[i])) && s[i] != '.' && s[i] != ',') return false;
  return true;
}

// A verdict cell ("carve-out (+3.8)", "GTT (+9.6)", "no fit (-42.5)", "OS squeeze (…)",
// "refused") in the page's verdict colours, else nullptr.
const char* verdict_class(const std::string& s) {
  auto starts = [&s](const char* p) { return s.rfind(p, 0) == 0; };
  // The machine's words (pool_words): a pool of its own fits; GTT and a spill to system RAM warn.
  if (starts("carve-out (") || starts("VRAM (") || starts("wired (") || starts("unified (")) return "ok";
  if (starts("GTT (") || starts("RAM spill (")) return "warn";
  if (starts("no fit (") || starts("OS squeeze (") || s == "refused") return "bad";
  return nullptr;
}

// Splits text into lines of at most `width` characters at spaces (a longer word stands alone).
std::vector<std::string> wrap(const std::string& text, size_t width) {
  std::vector<std::string> lines;
  std::string line;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(' ', start);
    if (end == std::string::npos) end = text.size();
    const std::string word = text.substr(start, end - start);
    if (!line.empty() && chars(line) + 1 + chars(word) > width) {
      lines.push_back(line);
      line.clear();
    }
    line += (line.empty() ? "" : " ") + word;
    start = end + 1;
  }
  if (!line.empty()) lines.push_back(line);
  return lines;
}

// The look of each kind of text, as presentation attributes (no <style>: a page's policy may
// refuse one when the picture is shown inline, and some converters ignore it).
std::string look(const char* cls) {
  if (!cls) return "";
  const std::string c = cls;
  if (c == "head") return " font-weight=\"bold\"";
  if (c == "title") return " font-weight=\"bold\" font-size=\"" + num(kTitleFont) + "\"";
  if (c == "note") return " font-size=\"" + num(kNoteFont) + "\" fill=\"#4a5158\"";
  if (c == "ok") return " fill=\"#1e6b34\"";
  if (c == "warn") return " fill=\"#7a4b00\"";
  if (c == "bad") return " fill=\"#a1191a\"";
  return "";
}

// One text element held to n character widths.
std::string text_el(double x, double y, const std::string& s, double char_w, const char* anchor, const char* cls) {
  std::string o = "<text";
  if (cls) o += std::string(" class=\"") + cls + "\"" + look(cls);
  o += " x=\"" + num(x) + "\" y=\"" + num(y) + "\"";
  if (anchor) o += std::string(" text-anchor=\"") + anchor + "\"";
  const size_t n = chars(s);
  if (n > 1) o += " textLength=\"" + num(double(n) * char_w) + "\" lengthAdjust=\"spacingAndGlyphs\"";
  return o + ">" + xml(s) + "</text>";
}

}  // namespace

std::string render_svg(const std::vector<Table>& tables) {
  std::vector<std::vector<size_t>> widths(tables.size());
  std::vector<size_t> totals(tables.size());  // each table's width in characters
  size_t grid = 0;                            // the widest table's
  for (size_t k = 0; k < tables.size(); ++k) {
    const Table& t = tables[k];
    auto& w = widths[k];
    w.assign(t.headers.size(), 1);
    for (size_t i = 0; i < t.headers.size(); ++i) w[i] = std::max(w[i], chars(t.headers[i]));
    for (const auto& r : t.rows)
      for (size_t i = 0; i < r.size() && i < w.size(); ++i) w[i] = std::max(w[i], chars(r[i]));
    size_t total = 0;
    for (size_t x : w) total += x;
    total += w.empty() ? 0 : size_t(kGap) * (w.size() - 1);
    totals[k] = total;
    grid = std::max(grid, total);
  }
  const size_t wrap_at = std::max(grid, kWrapMin);
  const double width = 2 * kPad + std::max(double(grid) * kChar, double(kWrapMin) * kNoteChar);

  std::string body;
  double y = kPad;
  for (size_t k = 0; k < tables.size(); ++k) {
    const Table& t = tables[k];
    const auto& w = widths[k];
    if (k) y += kRow;  // space between tables
    body += "<g class=\"table\">";
    // A title or note is a group of its wrapped lines.
    if (!t.title.empty()) {
      body += "<g class=\"title\"" + look("title") + ">";
      for (const auto& line : wrap(t.title, size_t(double(wrap_at) * kChar / kTitleChar))) {
        y += kTitleFont + 6;
        body += text_el(kPad, y, line, kTitleChar, nullptr, nullptr);
      }
      body += "</g>";
      y += 8;
    }
    std::vector<bool> right(w.size(), true);
    for (const auto& r : t.rows)
      for (size_t i = 0; i < r.size() && i < w.size(); ++i) right[i] = right[i] && numeric(r[i]);
    std::vector<double> left(w.size());
    double x = kPad;
    for (size_t i = 0; i < w.size(); ++i) {
      left[i] = x;
      x += double(w[i] + size_t(kGap)) * kChar;
    }
    const double row_w = double(totals[k]) * kChar + kChar;
    auto row = [&](const std::vector<std::string>& cells, const char* cls, bool shade) {
      std::string g = std::string("<g class=\"") + cls + "\"" + look(cls) + ">";
      if (shade)
        g += "<rect x=\"" + num(kPad - kChar / 2) + "\" y=\"" + num(y) + "\" width=\"" + num(row_w) + "\" height=\"" +
             num(kRow) + "\" fill=\"" + (std::string(cls) == "head" ? "#e6ebf1" : "#f5f7f9") + "\"/>";
      const double base = y + kRow / 2 + kFont * 0.35;
      for (size_t i = 0; i < w.size(); ++i) {
        const std::string c = i < cells.size() ? cells[i] : "";
        const char* v = std::string(cls) == "head" ? nullptr : verdict_class(c);
        g += right[i] ? text_el(left[i] + double(w[i]) * kChar, base, c, kChar, "end", v)
                      : text_el(left[i], base, c, kChar, nullptr, v);
      }
      y += kRow;
      return g + "</g>";
    };
    body += row(t.headers, "head", true);
    for (size_t j = 0; j < t.rows.size(); ++j) body += row(t.rows[j], "row", j % 2 == 1);
    if (!t.notes.empty()) {
      y += 6;
      for (const auto& n : t.notes) {
        body += "<g class=\"note\"" + look("note") + ">";
        for (const auto& line : wrap(n, size_t(double(wrap_at) * kChar / kNoteChar))) {
          y += kNoteFont + 5;
          body += text_el(kPad, y, line, kNoteChar, nullptr, nullptr);
        }
        body += "</g>";
      }
    }
    body += "</g>";
  }
  const double height = y + kPad;
  return "<svg xmlns=\"http://www.w3.org/2000/svg\" xml:space=\"preserve\" width=\"" + num(width) + "\" height=\"" +
         num(height) + "\" viewBox=\"0 0 " + num(width) + " " + num(height) +
         "\" font-family=\"'DejaVu Sans Mono', Menlo, Consolas, monospace\" font-size=\"" + num(kFont) +
         "\" fill=\"#1b1f24\"><rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>" + body + "</svg>\n";
}

}  // namespace haloplan
