#include "haloplan/view/table.h"

#include <algorithm>
#include <cstdio>

#include "haloplan/planner/platform.h"
#include "haloplan/text/json_out.h"
#include "haloplan/text/json_parse.h"

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
  if (f == Format::Svg) return render_svg({*this});
  if (f == Format::Csv) {
    for (size_t i = 0; i < headers.size(); ++i) {
      if (i) out += ',';
      out += csv_escape(headers[i]);
    }
    out += "\n";
    for (const auto& r : rows) {
      for (size_t i = 0; i < r.size(); ++i) {
        if (i) out += ',';
        out += csv_escape(r[i]);
      }
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
  // Widths in characters, not bytes: "×", "–" and "µ" take one column each.
  auto width = [](const std::string& c) {
    size_t n = 0;
    for (unsigned char ch : c) n += (ch & 0xC0) != 0x80;
    return n;
  };
  std::vector<size_t> w(headers.size(), 3);
  for (size_t i = 0; i < headers.size(); ++i) w[i] = std::max(w[i], width(headers[i]));
  for (const auto& r : rows)
    for (size_t i = 0; i < r.size() && i < w.size(); ++i) w[i] = std::max(w[i], width(md_cell(r[i])));
  auto line = [&](const std::vector<std::string>& cells) {
    std::string l = "|";
    for (size_t i = 0; i < w.size(); ++i) {
      std::string c = i < cells.size() ? md_cell(cells[i]) : "";
      l += " " + c + std::string(w[i] - width(c), ' ') + " |";
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

using nlohmann::json;

std::string gib(double bytes, int decimals) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, bytes / kGiB);
  return buf;
}

std::string signed_gib(double bytes) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%+.1f", bytes / kGiB);
  return buf;
}

std::string fixed(double v, int decimals) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string tps(double v) { return v >= 100 ? fixed(v, 0) : fixed(v, 1); }

json table_json(const Table& t) {
  return {{"title", t.title}, {"headers", t.headers}, {"rows", t.rows}, {"notes", t.notes}};
}

void write_table(JsonOut& o, const Table& t, bool close) {
  o.obj().field("title", t.title).key("headers").strs(t.headers).key("rows").arr();
  for (const auto& r : t.rows) o.strs(r);
  o.end_arr().key("notes").strs(t.notes);
  if (close) o.end_obj();
}

std::optional<Table> table_from_json(const json& j) {
  auto strings = [](const json& a, std::vector<std::string>& out) {
    if (!a.is_array()) return false;
    for (const auto& x : a) {
      if (!x.is_string()) return false;
      out.push_back(x.get<std::string>());
    }
    return true;
  };
  if (!j.is_object() || !j.contains("title") || !j["title"].is_string()) return std::nullopt;
  Table t;
  t.title = j["title"].get<std::string>();
  if (!j.contains("headers") || !strings(j["headers"], t.headers)) return std::nullopt;
  if (!j.contains("rows") || !j["rows"].is_array()) return std::nullopt;
  for (const auto& r : j["rows"]) {
    std::vector<std::string> row;
    if (!strings(r, row) || row.size() != t.headers.size()) return std::nullopt;
    t.rows.push_back(std::move(row));
  }
  if (j.contains("notes") && !strings(j["notes"], t.notes)) return std::nullopt;
  return t;
}

std::optional<Table> table_from_json_text(std::string_view text) {
  std::vector<Diagnostic> d;
  const auto j = detail::parse_json(text, d, "the table");
  return j ? table_from_json(*j) : std::nullopt;
}

}  // namespace haloplan
