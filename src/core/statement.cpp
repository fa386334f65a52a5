#include "core/statement.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>

#include "core/time.hpp"

namespace haven::core {
namespace {

// The columns we read. Any other column is ignored.
enum Field : int {
    kReceipt,
    kCompletion,
    kInitiation,
    kDetails,
    kStatus,
    kPaidIn,
    kWithdrawn,
    kAmount,
    kBalance,
    kReasonType,
    kOtherParty,
    kLinked,
    kAccountNo,
    kFieldCount,
};

constexpr std::array<std::string_view, kFieldCount> kFieldNames = {
    "Receipt No.", "Completion Time", "Initiation Time", "Details",     "Transaction Status", "Paid In",
    "Withdrawn",   "Amount",          "Balance",         "Reason Type", "Other Party Info",   "Linked Transaction ID",
    "A/C No.",
};

struct Alias {
    std::string_view name;  // normalised: lower case, single spaces, no final dot
    Field field;
};
// Header names accepted for each column (docs/statement-import.md lists them).
constexpr Alias kAliases[] = {
    {"receipt no", kReceipt},
    {"receipt", kReceipt},
    {"receipt number", kReceipt},
    {"transaction id", kReceipt},
    {"completion time", kCompletion},
    {"completion date", kCompletion},
    {"initiation time", kInitiation},
    {"details", kDetails},
    {"transaction status", kStatus},
    {"status", kStatus},
    {"paid in", kPaidIn},
    {"withdrawn", kWithdrawn},
    {"withdrawal", kWithdrawn},
    {"amount", kAmount},
    {"balance", kBalance},
    {"reason type", kReasonType},
    {"other party info", kOtherParty},
    {"other party", kOtherParty},
    {"linked transaction id", kLinked},
    {"linked transaction", kLinked},
    {"a/c no", kAccountNo},
    {"ac no", kAccountNo},
    {"account no", kAccountNo},
    {"account number", kAccountNo},
};

std::string Trim(std::string_view s) {
    size_t b = 0, e = s.size();
    while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
    while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
    return std::string(s.substr(b, e - b));
}

std::string Lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::string NormaliseHeader(std::string_view name) {
    std::string out;
    bool space = false;
    for (char c : Trim(name)) {
        if (std::isspace(static_cast<unsigned char>(c))) {
            space = true;
            continue;
        }
        if (space && !out.empty()) out += ' ';
        space = false;
        out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    while (!out.empty() && (out.back() == '.' || out.back() == ':')) out.pop_back();
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out;
}

int FieldOf(std::string_view header) {
    const std::string n = NormaliseHeader(header);
    for (const Alias& a : kAliases) {
        if (a.name == n) return a.field;
    }
    return -1;
}

bool ContainsCi(std::string_view hay, std::string_view needle) { return Lower(hay).find(needle) != std::string::npos; }
bool StartsCi(std::string_view s, std::string_view prefix) { return Lower(Trim(s)).rfind(prefix, 0) == 0; }

tl::unexpected<Error> LineError(int64_t line, std::string_view what) {
    return Fail(Error::Validation("file", fmt::format("line {}: {}", line, what)));
}

bool ValidReceipt(std::string_view r) {
    if (r.empty() || r.size() > 32) return false;
    return std::all_of(r.begin(), r.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)); });
}

}  // namespace

std::string_view StatementRowKindName(StatementRowKind kind) {
    switch (kind) {
        case StatementRowKind::kPaymentIn:
            return "payment_in";
        case StatementRowKind::kMoneyOut:
            return "money_out";
        case StatementRowKind::kCharge:
            return "charge";
        case StatementRowKind::kReversal:
            return "reversal";
        case StatementRowKind::kFailed:
            return "failed";
    }
    return "payment_in";
}

bool StatementRow::Completed() const { return Lower(Trim(status)) == "completed"; }

