#pragma once
// Daraja's SecurityCredential (docs/daraja.md §10): the initiator password encrypted with the RSA public
// key of Safaricom's certificate, PKCS#1 v1.5 padding, base64. Randomised: every call differs.
#include <string>

#include "core/error.hpp"

namespace haven::daraja {

/// kValidation when the PEM is not a certificate with an RSA key or the password is empty.
/// The password never appears in the error or in any log.
core::Result<std::string> BuildSecurityCredential(const std::string& password, const std::string& certificate_pem);

}  // namespace haven::daraja
