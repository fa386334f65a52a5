#pragma once
// Seeding for the tests that run the real binary against a SQLite file: PENDING pushes that Daraja accepted,
// written before the gateway starts, so each test's callbacks have rows to settle.
#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <string>

#include "storage/store.hpp"

namespace haven::crash {

/// `count` PENDING pushes Daraja accepted, for one lease (unit `unit`, `amount` a month) of a new agency named
/// `agency`: CheckoutRequestID `checkout_id(i)` and MerchantRequestID "MR-" + that, all in one unit of work, in
/// the SQLite database at `db` (migrated first).
inline void SeedPendingPushes(const std::filesystem::path& db, const std::string& agency, const std::string& unit,
                              int64_t amount, int count, const std::function<std::string(int)>& checkout_id) {
    auto store = storage::MakeStore("sqlite:" + db.string(), {.group_commit = false});
    ASSERT_TRUE(store) << store.error().message;
    ASSERT_TRUE((*store)->Migrate());
    auto found = (*store)->FindOrCreateAgency(agency);
    ASSERT_TRUE(found);
    auto seeded = (*store)->Atomically([&](storage::Store& s) -> core::Result<void> {
        core::Lease lease;
        lease.agency_id = found->id;
        lease.tenant_name = "Achieng Otieno";
        lease.phone_number = "254708374149";
        lease.unit = unit;
        lease.monthly_rent = amount;
        lease.account_reference = unit + "-RENT";
        auto l = s.InsertLease(lease);
        if (!l) return core::Fail(l.error());
        for (int i = 0; i < count; ++i) {
            core::StkTransaction t;
            t.agency_id = found->id;
            t.lease_id = l->id;
            t.phone_number = lease.phone_number;
            t.amount = amount;
            t.account_reference = lease.account_reference;
            t.transaction_desc = "Rent for unit " + unit;
            auto tx = s.InsertStk(t, std::nullopt);
            if (!tx) return core::Fail(tx.error());
            const std::string id = checkout_id(i);
            if (auto set = s.SetStkDarajaIds(tx->id, "MR-" + id, id); !set) return core::Fail(set.error());
        }
        return {};
    });
    ASSERT_TRUE(seeded) << seeded.error().message;
}

}  // namespace haven::crash
