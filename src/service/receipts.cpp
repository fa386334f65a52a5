#include "service/receipts.hpp"

#include <ctime>
#include <filesystem>
#include <fstream>
#include <kainjow/mustache.hpp>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/rent_roll.hpp"
#include "core/time.hpp"
#include "storage/store.hpp"

namespace haven::service {

namespace {

using core::ErrorCode;
using nlohmann::json;
namespace mustache = kainjow::mustache;

constexpr const char* kSmsFile = "receipt-sms.txt";
constexpr const char* kSubjectFile = "receipt-subject.txt";
constexpr const char* kTextFile = "receipt.txt";
constexpr const char* kHtmlFile = "receipt.html";

constexpr const char* kMonths[] = {"January", "February", "March",     "April",   "May",      "June",
                                   "July",    "August",   "September", "October", "November", "December"};

std::tm NairobiTm(std::chrono::system_clock::time_point t) {
    const std::time_t secs = std::chrono::system_clock::to_time_t(t + core::kEatOffset);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    return tm;
}

/// A one-line part (the SMS, the subject): the file's line breaks become spaces, outer blanks go.
std::string OneLine(std::string text) {
    for (char& c : text) {
        if (c == '\n' || c == '\r') c = ' ';
    }
    const auto first = text.find_first_not_of(' ');
    if (first == std::string::npos) return {};
    return text.substr(first, text.find_last_not_of(' ') - first + 1);
}

mustache::data Values(const ReceiptFacts& f) {
    const std::tm tm = NairobiTm(f.paid_at);
    const std::string month_name = kMonths[tm.tm_mon];
    const std::string year = std::to_string(tm.tm_year + 1900);
    char time[8];
    std::snprintf(time, sizeof time, "%02d:%02d", tm.tm_hour, tm.tm_min);
    mustache::data d;
    d.set("receipt_number", f.receipt_number);
    d.set("amount", FormatKes(f.amount));
    d.set("unit", f.unit);
    d.set("tenant_name", f.tenant_name);
    d.set("date", std::to_string(tm.tm_mday) + " " + month_name.substr(0, 3) + " " + year);
    d.set("time", std::string(time));
    d.set("month", month_name + " " + year);
    d.set("month_short", month_name.substr(0, 3) + " " + year);
    d.set("balance", FormatKes(f.month_balance < 0 ? -f.month_balance : f.month_balance));
    d.set("owing", f.month_balance > 0);
    d.set("settled", f.month_balance == 0);
    d.set("credit", f.month_balance < 0);
    d.set("agency_name", f.agency_name);
    return d;
}

/// What the fan-out needs of the payment an event is about; std::nullopt when it is no lease's payment.
struct PaidLease {
    int64_t lease_id = 0;
    std::string receipt_number;
    int64_t amount = 0;
    std::string paid_at;  // ISO-8601 UTC
};

core::Result<std::optional<PaidLease>> FindPaidLease(storage::Store& store, int64_t agency_id,
                                                     const storage::OutboxEvent& event) {
    if (event.type == "payment.succeeded" && event.subject_kind == "stk") {
        auto tx = store.FindStk(agency_id, event.subject_id);
        if (!tx) return core::Fail(tx.error());
        if (!tx->lease_id || tx->status != core::TxStatus::kSuccess) return std::optional<PaidLease>();
        return std::optional<PaidLease>(PaidLease{*tx->lease_id, tx->mpesa_receipt_number,
                                                  tx->paid_amount.value_or(tx->amount),
                                                  tx->completed_at.empty() ? tx->updated_at : tx->completed_at});
    }
    if (event.type == "c2b.received" && event.subject_kind == "c2b") {
        auto payment = store.FindC2bPayment(agency_id, event.subject_id);
        if (!payment) return core::Fail(payment.error());
        if (!payment->lease_id || payment->status != "matched") return std::optional<PaidLease>();
        return std::optional<PaidLease>(
            PaidLease{*payment->lease_id, payment->trans_id, payment->amount,
                      payment->completed_at.empty() ? payment->created_at : payment->completed_at});
    }
    return std::optional<PaidLease>();
}

/// The lease's balance for the Nairobi month it was paid in, as the rent roll of that month shows it.
core::Result<int64_t> MonthBalance(storage::Store& store, const core::Lease& lease,
                                   std::chrono::system_clock::time_point paid_at) {
    const core::YearMonth month = core::NairobiMonthOf(paid_at);
    auto sums = store.SumRentRoll(lease.agency_id, core::NairobiMonthStartUtc(month),
                                  core::NairobiMonthStartUtc(core::NextMonth(month)));
    if (!sums) return core::Fail(sums.error());
    auto found = sums->find(lease.id);
    const storage::Store::LeaseRentSums none;
    const auto& sum = found == sums->end() ? none : found->second;
    return core::ComputeRentLine(lease, month, sum.money, core::NairobiDayOf(paid_at)).balance;
}

}  // namespace

std::string FormatKes(int64_t amount) {
    const bool negative = amount < 0;
    // Unsigned: the magnitude of INT64_MIN does not fit an int64_t.
    const std::string digits =
        std::to_string(negative ? 0 - static_cast<uint64_t>(amount) : static_cast<uint64_t>(amount));
    std::string grouped;
    for (size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0) grouped += ',';
        grouped += digits[i];
    }
    return std::string("KES ") + (negative ? "-" : "") + grouped;
}

