#pragma once
// The M-Pesa business portal statement (the org portal's CSV export), read as a stream: a few `Label:,value`
// lines, then the table's header row, then one row per movement. Column names are matched leniently (what is
// accepted is listed in docs/statement-import.md); amounts become whole shillings and times UTC instants.
// A malformed file is an error naming its line number. Nothing here holds more than one record in memory.
#include <chrono>
#include <cstdint>
#include <functional>
#include <istream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace haven::core {

/// What a statement row is, decided in this order: a Failed/Cancelled row moves no money (kFailed); a Reason
/// Type containing "Charge" is a fee (kCharge, tied to Linked Transaction ID); a Reason Type or Details starting
/// with "Reversal" is a reversal (kReversal); otherwise money in (Paid In, or a positive Amount) or out.
enum class StatementRowKind { kPaymentIn, kMoneyOut, kCharge, kReversal, kFailed };

std::string_view StatementRowKindName(StatementRowKind kind);

struct StatementRow {
    int64_t line = 0;  // 1-based line of the file where the row starts
    std::string receipt;
    std::chrono::system_clock::time_point completed_at;  // UTC
    std::optional<std::chrono::system_clock::time_point> initiated_at;
    std::string details;
    std::string status;  // as printed: Completed | Failed | Cancelled | ...
    std::string reason_type;
    std::string other_party;  // e.g. "2547****149 - JANE DOE" (masked as exported)
    std::string linked_receipt;
    std::string account_no;  // A/C No.: the BillRefNumber or the STK AccountReference
    int64_t paid_in = 0;     // whole shillings, >= 0
    int64_t withdrawn = 0;   // whole shillings, >= 0
    std::optional<int64_t> balance;
    StatementRowKind kind = StatementRowKind::kPaymentIn;

    /// The money the row moved (paid in or withdrawn), 0 for a failed row.
    int64_t Amount() const { return paid_in != 0 ? paid_in : withdrawn; }
    /// "Completed" in any case.
    bool Completed() const;
};

/// Incremental parser: Feed() any chunks of the file (split anywhere, even inside a quoted field), then
/// Finish(). Each complete table row is handed to the callback as soon as its line ends; a callback error
/// stops the parse and is returned. Errors are kValidation with a message "line N: ...".
class StatementParser {
  public:
    using RowHandler = std::function<Result<void>(const StatementRow&)>;
    explicit StatementParser(RowHandler on_row);

    Result<void> Feed(std::string_view chunk);
    Result<void> Finish();

    /// Rows handed to the callback so far.
    int64_t rows() const { return rows_; }
    /// The header lines before the table, e.g. {"Organization Short Code", "600977"}.
    const std::vector<std::pair<std::string, std::string>>& preamble() const { return preamble_; }

    /// How many lines before the header row are tolerated before the file is judged not a statement.
    static constexpr int64_t kMaxPreambleLines = 100;
    /// Longest record accepted (a guard against a file with an unterminated quote).
    static constexpr size_t kMaxRecordBytes = 64 * 1024;

  private:
    Result<void> EndRecord();
    Result<void> Header(const std::vector<std::string>& fields);
    Result<void> Row(const std::vector<std::string>& fields);

    RowHandler on_row_;
    std::vector<std::string> fields_;  // the record being read
    std::string field_;
    bool in_quotes_ = false;
    bool quote_seen_ = false;  // the current field was quoted (a quote in a quoted field may be "")
    bool after_quote_ = false;
    bool pending_cr_ = false;
    bool bom_checked_ = false;
    size_t record_bytes_ = 0;
    int64_t line_ = 1;         // the line being read
    int64_t record_line_ = 1;  // where the current record started
    bool have_header_ = false;
    std::vector<int> columns_;  // column index -> field id (or -1 ignored)
    size_t header_width_ = 0;
    int64_t rows_ = 0;
    std::vector<std::pair<std::string, std::string>> preamble_;
};

/// Reads a whole stream through a StatementParser in chunks of 64 KiB. on_bytes (optional) is told the bytes
/// read so far after each chunk (for a progress bar).
Result<int64_t> ParseStatement(std::istream& in, const StatementParser::RowHandler& on_row,
                               const std::function<void(int64_t)>& on_bytes = {});

/// Parses a statement amount into whole shillings: "1,000.00", "750", "-2,000.00" (sign kept), "1000.0".
/// Thousands separators must group three digits. A non-zero fraction ("10.50") is an error.
Result<int64_t> ParseStatementAmount(std::string_view text);

/// Parses a Completion/Initiation Time, Nairobi time, into UTC: "YYYY-MM-DD HH:MM:SS" or "DD-MM-YYYY HH:MM:SS"
/// (also with '/' as the date separator, or without seconds).
std::optional<std::chrono::system_clock::time_point> ParseStatementTime(std::string_view text);

/// The digits a masked number shows, in order, e.g. "2547****149 - JANE" -> "2547149". Used to compare a masked
/// Other Party Info with a full number: see MaskedPhoneMatches.
std::string VisibleDigits(std::string_view masked);

/// Whether a masked number ("2547****149", "2547 ***** 149", "254712345149") may be the full number msisdn
/// (2547XXXXXXXX): every visible digit agrees at its position, aligning the visible prefix at the start and
/// the visible suffix at the end. Requires at least 6 visible digits.
bool MaskedPhoneMatches(std::string_view masked, std::string_view msisdn);

}  // namespace haven::core
