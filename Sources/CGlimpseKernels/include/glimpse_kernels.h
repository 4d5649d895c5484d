#ifndef GLIMPSE_KERNELS_H
#define GLIMPSE_KERNELS_H
#include <stddef.h>
#include <stdint.h>

/// Bit l of bits[k] = (0 < values[8k + l] < upper), for the n values (the last byte's unused bits are zero).
/// Uses the vector compare's sign-bit mask (movemask), which Swift does not expose.
void glimpse_record_activation_bits(const float *values, uint8_t *bits, ptrdiff_t n, float upper);

#endif
