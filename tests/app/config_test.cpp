// Settings as an operator meets them: every variable the gateway reads is in the README's table, and a
// bad value is one clear line naming the variable.
#include "app/config.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>

namespace haven::app {
namespace {

/// An environment that answers from `values` and remembers every name asked for.
struct RecordingEnv {
    std::map<std::string, std::string> values;
    std::set<std::string> asked;

    Env AsEnv() {
        return [this](const std::string& name) -> std::optional<std::string> {
            asked.insert(name);
            auto it = values.find(name);
            if (it == values.end()) return std::nullopt;
            return it->second;
        };
    }
};

std::string ReadFile(const std::string& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

TEST(Config, EverySettingTheGatewayReadsIsInTheReadme) {
    const std::string readme = ReadFile(std::string(HAVEN_SOURCE_DIR) + "/README.md");
    ASSERT_FALSE(readme.empty());
    std::set<std::string> asked;
    // Each mode reads its own settings: simulator, and sandbox/production with credentials.
    for (const std::map<std::string, std::string>& values : {std::map<std::string, std::string>{},
                                                             {{"MPESA_ENVIRONMENT", "sandbox"},
                                                              {"MPESA_CONSUMER_KEY", "key"},
                                                              {"MPESA_CONSUMER_SECRET", "secret"},
                                                              {"MPESA_SHORTCODE", "174379"},
                                                              {"MPESA_PASSKEY", "passkey"},
                                                              {"MPESA_CALLBACK_URL", "https://pay.example.co.ke"},
                                                              {"JWT_SECRET", std::string(40, 'j')}},
                                                             {{"MPESA_ENVIRONMENT", "production"},
                                                              {"MPESA_CONSUMER_KEY", "key"},
                                                              {"MPESA_CONSUMER_SECRET", "secret"},
                                                              {"MPESA_SHORTCODE", "174379"},
                                                              {"MPESA_PASSKEY", "passkey"},
                                                              {"MPESA_CALLBACK_URL", "https://pay.example.co.ke"},
                                                              {"JWT_SECRET", std::string(40, 'j')}}}) {
        RecordingEnv env{values, {}};
        (void)LoadConfig(env.AsEnv());
        asked.insert(env.asked.begin(), env.asked.end());
    }
    EXPECT_GT(asked.size(), 30u);  // the recording saw the real reads
    for (const auto& name : asked) {
        EXPECT_NE(readme.find("`" + name + "`"), std::string::npos)
            << name << " is read by src/app/config.cpp but not documented in the README's configuration table";
    }
}

TEST(Config, LogSettingsAreReadAndCheckedByName) {
    RecordingEnv env{{{"LOG_FILE", "logs/combined.log"}, {"LOG_FILE_MAX_MB", "2"}, {"LOG_FILE_COUNT", "3"}}, {}};
    auto config = LoadConfig(env.AsEnv());
    ASSERT_TRUE(config) << config.error().message;
    EXPECT_EQ(config->log.file, "logs/combined.log");
    EXPECT_EQ(config->log.file_max_bytes, 2u << 20);
    EXPECT_EQ(config->log.file_count, 3u);
    EXPECT_EQ(config->log.level, "info");

    RecordingEnv bad{{{"LOG_LEVEL", "loud"}}, {}};
    auto refused = LoadConfig(bad.AsEnv());
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.error().message.find("LOG_LEVEL"), std::string::npos) << refused.error().message;
}

TEST(Config, MetricsListenIsLoopbackByDefaultAndCanBeMovedOrTurnedOff) {
    auto defaults = LoadConfig(RecordingEnv{}.AsEnv());
    ASSERT_TRUE(defaults) << defaults.error().message;
    EXPECT_EQ(defaults->metrics_host, "127.0.0.1");
    EXPECT_EQ(defaults->metrics_port, 9464);

    const std::map<std::string, std::pair<std::string, uint16_t>> accepted = {
        {"0.0.0.0:9100", {"0.0.0.0", 9100}},
        {"[::1]:9464", {"::1", 9464}},
        {"metrics.internal:0", {"metrics.internal", 0}},
        {"off", {"", 0}},
        {"OFF", {"", 0}},
    };
    for (const auto& [value, want] : accepted) {
        RecordingEnv env{{{"METRICS_LISTEN", value}}, {}};
        auto config = LoadConfig(env.AsEnv());
        ASSERT_TRUE(config) << value << ": " << config.error().message;
        EXPECT_EQ(config->metrics_host, want.first) << value;
        EXPECT_EQ(config->metrics_port, want.second) << value;
    }
    for (const std::string value : {"9464", ":9464", "127.0.0.1:", "127.0.0.1:99999", "::1:9464", "host:port", "no"}) {
        RecordingEnv env{{{"METRICS_LISTEN", value}}, {}};
        auto refused = LoadConfig(env.AsEnv());
        ASSERT_FALSE(refused) << value;
        EXPECT_NE(refused.error().message.find("METRICS_LISTEN"), std::string::npos) << refused.error().message;
    }
}

std::map<std::string, std::string> Sandbox(std::map<std::string, std::string> extra = {}) {
    std::map<std::string, std::string> v{{"MPESA_ENVIRONMENT", "sandbox"},
                                         {"MPESA_CONSUMER_KEY", "key"},
                                         {"MPESA_CONSUMER_SECRET", "secret"},
                                         {"MPESA_SHORTCODE", "174379"},
                                         {"MPESA_PASSKEY", "passkey"},
                                         {"MPESA_CALLBACK_URL", "https://pay.example.co.ke:8443/api/v1/mpesa/callback"},
                                         {"JWT_SECRET", std::string(40, 'j')}};
    for (auto& [k, value] : extra) v[k] = value;
    return v;
}

TEST(Config, PublicBaseUrlDefaultsToTheCallbackUrlsSchemeAndHost) {
    RecordingEnv env{Sandbox(), {}};
    auto config = LoadConfig(env.AsEnv());
    ASSERT_TRUE(config) << config.error().message;
    EXPECT_EQ(config->public_base_url, "https://pay.example.co.ke:8443");

    RecordingEnv set{Sandbox({{"PUBLIC_BASE_URL", "https://hooks.example.co.ke/haven/"}}), {}};
    auto explicit_base = LoadConfig(set.AsEnv());
    ASSERT_TRUE(explicit_base) << explicit_base.error().message;
    EXPECT_EQ(explicit_base->public_base_url, "https://hooks.example.co.ke/haven");  // no trailing slash

    // PUBLIC_BASE_URL alone is enough outside simulator mode.
    auto without_callback = Sandbox({{"PUBLIC_BASE_URL", "https://hooks.example.co.ke"}});
    without_callback.erase("MPESA_CALLBACK_URL");
    RecordingEnv alone{without_callback, {}};
    ASSERT_TRUE(LoadConfig(alone.AsEnv()));

    RecordingEnv bad{Sandbox({{"PUBLIC_BASE_URL", "hooks.example.co.ke"}}), {}};
    auto refused = LoadConfig(bad.AsEnv());
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.error().message.find("PUBLIC_BASE_URL"), std::string::npos);
}

TEST(Config, SimulatorModeLeavesThePublicBaseUrlToTheListener) {
    RecordingEnv env{{}, {}};
    auto config = LoadConfig(env.AsEnv());
    ASSERT_TRUE(config) << config.error().message;
    EXPECT_EQ(config->public_base_url, "");  // http://HOST:PORT once the server listens
    // The generated callback secret is hex: it can never spell a word Daraja refuses.
    EXPECT_EQ(config->callback_secret.find_first_not_of("0123456789abcdef"), std::string::npos);
    EXPECT_GE(config->callback_secret.size(), 32u);
}

TEST(Config, ACallbackSecretThatIsNotUrlSafeOrHasAForbiddenWordIsRefused) {
    for (const std::string secret : {"abc/def0123456789xyz", "has space 0123456789", "secret=0123456789abcd"}) {
        RecordingEnv env{{{"MPESA_CALLBACK_SECRET", secret}}, {}};
        auto refused = LoadConfig(env.AsEnv());
        ASSERT_FALSE(refused) << secret;
        EXPECT_NE(refused.error().message.find("MPESA_CALLBACK_SECRET"), std::string::npos);
    }
    RecordingEnv word{{{"MPESA_CALLBACK_SECRET", "0123456789-EXEC-abcdef"}}, {}};
    auto refused = LoadConfig(word.AsEnv());
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.error().message.find("'exe'"), std::string::npos) << refused.error().message;
    RecordingEnv fine{{{"MPESA_CALLBACK_SECRET", "0123456789abcdef0123"}}, {}};
    ASSERT_TRUE(LoadConfig(fine.AsEnv()));
}

