#include "core/result_codes.hpp"

#include <array>

namespace haven::core {
namespace {

struct CodeEntry {
    std::string_view code;
    std::string_view outcome;      // for STK (tenant) descriptions
    std::string_view b2c_outcome;  // for B2C/admin descriptions; empty = same as outcome
    bool retryable;
    std::string_view tenant_message;
    std::string_view admin_message;
};

// clang-format off
constexpr std::array kCodes = {
    CodeEntry{"0", "SUCCESS", "", false,
        "Payment received. Thank you! M-Pesa will send you a confirmation SMS.",
        "The request was completed successfully."},
    CodeEntry{"1", "INSUFFICIENT_FUNDS", "", true,
        "Your M-Pesa balance is too low for this payment. No money was taken. Top up your M-Pesa, then tap Retry.",
        "Not enough money in the B2C utility account. Move funds into the utility account on the M-Pesa org "
        "portal, then retry the payout."},
    CodeEntry{"2", "BELOW_MINIMUM", "", false,
        "The amount is below the M-Pesa minimum. No money was taken. Enter a larger amount and try again.",
        "The amount is below the M-Pesa minimum for this transaction type (B2C minimum is KES 10). "
        "Increase the amount."},
    CodeEntry{"3", "ABOVE_MAXIMUM", "", false,
        "The amount is above the M-Pesa limit for one payment (KES 250,000). No money was taken. "
        "Pay in smaller parts.",
        "The amount is above the M-Pesa maximum per transaction (KES 250,000). Split it into smaller payouts."},
    CodeEntry{"4", "DAILY_LIMIT_EXCEEDED", "", false,
        "This payment would go over your daily M-Pesa limit. No money was taken. Try again tomorrow or pay a "
        "smaller amount.",
        "The transaction would exceed a daily M-Pesa transfer limit. Retry tomorrow or send a smaller amount."},
    CodeEntry{"5", "MINIMUM_BALANCE", "", false,
        "This payment would take your M-Pesa below its minimum balance. No money was taken. Top up your M-Pesa, "
        "then tap Retry.",
        "The transaction would take the paying account below its minimum balance. Top up the utility account, "
        "then retry."},
    CodeEntry{"6", "UNRESOLVED_PRIMARY_PARTY", "", false,
        "M-Pesa could not identify the paying account. No money was taken. Check the phone number and try again.",
        "M-Pesa could not resolve the initiating party (your shortcode). Check the shortcode in the Daraja "
        "settings."},
    CodeEntry{"7", "UNRESOLVED_RECEIVER_PARTY", "", false,
        "M-Pesa could not identify the account receiving this payment. No money was taken. Please contact your "
        "agency.",
        "M-Pesa could not resolve the receiving party. Check the recipient phone number or shortcode."},
    CodeEntry{"8", "MAX_BALANCE_EXCEEDED", "", false,
        "The receiving account has reached its maximum balance. No money was taken. Please contact your agency.",
        "The recipient's M-Pesa account would go over its maximum balance (KES 500,000). Send a smaller amount "
        "or ask the recipient to reduce their balance."},
    CodeEntry{"11", "ACCOUNT_INVALID_STATE", "", false,
        "The account receiving this payment cannot accept money right now. No money was taken. Please contact "
        "your agency.",
        "Your organisation's M-Pesa account (the debit party) is in an invalid state, for example inactive. "
        "Contact Safaricom to reactivate it."},
    CodeEntry{"12", "CREDIT_ACCOUNT_INVALID", "", false,
        "The account receiving this payment is not valid. No money was taken. Please contact your agency.",
        "The credit account is invalid. Check the recipient details."},
    CodeEntry{"13", "UNRESOLVED_DEBIT_ACCOUNT", "", false,
        "M-Pesa could not find the account to take the payment from. No money was taken. Check the phone number "
        "and try again.",
        "M-Pesa could not resolve the debit account. Check your shortcode and its products with Safaricom."},
    CodeEntry{"14", "UNRESOLVED_CREDIT_ACCOUNT", "", false,
        "M-Pesa could not find the account receiving this payment. No money was taken. Please contact your agency.",
        "M-Pesa could not resolve the credit account. Check the recipient phone number or shortcode."},
    CodeEntry{"15", "DUPLICATE", "", false,
        "M-Pesa treated this as a repeat of an earlier request. Check your M-Pesa messages before paying again.",
        "M-Pesa rejected this as a duplicate (the OriginatorConversationID was already used). Check whether the "
        "first request went through before sending a new one."},
    CodeEntry{"17", "RULE_LIMITED", "", true,
        "M-Pesa blocked this because the same amount was just requested from this number. No money was taken. "
        "Wait 2 minutes, then tap Retry.",
        "M-Pesa declined the request (rule limit or internal failure). Wait a few minutes, then retry."},
    CodeEntry{"18", "INITIATOR_CREDENTIAL_FAILURE", "", false,
        "The payment could not be processed because of a setup problem on the agency's side. No money was taken. "
        "Please contact your agency.",
        "Initiator credential check failed: the SecurityCredential does not match the initiator password. "
        "Regenerate it with the right (sandbox or production) certificate."},
    CodeEntry{"20", "UNRESOLVED_INITIATOR", "", false,
        "The payment could not be processed because of a setup problem on the agency's side. No money was taken. "
        "Please contact your agency.",
        "The initiator name is unknown to M-Pesa. Check the initiator username in the Daraja settings."},
    CodeEntry{"21", "INITIATOR_NOT_ALLOWED", "", false,
        "The payment could not be processed because of a setup problem on the agency's side. No money was taken. "
        "Please contact your agency.",
        "The initiator is not allowed to make this request. Ask your M-Pesa org portal administrator to give the "
        "initiator the required API role."},
    CodeEntry{"24", "INVALID_REQUEST", "", false,
        "The payment request was incomplete. No money was taken. Please try again; if it keeps failing, contact "
        "your agency.",
        "M-Pesa reported missing mandatory fields in the request. Check the payout details and the gateway "
        "configuration."},
    CodeEntry{"25", "INVALID_REQUEST", "", false,
        "The payment request was not valid. No money was taken. Please try again; if it keeps failing, contact "
        "your agency.",
        "M-Pesa reported invalid request parameters. Check the payout details and the gateway configuration."},
    CodeEntry{"26", "SYSTEM_BUSY", "", true,
        "M-Pesa is busy right now. No money was taken. Please try again in a few minutes.",
        "M-Pesa is blocking traffic because the system is busy. Retry in a few minutes."},
    CodeEntry{"29", "INVALID_REQUEST", "", false,
        "The payment request was not valid. No money was taken. Please try again; if it keeps failing, contact "
        "your agency.",
        "M-Pesa reported an invalid command. Check the CommandID configured for this request."},
    CodeEntry{"1001", "SUBSCRIBER_BUSY", "", true,
        "Your phone already has another M-Pesa request open. No money was taken. Finish or close it, then tap "
        "Retry.",
        "The customer's phone already had an M-Pesa session open. Retry shortly."},
    CodeEntry{"1019", "EXPIRED", "", true,
        "The M-Pesa prompt expired before it was completed. No money was taken. Tap Retry and enter your PIN when "
        "the prompt appears.",
        "The transaction expired before it was completed."},
    CodeEntry{"1025", "PUSH_FAILED", "", true,
        "We could not send the M-Pesa prompt to your phone. No money was taken. Check that your phone is on and "
        "has network, then tap Retry.",
        "M-Pesa could not send the push request (the prompt text may be too long). Shorten the account reference "
        "and description, then retry."},
    CodeEntry{"1032", "CANCELLED", "", true,
        "You cancelled the M-Pesa prompt. No money was taken. Tap Retry to try again.",
        "The request was cancelled by the customer."},
    CodeEntry{"1037", "TIMEOUT", "", true,
        "We could not reach your phone or there was no answer to the M-Pesa prompt. No money was taken. Make sure "
        "your phone is on, unlocked and has network, then tap Retry.",
        "The customer's phone could not be reached in time."},
    CodeEntry{"2001", "WRONG_PIN", "INITIATOR_INVALID", true,
        "The M-Pesa PIN entered was wrong. No money was taken. Tap Retry and enter your correct PIN.",
        "The initiator credentials are invalid: check the initiator name and password, and that the "
        "SecurityCredential was encrypted with the matching (sandbox or production) certificate."},
    CodeEntry{"2006", "ACCOUNT_RULE_DECLINED", "", false,
        "M-Pesa declined this because of your account's status. No money was taken. Call Safaricom customer care "
        "on 100 for help.",
        "The account status does not allow this transaction (the recipient's or your organisation's account may "
        "be frozen or dormant). Contact Safaricom."},
    CodeEntry{"2028", "NOT_PERMITTED", "", false,
        "This payment is not allowed for the agency's M-Pesa account. No money was taken. Please contact your "
        "agency.",
        "The request is not permitted by the shortcode's product assignment. Check the CommandID / TransactionType "
        "and ask Safaricom to enable the product."},
    CodeEntry{"2040", "UNSUPPORTED_CUSTOMER_TYPE", "UNREGISTERED_RECIPIENT", false,
        "This M-Pesa line cannot be used for this payment. No money was taken. Use a registered M-Pesa number.",
        "The recipient is not a registered M-Pesa customer and cannot receive this payment."},
    CodeEntry{"8006", "CREDENTIAL_LOCKED", "", false,
        "Your M-Pesa PIN is locked after too many wrong tries. No money was taken. Dial 100 or visit a Safaricom "
        "shop to unlock it, then try again.",
        "The initiator's security credential is locked. Reset the initiator password on the M-Pesa org portal and "
        "regenerate the SecurityCredential."},
    CodeEntry{"9999", "PUSH_FAILED", "", true,
        "We could not send the M-Pesa prompt to your phone. No money was taken. Check that your phone is on and "
        "has network, then tap Retry.",
        "M-Pesa reported an error while sending the request. Retry shortly."},
    CodeEntry{"SFC_IC0003", "OPERATOR_NOT_FOUND", "", false,
        "M-Pesa could not find this phone number. No money was taken. Check that it is your Safaricom M-Pesa "
        "number and try again.",
        "M-Pesa does not recognise the operator or recipient. Check the phone number, PartyB and the "
        "transaction type."},
    CodeEntry{"R000001", "ALREADY_REVERSED", "", false,
        "This payment has already been reversed. Please contact your agency if you have questions.",
        "The transaction has already been reversed; nothing more to do."},
    CodeEntry{"R000002", "INVALID_ORIGINAL_TRANSACTION", "", false,
        "The original M-Pesa payment could not be found. Please contact your agency.",
        "The original M-Pesa transaction ID is invalid. Check the receipt number and retry the reversal."},
};
// clang-format on

std::string_view Trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
        s.remove_suffix(1);
    }
    return s;
}

