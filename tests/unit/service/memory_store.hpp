#pragma once
// A real SQLite store in memory with every migration applied: what the service unit tests run against.
#include <gtest/gtest.h>

#include <memory>

#include "storage/store.hpp"

namespace haven::service::testing {

/// Opens the store into `out`; a store that cannot open or migrate fails the calling test (check
/// HasFatalFailure() after it in SetUp).
inline void OpenMemoryStore(std::unique_ptr<storage::Store>& out) {
    auto store = storage::MakeStore("sqlite::memory:");
    ASSERT_TRUE(store) << store.error().message;
    out = std::move(*store);
    ASSERT_TRUE(out->Migrate());
}

}  // namespace haven::service::testing
