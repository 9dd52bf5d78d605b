/* fuzz_target.h -- what every fuzz target in tests/fuzz/ defines.
 *
 * Each fuzz_<target>.c defines LLVMFuzzerTestOneInput. It is linked either
 * with libFuzzer (clang, -DTU_FUZZ=ON: the fuzzer binary fuzz_<target>) or
 * with replay_main.c (every build: fuzz_replay_<target>, which runs it once
 * on each file it is given). A target returns 0 and reports a broken
 * property by aborting, through FUZZ_CHECK, so that both drivers see it.
 */
#ifndef TU_FUZZ_TARGET_H
#define TU_FUZZ_TARGET_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                    \
    do {                                                                    \
        if (!(cond)) {                                                      \
            fprintf(stderr, "%s:%d: fuzz check failed: %s\n", __FILE__,     \
                    __LINE__, #cond);                                       \
            abort();                                                        \
        }                                                                   \
    } while (0)

#endif
