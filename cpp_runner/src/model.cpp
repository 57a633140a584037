// ExecuTorch program loading and execution with runner-owned memory.
#include "quakesat/model.hpp"

#include <executorch/extension/data_loader/file_data_loader.h>
#include <executorch/extension/threadpool/threadpool_guard.h>
#include <executorch/runtime/core/hierarchical_allocator.h>
#include <executorch/runtime/core/memory_allocator.h>
#include <executorch/runtime/executor/memory_manager.h>
#include <executorch/runtime/executor/method.h>
#include <executorch/runtime/executor/program.h>
#include <executorch/runtime/platform/runtime.h>

#include <algorithm>
#include <optional>
#include <vector>

namespace quakesat {

namespace et = ::executorch::runtime;
using ::executorch::extension::FileDataLoader;

// The method arena holds the method's own structures (values, kernels, delegate handles). The
// method is first loaded into a 4 MiB probe arena, then loaded again into an arena fitted to
// what it used (plus a margin for alignment); should that fail, the probe arena is kept.
constexpr std::size_t kProbeArenaBytes = 4u << 20;
constexpr std::size_t kArenaMarginBytes = 4u << 10;
// The temp arena is scratch a kernel may ask for during a run (the XNNPACK-delegated programs
// here ask for none). It is reserved, not written: pages no kernel touches never become
// resident, so it costs memory only on a program that uses it.
constexpr std::size_t kTempArenaBytes = 1u << 20;

struct Model::Impl {
  std::optional<FileDataLoader> loader;
  std::optional<et::Program> program;
  std::vector<std::vector<std::uint8_t>> planned;
  std::vector<et::Span<std::uint8_t>> spans;
  std::vector<std::uint8_t> method_arena;
  std::unique_ptr<std::uint8_t[]> temp_arena;  // uninitialised on purpose (see kTempArenaBytes)
  std::optional<et::MemoryAllocator> method_allocator, temp_allocator;
  std::optional<et::HierarchicalAllocator> planned_memory;
  std::optional<et::MemoryManager> memory_manager;
  std::optional<et::Method> method;
  std::vector<::executorch::aten::SizesType> sizes;
  std::vector<::executorch::aten::DimOrderType> dim_order;
  std::optional<::executorch::aten::TensorImpl> input_impl;
  std::size_t file_bytes = 0;
  std::size_t method_used = 0;
  int threads = 1;
};

Model::Model() : impl_(std::make_unique<Impl>()) {}
Model::~Model() = default;

Status Model::load(const std::string& path, int channels, int height, int width, int threads, std::string& detail) {
  et::runtime_init();
  Impl& m = *impl_;
  m.threads = threads;
  auto loader = FileDataLoader::from(path.c_str());
  if (!loader.ok()) {
    detail = path + ": ExecuTorch cannot open the file";
    return Status::kBackendError;
  }
  m.loader.emplace(std::move(loader.get()));
  m.file_bytes = m.loader->size().ok() ? m.loader->size().get() : 0;
  auto program = et::Program::load(&*m.loader);
  if (!program.ok()) {
    detail = path + ": not an ExecuTorch program";
    return Status::kBackendError;
  }
  m.program.emplace(std::move(program.get()));
  auto meta = m.program->method_meta("forward");
  if (!meta.ok()) {
    detail = path + ": the program has no forward method";
    return Status::kBackendError;
  }
  for (std::size_t i = 0; i < meta->num_memory_planned_buffers(); ++i) {
    m.planned.emplace_back(static_cast<std::size_t>(meta->memory_planned_buffer_size(i).get()));
  }
  for (auto& buffer : m.planned) m.spans.emplace_back(buffer.data(), buffer.size());
  m.temp_arena.reset(new std::uint8_t[kTempArenaBytes]);
  m.temp_allocator.emplace(static_cast<std::uint32_t>(kTempArenaBytes), m.temp_arena.get());
  m.planned_memory.emplace(et::Span<et::Span<std::uint8_t>>(m.spans.data(), m.spans.size()));
  // One thread: keep XNNPACK from creating the shared thread pool at all (under qemu-user its
  // spinning workers stall the process; on a board they would idle on other cores).
  std::optional<::executorch::extension::threadpool::NoThreadPoolGuard> single_thread;
  if (threads == 1) single_thread.emplace();
  auto load_into = [&m](std::size_t arena_bytes) {
    m.memory_manager.reset();
    m.method_allocator.reset();
    m.method_arena.assign(arena_bytes, 0);
    m.method_allocator.emplace(static_cast<std::uint32_t>(m.method_arena.size()), m.method_arena.data());
    m.memory_manager.emplace(&*m.method_allocator, &*m.planned_memory, &*m.temp_allocator);
    return m.program->load_method("forward", &*m.memory_manager);
  };
  std::size_t fitted = kProbeArenaBytes;
  {
    auto probe = load_into(kProbeArenaBytes);
    if (!probe.ok()) {
      detail = path + ": ExecuTorch cannot load the forward method (error " +
               std::to_string(static_cast<int>(probe.error())) + "; is the XNNPACK backend linked?)";
      return Status::kBackendError;
    }
    fitted = std::min(kProbeArenaBytes, (m.method_allocator->used_size() + kArenaMarginBytes + 1023) / 1024 * 1024);
  }  // the probe's method is gone before its arena is replaced
  {
    auto method = load_into(fitted);
    if (method.ok()) m.method.emplace(std::move(method.get()));
  }
  if (!m.method) {
    auto method = load_into(kProbeArenaBytes);
    if (!method.ok()) {
      detail = path + ": ExecuTorch cannot load the forward method twice";
      return Status::kBackendError;
    }
    m.method.emplace(std::move(method.get()));
  }
  m.method_used = m.method_allocator->used_size();
  if (m.method->inputs_size() != 1) {
    detail = path + ": expected one input";
    return Status::kBackendError;
  }
  m.sizes = {1, channels, height, width};
  m.dim_order = {0, 1, 2, 3};
  m.input_impl.emplace(::executorch::aten::ScalarType::Float, 4, m.sizes.data(), nullptr, m.dim_order.data());
  return Status::kOk;
}

Status Model::run(float* input, ModelOutputs& outputs) {
  Impl& m = *impl_;
  if (!m.method) return Status::kBackendError;
  m.input_impl->set_data(input);
  const ::executorch::aten::Tensor tensor(&*m.input_impl);
  std::optional<::executorch::extension::threadpool::NoThreadPoolGuard> single_thread;
  if (m.threads == 1) single_thread.emplace();
  if (m.method->set_input(et::EValue(tensor), 0) != et::Error::Ok) return Status::kBackendError;
  if (m.method->execute() != et::Error::Ok) return Status::kBackendError;
  return collect(outputs);
}

Status Model::collect(ModelOutputs& outputs) {
  Impl& m = *impl_;
  const std::size_t count = m.method->outputs_size();
  if (count > static_cast<std::size_t>(kMaxOutputs)) return Status::kBackendError;
  outputs.count = static_cast<int>(count);
  for (std::size_t i = 0; i < count; ++i) {
    const et::EValue& value = m.method->get_output(i);
    if (!value.isTensor()) return Status::kBackendError;
    const auto& out = value.toTensor();
    if (out.scalar_type() != ::executorch::aten::ScalarType::Float) return Status::kBackendError;
    outputs.data[i] = out.const_data_ptr<float>();
    outputs.size[i] = static_cast<std::size_t>(out.numel());
  }
  return Status::kOk;
}

float* Model::planned_input(std::size_t floats) {
  Impl& m = *impl_;
  if (!m.method || m.method->inputs_size() != 1) return nullptr;
  // get_input is marked deprecated in ExecuTorch 1.5 (pinned: the pte extra): MethodMeta says
  // whether the input is planned, not where it lives, and this is the one call that does.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  const et::EValue& value = m.method->get_input(0);
#pragma GCC diagnostic pop
  if (!value.isTensor()) return nullptr;
  const auto& tensor = value.toTensor();
  if (tensor.scalar_type() != ::executorch::aten::ScalarType::Float || static_cast<std::size_t>(tensor.numel()) != floats) {
    return nullptr;
  }
  return tensor.mutable_data_ptr<float>();
}

Status Model::run_in_place(ModelOutputs& outputs) {
  Impl& m = *impl_;
  if (!m.method) return Status::kBackendError;
  std::optional<::executorch::extension::threadpool::NoThreadPoolGuard> single_thread;
  if (m.threads == 1) single_thread.emplace();
  if (m.method->execute() != et::Error::Ok) return Status::kBackendError;
  return collect(outputs);
}

Model::Plan Model::plan() const {
  Plan p;
  for (const auto& buffer : impl_->planned) p.planned += buffer.size();
  p.method_arena = impl_->method_arena.size();
  p.method_used = impl_->method_used;
  p.temp_arena = impl_->temp_arena ? kTempArenaBytes : 0;
  p.file = impl_->file_bytes;
  return p;
}

std::size_t Model::bytes() const {
  std::size_t total = impl_->method_arena.size() + (impl_->temp_arena ? kTempArenaBytes : 0) + impl_->file_bytes;
  for (const auto& buffer : impl_->planned) total += buffer.size();
  return total;
}

}  // namespace quakesat
