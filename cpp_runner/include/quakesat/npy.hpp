// Reader of the tile image files (runtime/tile_file.py contract): a NumPy .npy holding one
// H x W x 2 little-endian float32 array in C order. Problems are statuses, in the Python
// reader's order: UNREADABLE (I/O, magic, header, Fortran order, short data), BAD_DTYPE,
// BAD_SHAPE (also for a side other than the model's). POSIX I/O into the caller's buffer: no
// heap allocation.
#pragma once

#include <cstddef>

#include "quakesat/status.hpp"

namespace quakesat {

struct NpyImage {
  int height = 0;  // the header's dimensions (set once the file is known to hold them)
  int width = 0;
};

// Read `path` (a regular file, regular_file.hpp) into `buffer`, room for side x side x 2 floats.
// An image of another side is BAD_SHAPE, judged on its header before any pixel is read.
Status read_npy_image(const char* path, int side, float* buffer, NpyImage& image);

}  // namespace quakesat
