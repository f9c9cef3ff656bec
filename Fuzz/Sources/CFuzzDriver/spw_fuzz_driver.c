// SwiftPM links an executable target with `--defsym main=<Target>_main`, so libFuzzer's own
// `main` is never the entry point. This file defines that symbol as a call into
// libFuzzer's driver, with the harness's LLVMFuzzerTestOneInput (defined in Swift).
#include "spw_fuzz_driver.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int SpillwayFuzz_main(int argc, char **argv) {
    return LLVMFuzzerRunDriver(&argc, &argv, LLVMFuzzerTestOneInput);
}
