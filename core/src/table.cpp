#include "haloplan/table.h"

#include <algorithm>

#include "haloplan/json_out.h"

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
    JsonOut o;
    o.obj().field("title", title).key("rows").arr();
    for (const auto& r : rows) {
      o.obj();
      for (size_t i = 0; i < headers.size() && i < r.size(); ++i) o.field(headers[i], r[i]);
      o.end_obj();
    }
    o.end_arr().key("notes").strs(notes).end_obj();
    return o.take();
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