TEST(Config, C2bDefaultsComeFromTheEnvironment) {
    RecordingEnv none{{}, {}};
    auto defaults = LoadConfig(none.AsEnv());
    ASSERT_TRUE(defaults);
    EXPECT_EQ(defaults->c2b.version, 2);
    EXPECT_EQ(defaults->c2b.response_type, "Completed");
    EXPECT_FALSE(defaults->c2b.validation);
    EXPECT_FALSE(defaults->c2b.reject_unknown);

    RecordingEnv set{{{"MPESA_C2B_VERSION", "1"},
                      {"MPESA_C2B_RESPONSE_TYPE", "Cancelled"},
                      {"C2B_VALIDATION", "1"},
                      {"C2B_REJECT_UNKNOWN", "true"}},
                     {}};
    auto config = LoadConfig(set.AsEnv());
    ASSERT_TRUE(config) << config.error().message;
    EXPECT_EQ(config->c2b.version, 1);
    EXPECT_EQ(config->c2b.response_type, "Cancelled");
    EXPECT_TRUE(config->c2b.validation);
    EXPECT_TRUE(config->c2b.reject_unknown);

    for (auto [name, value] : {std::pair{"MPESA_C2B_VERSION", "3"}, std::pair{"MPESA_C2B_RESPONSE_TYPE", "completed"},
                               std::pair{"C2B_VALIDATION", "yes"}}) {
        RecordingEnv bad{{{name, value}}, {}};
        auto refused = LoadConfig(bad.AsEnv());
        ASSERT_FALSE(refused) << name;
        EXPECT_NE(refused.error().message.find(name), std::string::npos);
    }
}

