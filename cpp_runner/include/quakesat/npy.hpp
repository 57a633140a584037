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

// The same for a complex64 image (preprocessing version 3's pair, interferogram.hpp): one
// H x W '<c8' array in C order, read as side x side x {re, im} floats (the same bytes). The
// same header grammar and order of checks; another element type is BAD_DTYPE, another rank or
// side BAD_SHAPE.
Status read_npy_complex(const char* path, int side, float* buffer, NpyImage& image);

}  // namespace quakesat
