#include "sim/credential.hpp"

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <vector>

#include "sim/wire.hpp"

namespace haven::sim {

using core::ErrorCode;
using core::Fail;

struct CredentialKey::State {
    EVP_PKEY* key = nullptr;
    X509* cert = nullptr;
    ~State() {
        EVP_PKEY_free(key);
        X509_free(cert);
    }
};

namespace {

std::string BioString(BIO* bio) {
    char* data = nullptr;
    long n = BIO_get_mem_data(bio, &data);
    return std::string(data, static_cast<size_t>(n));
}

bool AddExtension(X509* cert, int nid, const char* value) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    if (ext == nullptr) return false;
    bool ok = X509_add_ext(cert, ext, -1) == 1;
    X509_EXTENSION_free(ext);
    return ok;
}

}  // namespace

core::Result<CredentialKey> CredentialKey::Generate() {
    auto state = std::make_shared<State>();
    state->key = EVP_RSA_gen(2048);
    if (state->key == nullptr) return Fail(ErrorCode::kInternal, "RSA key generation failed");
    state->cert = X509_new();
    if (state->cert == nullptr) return Fail(ErrorCode::kInternal, "X509_new failed");
    X509* cert = state->cert;
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert), 10L * 365 * 24 * 3600);
    X509_set_pubkey(cert, state->key);
    X509_NAME* name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "C", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("KE"), -1, -1, 0);
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("Haven M-Pesa Daraja Simulator"), -1, -1, 0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("localhost"), -1, -1,
                               0);
    X509_set_issuer_name(cert, name);
    if (!AddExtension(cert, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1") ||
        !AddExtension(cert, NID_basic_constraints, "critical,CA:TRUE")) {
        return Fail(ErrorCode::kInternal, "certificate extensions failed");
    }
    if (X509_sign(cert, state->key, EVP_sha256()) == 0) return Fail(ErrorCode::kInternal, "certificate signing failed");
    CredentialKey out;
    out.state_ = std::move(state);
    return out;
}

core::Result<CredentialKey> CredentialKey::Load(const std::string& cert_file, const std::string& key_file) {
    auto state = std::make_shared<State>();
    BIO* cb = BIO_new_file(cert_file.c_str(), "r");
    if (cb == nullptr) return Fail(ErrorCode::kValidation, "cannot read certificate file " + cert_file);
    state->cert = PEM_read_bio_X509(cb, nullptr, nullptr, nullptr);
    BIO_free(cb);
    BIO* kb = BIO_new_file(key_file.c_str(), "r");
    if (kb == nullptr) return Fail(ErrorCode::kValidation, "cannot read key file " + key_file);
    state->key = PEM_read_bio_PrivateKey(kb, nullptr, nullptr, nullptr);
    BIO_free(kb);
    if (state->cert == nullptr || state->key == nullptr) {
        return Fail(ErrorCode::kValidation, "certificate or key file is not valid PEM");
    }
    if (EVP_PKEY_get_base_id(state->key) != EVP_PKEY_RSA) {
        return Fail(ErrorCode::kValidation, "the simulator needs an RSA key to decrypt SecurityCredential");
    }
    CredentialKey out;
    out.state_ = std::move(state);
    return out;
}

std::string CredentialKey::CertificatePem() const {
    BIO* bio = BIO_new(BIO_s_mem());
    PEM_write_bio_X509(bio, state_->cert);
    std::string out = BioString(bio);
    BIO_free(bio);
    return out;
}

std::string CredentialKey::PrivateKeyPem() const {
    BIO* bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PrivateKey(bio, state_->key, nullptr, nullptr, 0, nullptr, nullptr);
    std::string out = BioString(bio);
    BIO_free(bio);
    return out;
}

core::Result<std::string> CredentialKey::Decrypt(const std::string& credential_base64) const {
    auto raw = Base64Decode(credential_base64);
    size_t key_bytes = static_cast<size_t>(EVP_PKEY_get_size(state_->key));
    if (!raw || raw->size() != key_bytes) {
        return Fail(ErrorCode::kValidation, "SecurityCredential is not base64 of an RSA block");
    }
    EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new(state_->key, nullptr);
    if (ctx == nullptr) return Fail(ErrorCode::kInternal, "EVP_PKEY_CTX_new failed");
    std::string out;
    bool ok = EVP_PKEY_decrypt_init(ctx) == 1 && EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) == 1;
#ifdef OSSL_ASYM_CIPHER_PARAM_IMPLICIT_REJECTION
    // OpenSSL >= 3.2 would return random bytes for a foreign ciphertext; we want to tell it apart.
    if (ok) {
        unsigned int zero = 0;
        OSSL_PARAM params[] = {OSSL_PARAM_construct_uint(OSSL_ASYM_CIPHER_PARAM_IMPLICIT_REJECTION, &zero),
                               OSSL_PARAM_construct_end()};
        EVP_PKEY_CTX_set_params(ctx, params);
    }
#endif
    size_t len = 0;
    const auto* in = reinterpret_cast<const unsigned char*>(raw->data());
    if (ok) ok = EVP_PKEY_decrypt(ctx, nullptr, &len, in, raw->size()) == 1;
    if (ok) {
        out.resize(len);
        ok = EVP_PKEY_decrypt(ctx, reinterpret_cast<unsigned char*>(out.data()), &len, in, raw->size()) == 1;
        out.resize(ok ? len : 0);
    }
    EVP_PKEY_CTX_free(ctx);
    if (!ok) return Fail(ErrorCode::kUnprocessable, "SecurityCredential does not decrypt under this key");
    return out;
}

core::Result<std::string> CredentialKey::Encrypt(const std::string& certificate_pem, const std::string& password) {
    BIO* bio = BIO_new_mem_buf(certificate_pem.data(), static_cast<int>(certificate_pem.size()));
    X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    if (cert == nullptr) return Fail(ErrorCode::kValidation, "not a PEM certificate");
    EVP_PKEY* key = X509_get_pubkey(cert);
    X509_free(cert);
    if (key == nullptr) return Fail(ErrorCode::kValidation, "certificate has no public key");
    EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new(key, nullptr);
    std::string out;
    size_t len = 0;
    const auto* in = reinterpret_cast<const unsigned char*>(password.data());
    bool ok = ctx != nullptr && EVP_PKEY_encrypt_init(ctx) == 1 &&
              EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) == 1 &&
              EVP_PKEY_encrypt(ctx, nullptr, &len, in, password.size()) == 1;
    if (ok) {
        out.resize(len);
        ok = EVP_PKEY_encrypt(ctx, reinterpret_cast<unsigned char*>(out.data()), &len, in, password.size()) == 1;
        out.resize(len);
    }
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(key);
    if (!ok) return Fail(ErrorCode::kValidation, "RSA encryption failed");
    return Base64Encode(out);
}

}  // namespace haven::sim
