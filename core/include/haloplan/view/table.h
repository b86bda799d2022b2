// Layer: view. A plain table that prints as Markdown, CSV, JSON (array of objects keyed by
// header) or an SVG picture, its JSON form for the page, and the cell formatters every table shares.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace haloplan {

class JsonOut;

enum class Format { Markdown, Csv, Json, Svg };

struct Table {
  std::string title;
  std::vector<std::string> headers;
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> notes;  // printed under the table (Markdown), kept in JSON
  std::string render(Format f) const;
};

std::string csv_escape(const std::string& s);

// Tables one under the other as one standalone SVG document (core/src/view/table_svg.cpp): a
// monospace grid with the title, the headers, every row and the notes, light on white.
std::string render_svg(const std::vector<Table>& tables);

// {"title", "headers": [...], "rows": [[...], ...], "notes": [...]}: the page's form of a table.
nlohmann::json table_json(const Table& t);
// The same into a writer; close=false leaves the object open for more members.
void write_table(JsonOut& o, const Table& t, bool close = true);
// The reverse, for exports of what the page shows; nullopt if the JSON is not a table.
std::optional<Table> table_from_json(const nlohmann::json& j);
std::optional<Table> table_from_json_text(std::string_view text);  // nullopt also for broken JSON

// Cells: bytes as GiB with fixed decimals ("12.3"), signed ("+4.1"); a number with fixed
// decimals; a speed in tokens/s (no decimals from 100 up).
std::string gib(double bytes, int decimals = 1);
std::string signed_gib(double bytes);
std::string fixed(double v, int decimals = 1);
std::string tps(double v);

}  // namespace haloplan