core::Result<std::string> ReceiptTemplates::Load(int64_t agency_id, const std::string& name) const {
    namespace fs = std::filesystem;
    std::error_code ec;
    fs::path own = fs::path(dir_) / ("agency-" + std::to_string(agency_id)) / name;
    fs::path path = fs::is_regular_file(own, ec) ? own : fs::path(dir_) / name;
    std::ifstream in(path, std::ios::binary);
    if (!in) return core::Fail(ErrorCode::kInternal, "receipt template " + path.string() + " cannot be read");
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

core::Result<RenderedReceipt> ReceiptTemplates::Render(int64_t agency_id, const ReceiptFacts& facts) const {
    const mustache::data values = Values(facts);
    auto render = [&](const char* name, bool html) -> core::Result<std::string> {
        auto text = Load(agency_id, name);
        if (!text) return core::Fail(text.error());
        mustache::mustache tmpl(*text);
        if (!html) tmpl.set_custom_escape([](const std::string& s) { return s; });
        if (!tmpl.is_valid()) {
            return core::Fail(ErrorCode::kInternal,
                              std::string("receipt template ") + name + ": " + tmpl.error_message());
        }
        std::string out = tmpl.render(values);
        if (!tmpl.is_valid()) {
            return core::Fail(ErrorCode::kInternal,
                              std::string("receipt template ") + name + ": " + tmpl.error_message());
        }
        return out;
    };
    RenderedReceipt r;
    auto sms = render(kSmsFile, false);
    if (!sms) return core::Fail(sms.error());
    auto subject = render(kSubjectFile, false);
    if (!subject) return core::Fail(subject.error());
    auto text = render(kTextFile, false);
    if (!text) return core::Fail(text.error());
    auto html = render(kHtmlFile, true);
    if (!html) return core::Fail(html.error());
    r.sms = OneLine(std::move(*sms));
    r.subject = OneLine(std::move(*subject));
    r.text = std::move(*text);
    r.html = std::move(*html);
    return r;
}

ReceiptFanOut MakeReceiptFanOut(ReceiptTemplates templates, ReceiptChannels channels) {
    return [templates = std::move(templates), channels](
               storage::Store& store,
               const storage::OutboxEvent& event) -> core::Result<std::vector<storage::OutboxMessage>> {
        std::vector<storage::OutboxMessage> out;
        if (!channels.email && !channels.sms) return out;
        if (!event.agency_id) return out;
        const int64_t agency_id = *event.agency_id;
        auto paid = FindPaidLease(store, agency_id, event);
        if (!paid) return core::Fail(paid.error());
        if (!*paid) return out;
        auto lease = store.FindLease(agency_id, (*paid)->lease_id);
        if (!lease) return core::Fail(lease.error());
        const bool email = channels.email && !lease->email.empty();
        const bool sms = channels.sms && !lease->phone_number.empty();
        if (!email && !sms) return out;

        auto agency = store.FindAgency(agency_id);
        if (!agency) return core::Fail(agency.error());
        const auto paid_at = core::ParseIsoUtc((*paid)->paid_at).value_or(std::chrono::system_clock::now());
        auto balance = MonthBalance(store, *lease, paid_at);
        if (!balance) return core::Fail(balance.error());
        ReceiptFacts facts{
            (*paid)->receipt_number, (*paid)->amount, lease->unit, lease->tenant_name, paid_at, *balance, agency->name};
        auto receipt = templates.Render(agency_id, facts);
        if (!receipt) return core::Fail(receipt.error());

        auto message = [&](const std::string& channel, const std::string& recipient, json payload) {
            storage::OutboxMessage m;
            m.event_id = event.id;
            m.agency_id = agency_id;
            m.channel = channel;
            m.recipient = recipient;
            m.dedupe_key = std::to_string(event.id) + ":" + channel + ":" + recipient;
            m.payload = payload.dump(-1, ' ', false, json::error_handler_t::replace);
            return m;
        };
        if (email) {
            out.push_back(message("email", lease->email,
                                  {{"to", lease->email},
                                   {"subject", receipt->subject},
                                   {"text", receipt->text},
                                   {"html", receipt->html}}));
        }
        if (sms) {
            out.push_back(
                message("sms", lease->phone_number, {{"to", "+" + lease->phone_number}, {"message", receipt->sms}}));
        }
        return out;
    };
}

}  // namespace haven::service
