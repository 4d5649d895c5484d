#include "glimpse_kernels.h"
#include <immintrin.h>

void glimpse_record_activation_bits(const float *values, uint8_t *bits, ptrdiff_t n, float upper) {
    const __m256 zero = _mm256_setzero_ps(), hi = _mm256_set1_ps(upper);
    ptrdiff_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 v = _mm256_loadu_ps(values + i);
        __m256 pass = _mm256_and_ps(_mm256_cmp_ps(v, zero, _CMP_GT_OQ), _mm256_cmp_ps(v, hi, _CMP_LT_OQ));
        bits[i / 8] = (uint8_t)_mm256_movemask_ps(pass);
    }
    if (i < n) {
        uint8_t byte = 0;
        for (ptrdiff_t l = 0; i + l < n; l++) {
            float v = values[i + l];
            if (v > 0 && v < upper) byte |= (uint8_t)(1u << l);
        }
        bits[i / 8] = byte;
    }
}
