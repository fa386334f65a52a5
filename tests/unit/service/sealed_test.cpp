#include "service/sealed.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

namespace haven::service {
namespace {

SecretBox Box(const std::string& hex) {
    auto box = SecretBox::FromHex(hex);
    EXPECT_TRUE(box.has_value());
    return *box;
}

TEST(SecretBox, RoundTrip) {
    auto box = Box(SecretBox::NewKeyHex());
    auto opened = box.Open(box.Seal("bfb279f9aa9bdbcf158e97dd71a467cd"));
    ASSERT_TRUE(opened.has_value()) << opened.error().message;
    EXPECT_EQ(*opened, "bfb279f9aa9bdbcf158e97dd71a467cd");
    EXPECT_EQ(*box.Open(box.Seal("")), "");
}

TEST(SecretBox, SealedValueDoesNotContainThePlainText) {
    auto box = Box(SecretBox::NewKeyHex());
    EXPECT_EQ(box.Seal("consumer-secret-xyz").find("consumer-secret-xyz"), std::string::npos);
}

TEST(SecretBox, WrongKeyFails) {
    auto sealed = Box(SecretBox::NewKeyHex()).Seal("passkey");
    auto opened = Box(SecretBox::NewKeyHex()).Open(sealed);
    ASSERT_FALSE(opened.has_value());
    EXPECT_EQ(opened.error().message.find("passkey"), std::string::npos);
}

TEST(SecretBox, TamperedBoxFails) {
    auto box = Box(SecretBox::NewKeyHex());
    std::string sealed = box.Seal("initiator password");
    // Flip one character inside the box (after the nonce's 32 base64 characters).
    sealed[40] = sealed[40] == 'A' ? 'B' : 'A';
    EXPECT_FALSE(box.Open(sealed).has_value());
    EXPECT_FALSE(box.Open("not base64 at all!").has_value());
    EXPECT_FALSE(box.Open("").has_value());
}

TEST(SecretBox, NonceDiffersEachTime) {
    auto box = Box(SecretBox::NewKeyHex());
    EXPECT_NE(box.Seal("same"), box.Seal("same"));
}

TEST(SecretBox, KeyMustBe64Hex) {
    EXPECT_FALSE(SecretBox::FromHex("abc").has_value());
    EXPECT_FALSE(SecretBox::FromHex(std::string(64, 'g')).has_value());
    EXPECT_FALSE(SecretBox::FromHex(std::string(66, 'a')).has_value());
    EXPECT_TRUE(SecretBox::FromHex(std::string(64, 'A')).has_value());
}

TEST(SecretBox, KeyFileIsCreatedOnceWithMode0600) {
    auto dir = std::filesystem::temp_directory_path() / ("haven-key-" + SecretBox::NewKeyHex().substr(0, 8));
    const std::string path = (dir / "master.key").string();
    auto first = LoadOrCreateKeyFile(path);
    ASSERT_TRUE(first.has_value()) << first.error().message;
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600);
    auto second = LoadOrCreateKeyFile(path);
    ASSERT_TRUE(second.has_value());
    EXPECT_EQ(*first, *second);
    std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace haven::service
