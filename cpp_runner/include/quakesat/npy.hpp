// Reader of the tile image files (runtime/tile_file.py contract): a NumPy .npy holding one
// H x W x 2 little-endian float32 array in C order. Problems are statuses, in the Python
// reader's order: UNREADABLE (I/O, magic, header, Fortran order, short data), BAD_DTYPE,
// BAD_SHAPE. POSIX I/O into the caller's buffer: no heap allocation.
#pragma once

#include <cstddef>

#include "quakesat/status.hpp"

namespace quakesat {

struct NpyImage {
  int height = 0;
  int width = 0;
  bool loaded = false;  // false when the image is larger than the buffer: the input checks
                        // then give it BAD_SHAPE from its dimensions, as in Python
};

// Read `path` into `buffer` (room for `capacity` floats).
Status read_npy_image(const char* path, float* buffer, std::size_t capacity, NpyImage& image);

}  // namespace quakesat