const CodeEntry* Find(std::string_view code) {
    code = Trim(code);
    for (const auto& entry : kCodes) {
        if (entry.code == code) return &entry;
    }
    return nullptr;
}

}  // namespace

ResultInfo DescribeResultCode(std::string_view code) {
    const CodeEntry* entry = Find(code);
    if (entry == nullptr) {
        return ResultInfo{"UNKNOWN_ERROR",
                          "The payment did not go through. If M-Pesa sent you a confirmation SMS, do not pay again "
                          "and contact your agency; otherwise tap Retry.",
                          true, true};
    }
    bool success = entry->code == "0";
    return ResultInfo{std::string(entry->outcome), std::string(entry->tenant_message), !success, entry->retryable};
}

ResultInfo DescribeB2cResultCode(std::string_view code) {
    const CodeEntry* entry = Find(code);
    if (entry == nullptr) {
        return ResultInfo{"UNKNOWN_ERROR",
                          "M-Pesa returned a result code the gateway does not recognise. Check the transaction "
                          "status before retrying, so the money is not sent twice.",
                          true, false};
    }
    bool success = entry->code == "0";
    std::string_view outcome = entry->b2c_outcome.empty() ? entry->outcome : entry->b2c_outcome;
    return ResultInfo{std::string(outcome), std::string(entry->admin_message), !success,
                      entry->code == "2001" ? false : entry->retryable};
}

std::vector<std::string_view> KnownResultCodes() {
    std::vector<std::string_view> codes;
    codes.reserve(kCodes.size());
    for (const auto& entry : kCodes) codes.push_back(entry.code);
    return codes;
}

}  // namespace haven::core