Result<int64_t> ParseStatementAmount(std::string_view raw) {
    std::string text = Trim(raw);
    const auto bad = [&](std::string_view why) {
        return Fail(Error::Validation("amount", fmt::format("amount \"{}\" {}", text, why)));
    };
    if (text.empty()) return bad("is empty");
    bool negative = false;
    std::string_view s = text;
    if (s.front() == '-' || s.front() == '+') {
        negative = s.front() == '-';
        s.remove_prefix(1);
    }
    const size_t dot = s.find('.');
    std::string_view whole = s.substr(0, dot);
    std::string_view frac = dot == std::string_view::npos ? std::string_view{} : s.substr(dot + 1);
    if (dot != std::string_view::npos && (frac.empty() || frac.size() > 2)) return bad("is not an amount");
    if (!std::all_of(frac.begin(), frac.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return bad("is not an amount");
    }
    if (whole.empty()) return bad("is not an amount");
    // Thousands separators: every group after the first has exactly three digits.
    int64_t value = 0;
    int digits_in_group = 0;
    bool separated = false;
    size_t digits = 0;
    for (size_t i = 0; i < whole.size(); ++i) {
        const char c = whole[i];
        if (c == ',') {
            if (i == 0 || (separated && digits_in_group != 3) || (!separated && digits_in_group > 3)) {
                return bad("has misplaced thousands separators");
            }
            separated = true;
            digits_in_group = 0;
            continue;
        }
        if (c < '0' || c > '9') return bad("is not an amount");
        if (++digits > 15) return bad("is too large");
        value = value * 10 + (c - '0');
        ++digits_in_group;
    }
    if (separated && digits_in_group != 3) return bad("has misplaced thousands separators");
    if (std::any_of(frac.begin(), frac.end(), [](char c) { return c != '0'; })) {
        return bad("has cents: M-Pesa amounts are whole shillings");
    }
    return negative ? -value : value;
}

std::optional<std::chrono::system_clock::time_point> ParseStatementTime(std::string_view raw) {
    const std::string t = Trim(raw);
    // Date part: YYYY-MM-DD or DD-MM-YYYY ('/' also accepted); then a space or 'T'; HH:MM[:SS].
    if (t.size() != 19 && t.size() != 16) return std::nullopt;
    const auto digits = [&](size_t pos, size_t n) {
        for (size_t i = pos; i < pos + n; ++i) {
            if (t[i] < '0' || t[i] > '9') return false;
        }
        return true;
    };
    const auto sep = [&](size_t pos) { return t[pos] == '-' || t[pos] == '/'; };
    std::string year, month, day;
    if (digits(0, 4) && sep(4) && digits(5, 2) && sep(7) && digits(8, 2) && t[4] == t[7]) {
        year = t.substr(0, 4), month = t.substr(5, 2), day = t.substr(8, 2);
    } else if (digits(0, 2) && sep(2) && digits(3, 2) && sep(5) && digits(6, 4) && t[2] == t[5]) {
        day = t.substr(0, 2), month = t.substr(3, 2), year = t.substr(6, 4);
    } else {
        return std::nullopt;
    }
    if (t[10] != ' ' && t[10] != 'T') return std::nullopt;
    if (!digits(11, 2) || t[13] != ':' || !digits(14, 2)) return std::nullopt;
    std::string seconds = "00";
    if (t.size() == 19) {
        if (t[16] != ':' || !digits(17, 2)) return std::nullopt;
        seconds = t.substr(17, 2);
    }
    // Daraja's yyyyMMddHHmmss is also Nairobi time: its parser checks the ranges and converts to UTC.
    return ParseDarajaTimestamp(year + month + day + t.substr(11, 2) + t.substr(14, 2) + seconds);
}

std::string VisibleDigits(std::string_view masked) {
    // Only the number: Other Party Info is "2547****149 - JANE DOE".
    const size_t dash = masked.find(" - ");
    if (dash != std::string_view::npos) masked = masked.substr(0, dash);
    std::string out;
    for (char c : masked) {
        if (c >= '0' && c <= '9') out += c;
    }
    return out;
}

bool MaskedPhoneMatches(std::string_view masked, std::string_view msisdn) {
    const size_t dash = masked.find(" - ");
    if (dash != std::string_view::npos) masked = masked.substr(0, dash);
    std::string m;
    for (char c : masked) {
        if (c != ' ') m += c;
    }
    if (m.empty() || msisdn.empty()) return false;
    // The visible head (before the first mask character) and tail (after the last one).
    const size_t first_mask = m.find_first_not_of("0123456789");
    if (first_mask == std::string::npos) return m == msisdn;
    const size_t last_mask = m.find_last_not_of("0123456789");
    const std::string head = m.substr(0, first_mask);
    const std::string tail = m.substr(last_mask + 1);
    const std::string middle = m.substr(first_mask, last_mask - first_mask + 1);
    if (middle.find_first_of("0123456789") != std::string::npos) return false;  // digits inside the mask
    if (head.size() + tail.size() < 6 || head.size() + tail.size() > msisdn.size()) return false;
    return msisdn.substr(0, head.size()) == head && msisdn.substr(msisdn.size() - tail.size()) == tail;
}

StatementParser::StatementParser(RowHandler on_row) : on_row_(std::move(on_row)) {}

Result<void> StatementParser::Feed(std::string_view chunk) {
    if (!bom_checked_ && !chunk.empty()) {
        // A UTF-8 byte order mark before the first line (spreadsheet exports add one).
        if (chunk.size() >= 3 && chunk.substr(0, 3) == "\xEF\xBB\xBF") chunk.remove_prefix(3);
        bom_checked_ = true;
    }
    for (const char c : chunk) {
        if (pending_cr_) {
            pending_cr_ = false;
            if (c == '\n') continue;  // CRLF: the record already ended at CR
        }
        if (++record_bytes_ > kMaxRecordBytes) {
            return LineError(record_line_, in_quotes_ ? "a quoted field is never closed" : "the line is too long");
        }
        if (in_quotes_) {
            if (c == '"') {
                in_quotes_ = false;
                after_quote_ = true;
            } else {
                if (c == '\n') ++line_;
                field_ += c;
            }
            continue;
        }
        if (after_quote_ && c == '"') {  // "" inside a quoted field is one quote
            field_ += '"';
            in_quotes_ = true;
            after_quote_ = false;
            continue;
        }
        if (c == ',') {
            fields_.push_back(std::move(field_));
            field_.clear();
            quote_seen_ = after_quote_ = false;
            continue;
        }
        if (c == '\n' || c == '\r') {
            fields_.push_back(std::move(field_));
            field_.clear();
            quote_seen_ = after_quote_ = false;
            if (c == '\r') pending_cr_ = true;
            if (auto r = EndRecord(); !r) return r;
            ++line_;
            record_line_ = line_;
            record_bytes_ = 0;
            continue;
        }
        if (c == '"') {
            if (quote_seen_ || !Trim(field_).empty()) return LineError(line_, "a quote inside an unquoted field");
            field_.clear();  // spaces before the opening quote
            quote_seen_ = in_quotes_ = true;
            continue;
        }
        if (after_quote_) {
            if (c == ' ' || c == '\t') continue;  // spaces after the closing quote
            return LineError(line_, "text after a closing quote");
        }
        field_ += c;
    }
    return {};
}

Result<void> StatementParser::Finish() {
    if (in_quotes_) return LineError(record_line_, "a quoted field is never closed");
    if (!field_.empty() || !fields_.empty() || quote_seen_) {
        fields_.push_back(std::move(field_));
        field_.clear();
        if (auto r = EndRecord(); !r) return r;
    }
    if (!have_header_) {
        return LineError(line_,
                         "no table header row (a row with Receipt No., Completion Time, Transaction Status "
                         "and Paid In/Withdrawn or Amount)");
    }
    return {};
}

Result<void> StatementParser::EndRecord() {
    std::vector<std::string> fields = std::move(fields_);
    fields_.clear();
    const bool blank = std::all_of(fields.begin(), fields.end(), [](const std::string& f) { return Trim(f).empty(); });
    if (blank) return {};
    if (!have_header_) return Header(fields);
    return Row(fields);
}

Result<void> StatementParser::Header(const std::vector<std::string>& fields) {
    std::vector<int> columns;
    std::array<int, kFieldCount> seen{};
    seen.fill(-1);
    for (size_t i = 0; i < fields.size(); ++i) {
        const int f = FieldOf(fields[i]);
        columns.push_back(f);
        if (f < 0) continue;
        if (seen[f] >= 0) {
            return LineError(record_line_, fmt::format("the column {} appears twice (\"{}\" and \"{}\")",
                                                       kFieldNames[f], Trim(fields[seen[f]]), Trim(fields[i])));
        }
        seen[f] = static_cast<int>(i);
    }
    if (seen[kReceipt] < 0 || seen[kCompletion] < 0) {
        // Not the header row yet: a `Label:,value` line (or anything else) before the table.
        if (record_line_ >= kMaxPreambleLines) {
            return LineError(record_line_, fmt::format("no table header row in the first {} lines (a row with "
                                                       "Receipt No. and Completion Time)",
                                                       kMaxPreambleLines));
        }
        std::string label = fields.empty() ? "" : Trim(fields[0]);
        while (!label.empty() && label.back() == ':') label.pop_back();
        std::string value;
        for (size_t i = 1; i < fields.size(); ++i) {
            if (!value.empty() && !Trim(fields[i]).empty()) value += ',';
            value += Trim(fields[i]);
        }
        preamble_.emplace_back(std::move(label), std::move(value));
        return {};
    }
    const bool amounts = seen[kAmount] >= 0 || (seen[kPaidIn] >= 0 && seen[kWithdrawn] >= 0);
    if (seen[kStatus] < 0 || !amounts) {
        return LineError(record_line_,
                         std::string("the header row lacks ") +
                             (seen[kStatus] < 0 ? "Transaction Status" : "Paid In and Withdrawn (or a single Amount)"));
    }
    if (seen[kAmount] >= 0 && (seen[kPaidIn] >= 0 || seen[kWithdrawn] >= 0)) {
        return LineError(record_line_, "the header row has both Amount and Paid In/Withdrawn");
    }
    columns_ = std::move(columns);
    header_width_ = fields.size();
    have_header_ = true;
    return {};
}

Result<void> StatementParser::Row(const std::vector<std::string>& fields) {
    size_t width = fields.size();
    // A trailing comma after the last column is tolerated.
    if (width == header_width_ + 1 && Trim(fields.back()).empty()) width = header_width_;
    if (width != header_width_) {
        return LineError(record_line_,
                         fmt::format("{} fields, but the header row has {} columns", fields.size(), header_width_));
    }
    std::array<std::string, kFieldCount> v;
    std::array<bool, kFieldCount> present{};
    for (size_t i = 0; i < width; ++i) {
        if (columns_[i] < 0) continue;
        v[columns_[i]] = Trim(fields[i]);
        present[columns_[i]] = true;
    }
    StatementRow row;
    row.line = record_line_;
    row.receipt = v[kReceipt];
    for (char& c : row.receipt) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (row.receipt.empty()) return LineError(record_line_, "Receipt No. is empty");
    if (!ValidReceipt(row.receipt)) {
        return LineError(record_line_, fmt::format("Receipt No. \"{}\" is not a receipt (letters and digits)",
                                                   v[kReceipt].substr(0, 40)));
    }
    const auto completed = ParseStatementTime(v[kCompletion]);
    if (!completed) {
        return LineError(record_line_,
                         fmt::format("Completion Time \"{}\" is not YYYY-MM-DD HH:MM:SS or DD-MM-YYYY HH:MM:SS",
                                     v[kCompletion].substr(0, 40)));
    }
    row.completed_at = *completed;
    if (present[kInitiation] && !v[kInitiation].empty()) {
        row.initiated_at = ParseStatementTime(v[kInitiation]);
        if (!row.initiated_at) {
            return LineError(record_line_, fmt::format("Initiation Time \"{}\" is not a date and time",
                                                       v[kInitiation].substr(0, 40)));
        }
    }
    row.details = v[kDetails];
    row.status = v[kStatus];
    if (row.status.empty()) return LineError(record_line_, "Transaction Status is empty");
    row.reason_type = v[kReasonType];
    row.other_party = v[kOtherParty];
    row.linked_receipt = v[kLinked];
    for (char& c : row.linked_receipt) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    row.account_no = v[kAccountNo];

    const auto amount = [&](Field f) -> Result<int64_t> {
        if (v[f].empty()) return 0;
        auto a = ParseStatementAmount(v[f]);
        if (!a) return LineError(record_line_, fmt::format("{}: {}", kFieldNames[f], a.error().message));
        return *a;
    };
    if (present[kAmount]) {
        auto a = amount(kAmount);
        if (!a) return tl::unexpected(a.error());
        (*a >= 0 ? row.paid_in : row.withdrawn) = *a >= 0 ? *a : -*a;
    } else {
        auto in = amount(kPaidIn);
        if (!in) return tl::unexpected(in.error());
        auto out = amount(kWithdrawn);
        if (!out) return tl::unexpected(out.error());
        if (*in < 0) return LineError(record_line_, "Paid In is negative");
        row.paid_in = *in;
        row.withdrawn = *out < 0 ? -*out : *out;  // some exports print withdrawals negative
        if (row.paid_in != 0 && row.withdrawn != 0) {
            return LineError(record_line_, "both Paid In and Withdrawn have an amount");
        }
    }
    if (present[kBalance] && !v[kBalance].empty()) {
        auto b = amount(kBalance);
        if (!b) return tl::unexpected(b.error());
        row.balance = *b;
    }

    const std::string status = Lower(row.status);
    if (status == "failed" || status == "cancelled" || status == "canceled" || status == "declined" ||
        status == "expired") {
        row.kind = StatementRowKind::kFailed;
        row.paid_in = row.withdrawn = 0;  // a failed row moves no money
    } else if (status != "completed") {
        return LineError(record_line_, fmt::format("Transaction Status \"{}\" is not Completed, Failed or Cancelled",
                                                   row.status.substr(0, 40)));
    } else if (ContainsCi(row.reason_type, "charge")) {
        row.kind = StatementRowKind::kCharge;
    } else if (StartsCi(row.reason_type, "reversal") || StartsCi(row.details, "reversal")) {
        row.kind = StatementRowKind::kReversal;
    } else if (row.paid_in > 0) {
        row.kind = StatementRowKind::kPaymentIn;
    } else if (row.withdrawn > 0) {
        row.kind = StatementRowKind::kMoneyOut;
    } else {
        return LineError(record_line_, "a Completed row with no amount in Paid In or Withdrawn");
    }
    ++rows_;
    return on_row_(row);
}

Result<int64_t> ParseStatement(std::istream& in, const StatementParser::RowHandler& on_row,
                               const std::function<void(int64_t)>& on_bytes) {
    StatementParser parser(on_row);
    std::string buffer(64 * 1024, '\0');
    int64_t total = 0;
    while (in) {
        in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
        const std::streamsize n = in.gcount();
        if (n <= 0) break;
        total += n;
        if (auto r = parser.Feed(std::string_view(buffer.data(), static_cast<size_t>(n))); !r) {
            return tl::unexpected(r.error());
        }
        if (on_bytes) on_bytes(total);
    }
    if (in.bad()) return Fail(ErrorCode::kValidation, "the file could not be read");
    if (auto r = parser.Finish(); !r) return tl::unexpected(r.error());
    return parser.rows();
}

}  // namespace haven::core
