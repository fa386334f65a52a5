#include "service/sealed.hpp"

#include <sodium.h>
#include <sys/stat.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "core/hex.hpp"

namespace haven::service {

using core::ErrorCode;

namespace {

bool SodiumReady() {
    static const bool ready = sodium_init() >= 0;
    return ready;
}

}  // namespace

Result<SecretBox> SecretBox::FromHex(std::string_view hex) {
    SecretBox box;
    size_t len = 0;
    const char* end = nullptr;
    if (hex.size() != 2 * kKeyBytes ||
        sodium_hex2bin(box.key_.data(), box.key_.size(), hex.data(), hex.size(), nullptr, &len, &end) != 0 ||
        len != kKeyBytes || end != hex.data() + hex.size()) {
        return core::Fail(ErrorCode::kValidation, "expected 64 hex characters (32 bytes)");
    }
    return box;
}

std::string SecretBox::NewKeyHex() {
    SodiumReady();
    std::array<unsigned char, kKeyBytes> key{};
    randombytes_buf(key.data(), key.size());
    auto hex = core::ToHex(key.data(), key.size());
    sodium_memzero(key.data(), key.size());
    return hex;
}

std::string SecretBox::Seal(std::string_view plain) const {
    SodiumReady();
    std::vector<unsigned char> out(crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + plain.size());
    randombytes_buf(out.data(), crypto_secretbox_NONCEBYTES);
    crypto_secretbox_easy(out.data() + crypto_secretbox_NONCEBYTES,
                          reinterpret_cast<const unsigned char*>(plain.data()), plain.size(), out.data(), key_.data());
    std::string b64(sodium_base64_ENCODED_LEN(out.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
    sodium_bin2base64(b64.data(), b64.size(), out.data(), out.size(), sodium_base64_VARIANT_ORIGINAL);
    b64.resize(std::strlen(b64.c_str()));
    return b64;
}

Result<std::string> SecretBox::Open(std::string_view sealed) const {
    SodiumReady();
    std::vector<unsigned char> bin(sealed.size());
    size_t len = 0;
    const char* end = nullptr;
    if (sodium_base642bin(bin.data(), bin.size(), sealed.data(), sealed.size(), nullptr, &len, &end,
                          sodium_base64_VARIANT_ORIGINAL) != 0 ||
        end != sealed.data() + sealed.size() || len < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES) {
        return core::Fail(ErrorCode::kInternal, "a sealed secret is not in the sealed format");
    }
    std::string plain(len - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES, '\0');
    if (crypto_secretbox_open_easy(reinterpret_cast<unsigned char*>(plain.data()),
                                   bin.data() + crypto_secretbox_NONCEBYTES, len - crypto_secretbox_NONCEBYTES,
                                   bin.data(), key_.data()) != 0) {
        return core::Fail(ErrorCode::kInternal,
                          "a sealed secret does not open with the master key (another MASTER_KEY, or altered)");
    }
    return plain;
}

Result<std::string> LoadOrCreateKeyFile(const std::string& path) {
    namespace fs = std::filesystem;
    std::error_code ec;
    if (fs::exists(path, ec)) {
        std::ifstream in(path);
        if (!in) return core::Fail(ErrorCode::kInternal, "cannot read the master key file " + path);
        std::string hex;
        in >> hex;
        if (!SecretBox::FromHex(hex)) {
            return core::Fail(ErrorCode::kValidation, path + ": expected 64 hex characters (the master key)");
        }
        return hex;
    }
    if (auto parent = fs::path(path).parent_path(); !parent.empty()) fs::create_directories(parent, ec);
    const std::string hex = SecretBox::NewKeyHex();
    // Created 0600 from the start (umask cannot widen it), never written world-readable first.
    const mode_t old = ::umask(077);
    std::FILE* f = std::fopen(path.c_str(), "wx");
    ::umask(old);
    if (f == nullptr) return core::Fail(ErrorCode::kInternal, "cannot create the master key file " + path);
    const bool written = std::fputs((hex + "\n").c_str(), f) >= 0;
    const bool closed = std::fclose(f) == 0;
    if (!written || !closed) return core::Fail(ErrorCode::kInternal, "cannot write the master key file " + path);
    ::chmod(path.c_str(), 0600);
    return hex;
}

}  // namespace haven::service