TEST(Config, TrustedProxiesAreAddressesAndBlocksOrOneClearLine) {
    RecordingEnv none{{}, {}};
    EXPECT_EQ(LoadConfig(none.AsEnv()).value().trusted_proxies, "") << "nobody is trusted by default";
    RecordingEnv good{{{"TRUSTED_PROXIES", "127.0.0.1, 10.0.0.0/8, fd00::/8"}}, {}};
    EXPECT_EQ(LoadConfig(good.AsEnv()).value().trusted_proxies, "127.0.0.1, 10.0.0.0/8, fd00::/8");
    RecordingEnv bad{{{"TRUSTED_PROXIES", "10.0.0.0/8, haproxy.internal"}}, {}};
    auto refused = LoadConfig(bad.AsEnv());
    ASSERT_FALSE(refused.has_value());
    EXPECT_EQ(refused.error().message.rfind("TRUSTED_PROXIES: expected comma-separated IP addresses", 0), 0u)
        << refused.error().message;
}

TEST(Config, MalformedMasterKeyIsOneClearLine) {
    RecordingEnv env{{{"MASTER_KEY", "not-hex"}}, {}};
    auto c = LoadConfig(env.AsEnv());
    ASSERT_FALSE(c.has_value());
    EXPECT_EQ(c.error().message.rfind("MASTER_KEY: expected 64 hex characters", 0), 0u) << c.error().message;
    EXPECT_EQ(c.error().message.find("not-hex"), std::string::npos);  // a key is never echoed
}

TEST(Config, SimulatorModeKeepsTheMasterKeyNextToTheDatabase) {
    RecordingEnv env{{{"DATABASE_URL", "sqlite:/tmp/haven-x/haven.db"}}, {}};
    auto c = LoadConfig(env.AsEnv());
    ASSERT_TRUE(c.has_value()) << c.error().message;
    EXPECT_EQ(c->master_key, "");
    EXPECT_EQ(c->master_key_file, "/tmp/haven-x/master.key");
    RecordingEnv given{{{"MASTER_KEY", std::string(64, 'a')}}, {}};
    auto with_key = LoadConfig(given.AsEnv());
    ASSERT_TRUE(with_key.has_value());
    EXPECT_EQ(with_key->master_key, std::string(64, 'a'));
    EXPECT_EQ(with_key->master_key_file, "");
}

// --- receipts ---
TEST(Config, ReceiptSettingsAreCheckedAndTheSmtpPasswordNeverRepeated) {
    RecordingEnv plain{Sandbox(), {}};
    auto none = LoadConfig(plain.AsEnv());
    ASSERT_TRUE(none) << none.error().message;
    EXPECT_FALSE(none->receipts.email());
    EXPECT_EQ(none->receipts.at_username, "") << "outside simulator mode SMS needs AT_USERNAME";
    EXPECT_FALSE(none->receipts.templates_dir.empty()) << "the repository's templates/ folder is found";

    RecordingEnv set{Sandbox({{"SMTP_URL", "smtps://mailer:s3cret@mail.example.com:465"},
                              {"SMTP_FROM", "Sunrise Receipts <receipts@sunrise.example>"},
                              {"AT_USERNAME", "sunrise"},
                              {"AT_API_KEY", "atsk_live"},
                              {"AT_BASE_URL", "https://api.sandbox.africastalking.com"},
                              {"TEMPLATES_DIR", "/srv/haven/templates"}}),
                     {}};
    auto configured = LoadConfig(set.AsEnv());
    ASSERT_TRUE(configured) << configured.error().message;
    EXPECT_TRUE(configured->receipts.email());
    EXPECT_EQ(configured->receipts.at_base_url, "https://api.sandbox.africastalking.com");
    EXPECT_EQ(configured->receipts.templates_dir, "/srv/haven/templates");

    RecordingEnv http{Sandbox({{"SMTP_URL", "https://mailer:s3cret@mail.example.com"}, {"SMTP_FROM", "a@b.example"}}),
                      {}};
    auto refused = LoadConfig(http.AsEnv());
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.error().message.find("SMTP_URL"), std::string::npos);
    EXPECT_EQ(refused.error().message.find("s3cret"), std::string::npos) << refused.error().message;

    RecordingEnv no_from{Sandbox({{"SMTP_URL", "smtp://mail.example.com:587"}}), {}};
    auto without_from = LoadConfig(no_from.AsEnv());
    ASSERT_FALSE(without_from);
    EXPECT_NE(without_from.error().message.find("SMTP_FROM"), std::string::npos);

    RecordingEnv sim{{}, {}};
    auto simulator = LoadConfig(sim.AsEnv());
    ASSERT_TRUE(simulator) << simulator.error().message;
    EXPECT_EQ(simulator->receipts.at_username, "sandbox");
}

}  // namespace
}  // namespace haven::app
