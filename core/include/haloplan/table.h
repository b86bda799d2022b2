// A plain table that prints as Markdown, CSV or JSON (array of objects keyed by header).
#pragma once

#include <string>
#include <vector>

namespace haloplan {

enum class Format { Markdown, Csv, Json };

struct Table {
  std::string title;
  std::vector<std::string> headers;
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> notes;  // printed under the table (Markdown), kept in JSON
  std::string render(Format f) const;
};

std::string csv_escape(const std::string& s);

}  // namespace haloplan
