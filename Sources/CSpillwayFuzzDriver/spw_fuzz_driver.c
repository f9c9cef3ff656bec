// SwiftPM links an executable target with `--defsym main=<Target>_main`, so libFuzzer's own
// `main` is never the entry point. This file defines that symbol as a call into
// libFuzzer's driver, with the harness's LLVMFuzzerTestOneInput (defined in Swift). Built
// without `-sanitize=fuzzer` (every plain `swift build` of the package builds this target
// too), there is no driver: the harness says how to build it and exits 2.
#include "spw_fuzz_driver.h"
#include <stdio.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int SpillwayFuzz_main(int argc, char **argv) {
    if (LLVMFuzzerRunDriver == NULL) {
        fprintf(stderr, "spillway-fuzz was built without libFuzzer; run scripts/fuzz.sh, which "
                        "builds it with -sanitize=fuzzer,address\n");
        return 2;
    }
    return LLVMFuzzerRunDriver(&argc, &argv, LLVMFuzzerTestOneInput);
}
