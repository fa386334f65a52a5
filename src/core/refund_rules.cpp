#include "core/refund_rules.hpp"

#include <string>

namespace haven::core {

Result<void> CheckSendBack(TxKind kind, const StkTransaction& original, const MoneySentBack& sent_back,
                           int64_t amount) {
    if (kind == TxKind::kStk) return Fail(ErrorCode::kValidation, "unknown transfer kind");
    const bool reversal = kind == TxKind::kReversal;
    if (original.status != TxStatus::kSuccess) {
        return Fail(ErrorCode::kUnprocessable, reversal ? "only a successful payment can be reversed"
                                                        : "only a successful payment can be refunded");
    }
    if (sent_back.reversals > 0) {
        return Fail(ErrorCode::kConflict, "this payment is already reversed (or a reversal is in progress)");
    }
    // The cap is what M-Pesa actually took, which may differ from what was asked.
    const int64_t left = original.paid_amount.value_or(original.amount) - sent_back.refunded;
    if (amount > left) {
        return Fail(ErrorCode::kUnprocessable,
                    "the amount exceeds what is left of the payment (KES " + std::to_string(left) + ")");
    }
    if (reversal && original.mpesa_receipt_number.empty()) {
        return Fail(ErrorCode::kUnprocessable, "the payment has no M-Pesa receipt to reverse");
    }
    return {};
}

}  // namespace haven::core
