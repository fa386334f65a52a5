#pragma once
// An agency's own M-Pesa account (issue 12): the account columns of mpesa_accounts. Secrets are stored
// sealed (service/sealed.hpp); the store never sees them in clear. The C2B columns of the same row belong to
// the C2B settings and are not part of this record.
#include <cstdint>
#include <string>

namespace haven::storage {

struct MpesaAccount {
    int64_t agency_id = 0;
    std::string shortcode;    // paybill (or till head office) for STK; "" = the agency has no account of its own
    std::string till_number;  // buy goods till (PartyB when transaction_type is CustomerBuyGoodsOnline); "" = none
    std::string transaction_type = "CustomerPayBillOnline";
    std::string b2c_shortcode;  // PartyA of B2C, balance and B2C status queries; "" = shortcode
    std::string initiator_name;
    std::string consumer_key_sealed;
    std::string consumer_secret_sealed;
    std::string passkey_sealed;
    std::string initiator_secret_sealed;             // "" = no initiator (B2C, reversal, balance, status refused)
    std::string initiator_secret_kind = "password";  // password | credential (a ready-made SecurityCredential)
    std::string updated_at;
    std::string updated_by;
};

}  // namespace haven::storage
