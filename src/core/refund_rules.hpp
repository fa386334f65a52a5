#pragma once
// The money rules for sending back a received STK payment, stated once: who may refund or reverse
// what, and how much. Pure: the store reads the facts (under a lock) and asks these functions.
#include <cstdint>

#include "core/error.hpp"
#include "core/models.hpp"

namespace haven::core {

/// What already left one STK payment: refunds that did not fail (pending ones count: that money is on
/// its way out) and reversals that did not fail (a pending one may still succeed).
struct MoneySentBack {
    int64_t refunded = 0;
    int64_t reversals = 0;
};

/// Whether a transfer of `kind` (kB2c with an original = a refund, or kReversal) of `amount` may be
/// made against `original`, the agency's STK transaction it points at:
/// - the original must be SUCCESS (kUnprocessable);
/// - not already reversed or being reversed (kConflict);
/// - the amount never exceeds what M-Pesa took (paid_amount, else amount) minus the refunds already
///   made (kUnprocessable, the message names what is left);
/// - a reversal needs the original's M-Pesa receipt (kUnprocessable).
/// A kStk kind is kValidation: an STK push is not a transfer.
Result<void> CheckSendBack(TxKind kind, const StkTransaction& original, const MoneySentBack& sent_back, int64_t amount);

}  // namespace haven::core
