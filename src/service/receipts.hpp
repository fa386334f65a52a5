#pragma once
// Receipts by email and SMS (issue 13): the facts of one payment, the templates an agency can edit (files under
// TEMPLATES_DIR, Mustache), and the fan-out that turns a payment event into the email and SMS messages the outbox
// stores and delivers. Nothing here sends anything: the senders (email_sender, sms_sender) do, one message at a time.
#include <chrono>
#include <cstdint>
#include <string>

#include "core/error.hpp"
#include "service/outbox_channel.hpp"

namespace haven::service {

/// What a receipt says about one payment.
struct ReceiptFacts {
    std::string receipt_number;  // M-Pesa's receipt (STK) or TransID (C2B)
    int64_t amount = 0;
    std::string unit;
    std::string tenant_name;
    std::chrono::system_clock::time_point paid_at;  // shown in Nairobi time
    int64_t month_balance = 0;                      // the lease's balance for the month paid in (< 0: credit)
    std::string agency_name;
};

/// A receipt as rendered from the templates.
struct RenderedReceipt {
    std::string sms;
    std::string subject;
    std::string text;
    std::string html;
};

/// "KES 12,500" (thousands separators; a minus sign for a negative amount).
std::string FormatKes(int64_t amount);

/// The receipt templates: receipt-sms.txt, receipt-subject.txt, receipt.txt and receipt.html in `dir`, each
/// overridden by the same file in `dir/agency-<id>/` when that exists. Read on every render, so an edit applies
/// to the next receipt. The HTML part's values are HTML-escaped; the others are plain text.
class ReceiptTemplates {
  public:
    explicit ReceiptTemplates(std::string dir) : dir_(std::move(dir)) {}
    /// kInternal when a template is missing or is not valid Mustache (the message names the file).
    core::Result<RenderedReceipt> Render(int64_t agency_id, const ReceiptFacts& facts) const;
    const std::string& Dir() const { return dir_; }

  private:
    core::Result<std::string> Load(int64_t agency_id, const std::string& name) const;
    std::string dir_;
};

/// Which channels are configured; a channel that is not gets no messages.
struct ReceiptChannels {
    bool email = false;
    bool sms = false;
};

/// The fan-out for receipts: payment.succeeded (an STK push with a lease) and c2b.received (a C2B payment matched to
/// a lease) become an email message when the lease has an email and email is configured, and an SMS message when it
/// has a phone and SMS is configured. Other events, and payments of no lease, give none. Payloads (JSON): email
/// {"to","subject","text","html"}, SMS {"to","message"} (to: "+2547..."). recipient: the address or the MSISDN;
/// dedupe_key "<event id>:email:<address>" / "<event id>:sms:<msisdn>". The outbox sets
/// subject_key (its one key per object).
ReceiptFanOut MakeReceiptFanOut(ReceiptTemplates templates, ReceiptChannels channels);

}  // namespace haven::service
