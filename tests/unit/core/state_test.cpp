#include "core/state.hpp"

#include <gtest/gtest.h>

namespace haven::core {
namespace {

TEST(TxStatus, NamesRoundTrip) {
    for (TxStatus s : {TxStatus::kPending, TxStatus::kSuccess, TxStatus::kFailed}) {
        EXPECT_EQ(ParseTxStatus(ToString(s)), s);
    }
    EXPECT_EQ(ToString(TxStatus::kPending), "PENDING");
    EXPECT_EQ(ToString(TxStatus::kSuccess), "SUCCESS");
    EXPECT_EQ(ToString(TxStatus::kFailed), "FAILED");
}

TEST(TxStatus, ParseIsCaseInsensitiveAndRejectsUnknown) {
    EXPECT_EQ(ParseTxStatus("pending"), TxStatus::kPending);
    EXPECT_EQ(ParseTxStatus("Failed"), TxStatus::kFailed);
    EXPECT_FALSE(ParseTxStatus("").has_value());
    EXPECT_FALSE(ParseTxStatus("CANCELLED").has_value());
    EXPECT_FALSE(ParseTxStatus("PENDING ").has_value());
}

TEST(TxStatus, TransitionTable) {
    struct Row {
        TxStatus from;
        TxStatus to;
        bool allowed;
    };
    const Row table[] = {
        {TxStatus::kPending, TxStatus::kPending, false}, {TxStatus::kPending, TxStatus::kSuccess, true},
        {TxStatus::kPending, TxStatus::kFailed, true},   {TxStatus::kSuccess, TxStatus::kPending, false},
        {TxStatus::kSuccess, TxStatus::kSuccess, false}, {TxStatus::kSuccess, TxStatus::kFailed, false},
        {TxStatus::kFailed, TxStatus::kPending, false},  {TxStatus::kFailed, TxStatus::kSuccess, false},
        {TxStatus::kFailed, TxStatus::kFailed, false},
    };
    for (const Row& row : table) {
        EXPECT_EQ(CanTransition(row.from, row.to), row.allowed) << ToString(row.from) << " -> " << ToString(row.to);
    }
}

TEST(TxStatus, FinalStates) {
    EXPECT_FALSE(IsFinal(TxStatus::kPending));
    EXPECT_TRUE(IsFinal(TxStatus::kSuccess));
    EXPECT_TRUE(IsFinal(TxStatus::kFailed));
}

TEST(Role, NamesRoundTrip) {
    EXPECT_EQ(ToString(Role::kAdmin), "admin");
    EXPECT_EQ(ToString(Role::kManager), "manager");
    EXPECT_EQ(ToString(Role::kViewer), "viewer");
    for (Role r : {Role::kAdmin, Role::kManager, Role::kViewer}) EXPECT_EQ(ParseRole(ToString(r)), r);
}

TEST(Role, ParseIsCaseInsensitiveAndRejectsUnknown) {
    EXPECT_EQ(ParseRole("ADMIN"), Role::kAdmin);
    EXPECT_FALSE(ParseRole("").has_value());
    EXPECT_FALSE(ParseRole("owner").has_value());
    EXPECT_FALSE(ParseRole("admins").has_value());
}

TEST(TxKind, NamesAreTheStoredOnesAndRoundTrip) {
    EXPECT_EQ(ToString(TxKind::kStk), "stk");
    EXPECT_EQ(ToString(TxKind::kB2c), "b2c");
    EXPECT_EQ(ToString(TxKind::kReversal), "reversal");
    EXPECT_EQ(ToString(TxKind::kC2b), "c2b");
    for (TxKind k : {TxKind::kStk, TxKind::kB2c, TxKind::kReversal, TxKind::kC2b})
        EXPECT_EQ(ParseTxKind(ToString(k)), k);
    EXPECT_FALSE(ParseTxKind("B2C").has_value());
    EXPECT_FALSE(ParseTxKind("C2B").has_value());
}

}  // namespace
}  // namespace haven::core
