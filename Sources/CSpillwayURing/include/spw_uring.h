// The only door to liburing: plain C functions over an opaque ring, so Swift never sees
// liburing.h (its feature macros clash with Glibc's module on a clean build).
#ifndef SPW_URING_H
#define SPW_URING_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// 1 when this kernel lets us set up an io_uring instance, else 0 (with `*error_out` set to
/// the positive errno when not NULL).
int spw_uring_available(int *error_out);

#ifdef __cplusplus
}
#endif
#endif
