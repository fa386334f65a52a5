// The cluster tests run the built binary as real processes, so they take its path as an argument.
#include <gtest/gtest.h>

#include <filesystem>
#include <iostream>

#include "cluster_harness.hpp"

int main(int argc, char** argv) {
    ::testing::InitGoogleTest(&argc, argv);
    if (argc < 2) {
        std::cerr << "usage: cluster_test PATH/TO/haven-mpesa  (needs HAVEN_TEST_POSTGRES_URL and haproxy)\n";
        return 2;
    }
    haven::cluster::g_binary = std::filesystem::absolute(argv[1]);
    return RUN_ALL_TESTS();
}
