#include <png.h>
/* Function-like macros are not imported into Swift: wrap the ones Glimpse needs. */
static inline size_t cpng_image_size(const png_image *image) { return PNG_IMAGE_SIZE(*image); }
static inline size_t cpng_row_stride(const png_image *image) { return PNG_IMAGE_ROW_STRIDE(*image); }
