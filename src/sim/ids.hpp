#pragma once
// Identifier generators in Daraja's formats (docs/daraja.md §1.5). Thread-safe; randomness is seeded so
// tests can be repeatable.
#include <cstdint>
#include <mutex>
#include <random>
#include <string>

#include "sim/wire.hpp"

namespace haven::sim {

class IdGenerator {
  public:
    /// seed 0 = seed from std::random_device.
    explicit IdGenerator(uint64_t seed = 0);

    /// "8b6c-4d1a-9e2f-6a1b3c5d7e9f1042173": last four UUID groups + a decimal counter.
    /// Used for MerchantRequestID, server-made OriginatorConversationID and error requestId.
    std::string RequestStyleId();
    /// "ws_CO_" + ddMMyyyyHHmmss + 3-digit ms + last 9 digits of the MSISDN.
    std::string CheckoutRequestId(TimePoint now, const std::string& msisdn);
    /// "AG_" + yyyyMMdd + "_" + 20 lowercase hex.
    std::string ConversationId(TimePoint now);
    /// 10-char receipt: year letter, month letter, day char, 7 random uppercase alphanumerics.
    std::string Receipt(TimePoint now);
    /// Receipt-style 3-char prefix + "0000000" (TransactionID on non-financial results).
    std::string ZeroReceipt(TimePoint now);
    /// ~28-char alphanumeric OAuth access token.
    std::string AccessToken();
    /// Random alphanumeric/hex helpers.
    std::string Hex(size_t n);

    /// The 3-char date prefix of receipts, e.g. "TFE" for 2025-06-14 (EAT).
    static std::string ReceiptPrefix(TimePoint now);

  private:
    std::string Pick(const char* alphabet, size_t alphabet_size, size_t n);

    std::mutex mu_;
    std::mt19937_64 rng_;
    uint64_t counter_;
};

}  // namespace haven::sim
