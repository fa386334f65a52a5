#include "service/c2b_register.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>

#include "core/daraja_url.hpp"
#include "core/time.hpp"

namespace haven::service {

using core::ErrorCode;

Result<storage::C2bSettings> C2bSettingsOf(storage::Store& store, int64_t agency_id,
                                           const storage::C2bSettings& defaults) {
    auto own = store.FindC2bSettings(agency_id);
    if (!own) return core::Fail(own.error());
    return own->value_or(defaults);
}

Result<C2bTarget> C2bTargetFor(const C2bRegisterDeps& deps, int64_t agency_id) {
    auto settings = C2bSettingsOf(deps.store, agency_id, deps.defaults);
    if (!settings) return core::Fail(settings.error());
    auto own = deps.store.FindMpesaAccount(agency_id);
    if (!own && own.error().code != core::ErrorCode::kNotFound) return core::Fail(own.error());
    if (own && !own->shortcode.empty()) {
        const bool till = own->transaction_type == "CustomerBuyGoodsOnline" && !own->till_number.empty();
        return C2bTarget{till ? own->till_number : own->shortcode, *settings};
    }
    return C2bTarget{deps.install_shortcode, *settings};
}

C2bUrls C2bUrlsFor(const std::string& public_base_url, const std::string& callback_secret) {
    return {core::DarajaHookUrl(public_base_url, callback_secret, "c2b/confirmation"),
            core::DarajaHookUrl(public_base_url, callback_secret, "c2b/validation"),
            core::MaskedDarajaHookUrl(public_base_url, "c2b/confirmation"),
            core::MaskedDarajaHookUrl(public_base_url, "c2b/validation")};
}

Result<void> CheckC2bUrls(const std::string& public_base_url, const C2bUrls& urls) {
    for (const std::string* url : {&urls.confirmation, &urls.validation}) {
        if (auto word = core::FindForbiddenUrlWord(*url)) {
            core::Error e = core::Error::Validation(
                "publicBaseUrl", "the C2B URLs contain '" + std::string(*word) +
                                     "', a word Daraja refuses in URLs: set PUBLIC_BASE_URL (now " + public_base_url +
                                     ") to an address without it");
            e.extra = {{"forbiddenWord", std::string(*word)}};
            return core::Fail(e);
        }
    }
    return {};
}

namespace {

struct Prepared {
    C2bTarget target;
    C2bUrls urls;
    daraja::C2bRegisterRequest request;
};

Result<Prepared> Prepare(const C2bRegisterDeps& deps, int64_t agency_id) {
    auto target = C2bTargetFor(deps, agency_id);
    if (!target) return core::Fail(target.error());
    Prepared p{*target, C2bUrlsFor(deps.public_base_url, deps.callback_secret), {}};
    if (auto ok = CheckC2bUrls(deps.public_base_url, p.urls); !ok) return core::Fail(ok.error());
    p.request = {target->settings.version, target->shortcode, target->settings.response_type, p.urls.confirmation,
                 p.urls.validation};
    return p;
}

Result<C2bRegistration> Record(const C2bRegisterDeps& deps, int64_t agency_id, const std::string& actor,
                               const Prepared& p, const Result<daraja::C2bRegisterAck>& ack) {
    if (!ack) {
        spdlog::warn("C2B registration of shortcode {} (v{}) refused: {}", p.target.shortcode,
                     p.target.settings.version, ack.error().message);
        return core::Fail(ack.error());
    }
    C2bRegistration out;
    out.shortcode = p.target.shortcode;
    out.version = p.target.settings.version;
    out.response_type = p.target.settings.response_type;
    out.confirmation_url = p.urls.shown_confirmation;
    out.validation_url = p.urls.shown_validation;
    out.registered_at = core::IsoUtc(std::chrono::system_clock::now());
    out.response_description = ack->response_description;
    out.originator_conversation_id = ack->originator_conversation_id;
    const nlohmann::json urls = {{"shortcode", out.shortcode},
                                 {"version", out.version},
                                 {"responseType", out.response_type},
                                 {"confirmation", out.confirmation_url},
                                 {"validation", out.validation_url}};
    // Daraja has the URLs now: a failure to record that is reported, the registration itself stands.
    auto saved = deps.store.RecordC2bRegistration(agency_id, p.target.settings, urls.dump(), out.registered_at, actor);
    if (!saved) return core::Fail(saved.error());
    spdlog::info("C2B URLs registered for shortcode {} (v{}, {})", out.shortcode, out.version, out.response_type);
    return out;
}

}  // namespace

void RegisterC2bAsync(const C2bRegisterDeps& deps, int64_t agency_id, const std::string& actor,
                      daraja::Done<C2bRegistration> done) {
    auto prepared = Prepare(deps, agency_id);
    if (!prepared) return done(core::Fail(prepared.error()));
    auto p = std::make_shared<Prepared>(std::move(*prepared));
    deps.daraja.RegisterC2bUrlsAsync(
        p->request, [deps, agency_id, actor, p, done = std::move(done)](Result<daraja::C2bRegisterAck> ack) {
            done(Record(deps, agency_id, actor, *p, ack));
        });
}

Result<C2bRegistration> RegisterC2b(const C2bRegisterDeps& deps, int64_t agency_id, const std::string& actor) {
    auto p = Prepare(deps, agency_id);
    if (!p) return core::Fail(p.error());
    return Record(deps, agency_id, actor, *p, deps.daraja.RegisterC2bUrls(p->request));
}

}  // namespace haven::service
