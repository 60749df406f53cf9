// What the fuzz targets share: FUZZ_CHECK, an assertion that stays on in
// every build type (NDEBUG included) and aborts, so libFuzzer and the
// replay driver both report a broken contract as a crash with its input.
#pragma once

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(cond)                                                               \
  do {                                                                                 \
    if (!(cond)) {                                                                     \
      std::fprintf(stderr, "%s:%d: FUZZ_CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                    \
    }                                                                                  \
  } while (0)
