// One ExecuTorch program (.pte, XNNPACK-delegated) loaded once, run per tile without heap
// allocation: memory-planned buffers and the method arena are sized at load, the input tensor
// wraps the runner's own buffer, outputs are read in place.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "quakesat/status.hpp"

namespace quakesat {

constexpr int kMaxOutputs = 4;

struct ModelOutputs {
  int count = 0;
  const float* data[kMaxOutputs] = {};
  std::size_t size[kMaxOutputs] = {};
};

class Model {
 public:
  Model();
  ~Model();
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

  // Load `path` for an input of 1 x channels x height x width floats. BACKEND_ERROR with a
  // detail when ExecuTorch refuses it. threads == 1 runs XNNPACK in the calling thread.
  Status load(const std::string& path, int channels, int height, int width, int threads, std::string& detail);

  // Run on `input` (the shape given at load). Outputs stay valid until the next run.
  Status run(float* input, ModelOutputs& outputs);

  // The program's own memory-planned input of `floats` floats, when it has one: the runner
  // preprocesses straight into it and calls run_in_place, saving a copy and its buffer.
  // nullptr when the input is not planned memory of that size (then use run).
  float* planned_input(std::size_t floats);
  Status run_in_place(ModelOutputs& outputs);

  // Bytes held for the program: planned buffers, method arena, temp arena, the file.
  std::size_t bytes() const;

  // The memory plan, each part on its own (the method arena is fitted at load: see model.cpp).
  struct Plan {
    std::size_t planned = 0;        // memory-planned activation buffers
    std::size_t method_arena = 0;   // held for the method's structures
    std::size_t method_used = 0;    // of which the loaded method uses
    std::size_t temp_arena = 0;     // scratch for kernels during a run
    std::size_t file = 0;           // the .pte program
  };
  Plan plan() const;

 private:
  Status collect(ModelOutputs& outputs);  // the outputs of the last execute
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace quakesat
