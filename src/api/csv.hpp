#pragma once
// CSV exports (audit log, rent roll, reconciliation report): one cell per RFC 4180, with one guard against formula
// injection.
#include <string>
#include <string_view>

namespace haven::api {

/// One CSV cell: quoted when it holds a comma, a quote or a line break, quotes doubled. A cell a spreadsheet would
/// run as a formula (starting = + - @, or a tab or carriage return) gets a leading apostrophe, so a name or reason
/// typed as "=HYPERLINK(...)" stays text when the export is opened.
inline std::string CsvCell(std::string_view text) {
    std::string cell;
    if (!text.empty() && std::string_view("=+-@\t\r").find(text.front()) != std::string_view::npos) cell = "'";
    cell.append(text);
    if (cell.find_first_of(",\"\r\n") == std::string::npos) return cell;
    std::string quoted = "\"";
    for (char c : cell) {
        if (c == '"') quoted += '"';
        quoted += c;
    }
    return quoted + '"';
}

}  // namespace haven::api
