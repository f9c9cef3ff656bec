// The bridge from SwiftPM's executable entry point to libFuzzer's driver.
#pragma once
#include <stddef.h>
#include <stdint.h>

/// libFuzzer's documented driver entry (LLVM >= 11): runs the fuzzing loop over `callback`
/// with libFuzzer's command-line flags in argc/argv. Weak: a plain `swift build` (no
/// `-sanitize=fuzzer`) links the harness without libFuzzer, and then it is NULL.
int LLVMFuzzerRunDriver(int *argc, char ***argv,
                        int (*callback)(const uint8_t *data, size_t size)) __attribute__((weak));
