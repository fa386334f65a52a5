#pragma once
// Invariant checks for the fuzz targets: a broken invariant aborts, so libFuzzer saves the input as a crash
// and the corpus replay (replay_main.cpp) fails the same way.
#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(cond)                                                                      \
    do {                                                                                      \
        if (!(cond)) {                                                                        \
            std::fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, #cond); \
            std::abort();                                                                     \
        }                                                                                     \
    } while (0)
