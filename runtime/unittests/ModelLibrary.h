//===- ModelLibrary.h - The API of a fake model.so, resolved with dlsym ---===//
//
// Each library is fake_model_variants.c linked with libgcomp_runtime.a into a
// shared object the way gcomp links a model; see CMakeLists.txt.
//
//===----------------------------------------------------------------------===//

#ifndef GCOMP_RUNTIME_UNITTESTS_MODELLIBRARY_H
#define GCOMP_RUNTIME_UNITTESTS_MODELLIBRARY_H

#include "gcomp/runtime.h"

#include "gtest/gtest.h"

#include <dlfcn.h>

#include <string>

namespace gcomp::testing {

// The runtime.h functions resolved from one model.so.
struct ModelLibrary {
#define GCOMP_API_FUNCTIONS(X)                                                 \
  X(gcomp_version)                                                             \
  X(gcomp_abi_version)                                                         \
  X(gcomp_last_error)                                                          \
  X(gcomp_model_create)                                                        \
  X(gcomp_model_destroy)                                                       \
  X(gcomp_model_num_inputs)                                                    \
  X(gcomp_model_num_outputs)                                                   \
  X(gcomp_model_input_info)                                                    \
  X(gcomp_model_output_info)                                                   \
  X(gcomp_model_input_index)                                                   \
  X(gcomp_model_output_index)                                                  \
  X(gcomp_model_signature_json)                                                \
  X(gcomp_model_run)                                                           \
  X(gcomp_model_run_alloc)                                                     \
  X(gcomp_model_output_dims)                                                   \
  X(gcomp_model_run_device)                                                    \
  X(gcomp_model_target)                                                        \
  X(gcomp_model_last_error)                                                    \
  X(gcomp_model_profile_num_kernels)                                           \
  X(gcomp_model_profile_kernel)                                                \
  X(gcomp_model_profile_reset)                                                 \
  X(gcomp_model_profile_write_trace)                                           \
  X(gcomp_dtype_size)                                                          \
  X(gcomp_dtype_name)
#define DECLARE(name) decltype(&::name) name = nullptr;
  GCOMP_API_FUNCTIONS(DECLARE)
#undef DECLARE

  void *handle = nullptr;

  explicit ModelLibrary(const char *path) {
    handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!handle)
      return;
#define RESOLVE(fn) fn = reinterpret_cast<decltype(fn)>(dlsym(handle, #fn));
    GCOMP_API_FUNCTIONS(RESOLVE)
#undef RESOLVE
  }
  ~ModelLibrary() {
    if (handle)
      dlclose(handle);
  }
  ModelLibrary(const ModelLibrary &) = delete;
  ModelLibrary &operator=(const ModelLibrary &) = delete;

  bool complete() const {
    bool all = handle != nullptr;
#define CHECK(fn) all = all && fn != nullptr;
    GCOMP_API_FUNCTIONS(CHECK)
#undef CHECK
    return all;
  }
#undef GCOMP_API_FUNCTIONS
};

/// A test fixture with one instance of the fake model.so at `path`.
class ModelInstanceTest : public ::testing::Test {
protected:
  explicit ModelInstanceTest(const char *path) : lib(path) {}
  void SetUp() override {
    ASSERT_TRUE(lib.complete()) << dlerror();
    ASSERT_EQ(lib.gcomp_model_create(&model), GCOMP_OK)
        << lib.gcomp_last_error();
  }
  void TearDown() override {
    if (model)
      lib.gcomp_model_destroy(model);
  }
  std::string error() const { return lib.gcomp_model_last_error(model); }

  ModelLibrary lib;
  gcomp_model *model = nullptr;
};

} // namespace gcomp::testing

#endif // GCOMP_RUNTIME_UNITTESTS_MODELLIBRARY_H
