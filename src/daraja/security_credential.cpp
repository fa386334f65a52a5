#include "daraja/security_credential.hpp"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <memory>
#include <vector>

#include "daraja/password.hpp"

namespace haven::daraja {

using core::ErrorCode;

core::Result<std::string> BuildSecurityCredential(const std::string& password, const std::string& certificate_pem) {
    if (password.empty()) return core::Fail(ErrorCode::kValidation, "the initiator password is empty");
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(
        BIO_new_mem_buf(certificate_pem.data(), static_cast<int>(certificate_pem.size())), BIO_free);
    if (!bio) return core::Fail(ErrorCode::kInternal, "out of memory");
    std::unique_ptr<X509, decltype(&X509_free)> cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr),
                                                     X509_free);
    if (!cert) return core::Fail(ErrorCode::kValidation, "the certificate is not a PEM X.509 certificate");
    std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(X509_get_pubkey(cert.get()), EVP_PKEY_free);
    if (!key || EVP_PKEY_base_id(key.get()) != EVP_PKEY_RSA) {
        return core::Fail(ErrorCode::kValidation, "the certificate does not hold an RSA public key");
    }
    std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(EVP_PKEY_CTX_new(key.get(), nullptr),
                                                                    EVP_PKEY_CTX_free);
    if (!ctx || EVP_PKEY_encrypt_init(ctx.get()) <= 0 ||
        EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING) <= 0) {
        return core::Fail(ErrorCode::kInternal, "RSA encryption could not be set up");
    }
    const auto* in = reinterpret_cast<const unsigned char*>(password.data());
    size_t out_len = 0;
    if (EVP_PKEY_encrypt(ctx.get(), nullptr, &out_len, in, password.size()) <= 0) {
        return core::Fail(ErrorCode::kValidation, "the initiator password is too long for the certificate's key");
    }
    std::vector<unsigned char> out(out_len);
    if (EVP_PKEY_encrypt(ctx.get(), out.data(), &out_len, in, password.size()) <= 0) {
        return core::Fail(ErrorCode::kValidation, "the initiator password could not be encrypted");
    }
    return Base64Encode(std::string(reinterpret_cast<const char*>(out.data()), out_len));
}

}  // namespace haven::daraja
