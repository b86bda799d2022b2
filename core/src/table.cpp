#include "haloplan/table.h"

#include <algorithm>
#include <cstdio>

namespace haloplan {

std::string csv_escape(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string o = "\"";
  for (char c : s) {
    if (c == '"') o += '"';
    o += c;
  }
  return o + "\"";
}

std::string json_escape(const std::string& s) {
  std::string o = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': o += "\\\""; break;
      case '\\': o += "\\\\"; break;
      case '\n': o += "\\n"; break;
      case '\t': o += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          o += buf;
        } else {
          o += char(c);
        }
    }
  }
  return o + "\"";
}

namespace {
std::string md_cell(const std::string& s) {
  std::string o;
  for (char c : s) o += (c == '|') ? std::string("\\|") : std::string(1, c);
  return o;
}
}  // namespace

std::string Table::render(Format f) const {
  std::string out;
  if (f == Format::Csv) {
    for (size_t i = 0; i < headers.size(); ++i) out += (i ? "," : "") + csv_escape(headers[i]);
    out += "\n";
    for (const auto& r : rows) {
      for (size_t i = 0; i < r.size(); ++i) out += (i ? "," : "") + csv_escape(r[i]);
      out += "\n";
    }
    return out;
  }
  if (f == Format::Json) {
    out += "{\"title\":" + json_escape(title) + ",\"rows\":[";
    for (size_t j = 0; j < rows.size(); ++j) {
      out += j ? ",{" : "{";
      for (size_t i = 0; i < headers.size() && i < rows[j].size(); ++i)
        out += (i ? "," : "") + json_escape(headers[i]) + ":" + json_escape(rows[j][i]);
      out += "}";
    }
    out += "],\"notes\":[";
    for (size_t i = 0; i < notes.size(); ++i) out += (i ? "," : "") + json_escape(notes[i]);
    return out + "]}";
  }
  if (!title.empty()) out += "### " + title + "\n\n";
  std::vector<size_t> w(headers.size(), 3);
  for (size_t i = 0; i < headers.size(); ++i) w[i] = std::max(w[i], headers[i].size());
  for (const auto& r : rows)
    for (size_t i = 0; i < r.size() && i < w.size(); ++i) w[i] = std::max(w[i], md_cell(r[i]).size());
  auto line = [&](const std::vector<std::string>& cells) {
    std::string l = "|";
    for (size_t i = 0; i < w.size(); ++i) {
      std::string c = i < cells.size() ? md_cell(cells[i]) : "";
      l += " " + c + std::string(w[i] - c.size(), ' ') + " |";
    }
    return l + "\n";
  };
  out += line(headers);
  std::string sep = "|";
  for (size_t i = 0; i < w.size(); ++i) sep += std::string(w[i] + 2, '-') + "|";
  out += sep + "\n";
  for (const auto& r : rows) out += line(r);
  if (!notes.empty()) {
    out += "\n";
    for (const auto& n : notes) out += "- " + n + "\n";
  }
  return out;
}

}  // namespace haloplan
