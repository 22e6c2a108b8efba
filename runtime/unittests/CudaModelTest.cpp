//===- CudaModelTest.cpp - A CUDA model's host side, on a fake driver ----===//
//
// The fake model libraries are what gcomp --target=cuda emits, written by
// hand (fake_model_variants.c); fake_cuda_driver.c stands in for
// libcuda.so.1 (GCOMP_CUDA_DRIVER), so that the runtime's use of the
// driver runs without a GPU. Each library has its own copy of the runtime,
// which loads the driver once: the no-driver and bad-PTX cases have
// libraries of their own.
//
//===----------------------------------------------------------------------===//

#include "ModelLibrary.h"

#include <cstdlib>
#include <dlfcn.h>
#include <string>

namespace {

using gcomp::testing::ModelLibrary;

/// Sets an environment variable for the scope.
struct ScopedEnv {
  std::string name;
  ScopedEnv(const char *n, const char *value) : name(n) {
    setenv(n, value, 1);
  }
  ~ScopedEnv() { unsetenv(name.c_str()); }
};

class CudaModelTest : public gcomp::testing::ModelInstanceTest {
protected:
  CudaModelTest() : ModelInstanceTest(GCOMP_FAKE_MODEL_CUDA) {}
  void SetUp() override {
    ScopedEnv driver("GCOMP_CUDA_DRIVER", GCOMP_FAKE_CUDA_DRIVER);
    ModelInstanceTest::SetUp();
  }
  /// A counter of the fake driver's (the runtime loaded it RTLD_LOCAL, and
  /// dlopen of the same path returns that handle).
  int64_t driverCounter(const char *name) {
    void *driver = dlopen(GCOMP_FAKE_CUDA_DRIVER, RTLD_NOW | RTLD_NOLOAD);
    if (!driver)
      return -1;
    int64_t value = *static_cast<int64_t *>(dlsym(driver, name));
    dlclose(driver);
    return value;
  }
  gcomp_status run(float *a, float *y, bool onDevice = false) {
    gcomp_tensor in = {a, 4 * sizeof(float), GCOMP_DTYPE_FLOAT32, 1, dims};
    gcomp_tensor out = {y, 4 * sizeof(float), GCOMP_DTYPE_FLOAT32, 1, dims};
    return onDevice ? lib.gcomp_model_run_device(model, &in, 1, &out, 1)
                    : lib.gcomp_model_run(model, &in, 1, &out, 1);
  }

  int64_t dims[1] = {4};
};

TEST_F(CudaModelTest, RunsOnHostBuffersThroughTheDevice) {
  EXPECT_STREQ(lib.gcomp_model_target(model), "cuda");
  // The weights went to the device once, when the instance was created.
  EXPECT_EQ(driverCounter("fake_cuda_bytes_to_device_sync"), 16);
  float a[4] = {1, 2, 3, 4}, y[4] = {};
  ASSERT_EQ(run(a, y), GCOMP_OK) << error();
  EXPECT_EQ(y[0], 11.0f);
  EXPECT_EQ(y[3], 44.0f);
  // The input was staged; the weights were not copied again.
  EXPECT_EQ(driverCounter("fake_cuda_bytes_to_device_async"), 16);
  EXPECT_EQ(driverCounter("fake_cuda_bytes_to_device_sync"), 16);
}

TEST_F(CudaModelTest, RunsOnDevicePointers) {
  // The fake device's memory is the host's: these stand for device buffers.
  alignas(16) float a[4] = {5, 6, 7, 8};
  alignas(16) float y[4] = {};
  int64_t staged = driverCounter("fake_cuda_bytes_to_device_async");
  int64_t onDevice = driverCounter("fake_cuda_bytes_device_to_device");
  ASSERT_EQ(run(a, y, /*onDevice=*/true), GCOMP_OK) << error();
  EXPECT_EQ(y[0], 15.0f);
  EXPECT_EQ(y[3], 48.0f);
  EXPECT_EQ(driverCounter("fake_cuda_bytes_to_device_async"), staged);
  EXPECT_EQ(driverCounter("fake_cuda_bytes_device_to_device"), onDevice);
  // The checks are gcomp_model_run's.
  dims[0] = 3;
  EXPECT_EQ(run(a, y, true), GCOMP_ERR_SHAPE_MISMATCH);
}

TEST_F(CudaModelTest, StagesMisalignedDevicePointersOnTheDevice) {
  // The kernels may access tensors 16 bytes at a time: tensors 4 bytes past
  // a 16-byte boundary are copied to and from the staging buffers on the
  // device, and the results are the same.
  alignas(16) float in[5] = {0, 5, 6, 7, 8};
  alignas(16) float out[5] = {};
  int64_t before = driverCounter("fake_cuda_bytes_device_to_device");
  ASSERT_EQ(run(in + 1, out + 1, /*onDevice=*/true), GCOMP_OK) << error();
  EXPECT_EQ(out[1], 15.0f);
  EXPECT_EQ(out[4], 48.0f);
  EXPECT_EQ(out[0], 0.0f);
  EXPECT_EQ(driverCounter("fake_cuda_bytes_device_to_device"), before + 32);
  // An aligned output with a misaligned input: only the input is copied.
  alignas(16) float y[4] = {};
  ASSERT_EQ(run(in + 1, y, true), GCOMP_OK) << error();
  EXPECT_EQ(y[0], 15.0f);
  EXPECT_EQ(driverCounter("fake_cuda_bytes_device_to_device"), before + 48);
}

TEST_F(CudaModelTest, DriverErrorsAreDeviceErrorsWithTheirText) {
  float a[4] = {666, 0, 0, 0}, y[4] = {};
  ASSERT_EQ(run(a, y), GCOMP_ERR_DEVICE);
  EXPECT_NE(error().find("the GPU run failed in launching the model's CUDA "
                         "graph: CUDA_ERROR_LAUNCH_FAILED (719): unspecified "
                         "launch failure"),
            std::string::npos)
      << error();
  // The instance runs again afterwards.
  a[0] = 1;
  ASSERT_EQ(run(a, y), GCOMP_OK) << error();
  EXPECT_EQ(y[0], 11.0f);
}

TEST_F(CudaModelTest, RunsReplayTheGraphOfTheFirst) {
  int64_t calls = driverCounter("fake_cuda_launch_calls");
  int64_t graphs = driverCounter("fake_cuda_graph_launches");
  float a[4] = {1, 2, 3, 4}, y[4] = {};
  for (float first : {1.0f, 2.0f, 3.0f}) {
    a[0] = first;
    ASSERT_EQ(run(a, y), GCOMP_OK) << error();
    EXPECT_EQ(y[0], first + 10.0f);
  }
  // Recorded by the first run (one launch), replayed by every run.
  EXPECT_EQ(driverCounter("fake_cuda_launch_calls"), calls + 1);
  EXPECT_EQ(driverCounter("fake_cuda_graph_launches"), graphs + 3);
}

TEST_F(CudaModelTest, OtherDeviceBuffersRecordAnotherGraph) {
  // 16-byte aligned, or they would be staged (one buffer each).
  alignas(16) float a[4] = {1, 2, 3, 4};
  alignas(16) float b[4] = {5, 6, 7, 8};
  alignas(16) float y[4] = {};
  alignas(16) float z[4] = {};
  int64_t calls = driverCounter("fake_cuda_launch_calls");
  ASSERT_EQ(run(a, y, /*onDevice=*/true), GCOMP_OK) << error();
  ASSERT_EQ(run(a, y, true), GCOMP_OK) << error();
  EXPECT_EQ(driverCounter("fake_cuda_launch_calls"), calls + 1);
  ASSERT_EQ(run(b, z, true), GCOMP_OK) << error();
  EXPECT_EQ(driverCounter("fake_cuda_launch_calls"), calls + 2);
  EXPECT_EQ(y[3], 44.0f);
  EXPECT_EQ(z[3], 48.0f);
  // One graph per instance: the last one recorded.
  int64_t live = driverCounter("fake_cuda_live_graphs");
  lib.gcomp_model_destroy(model);
  model = nullptr;
  EXPECT_EQ(driverCounter("fake_cuda_live_graphs"), live - 1);
}

TEST_F(CudaModelTest, WithoutGraphsEveryRunLaunchesItsKernels) {
  for (const char *env : {"GCOMP_CUDA_GRAPHS", "FAKE_CUDA_NO_CAPTURE"}) {
    ScopedEnv off(env, env[0] == 'G' ? "0" : "1");
    gcomp_model *plain = nullptr;
    ASSERT_EQ(lib.gcomp_model_create(&plain), GCOMP_OK) << lib.gcomp_last_error();
    std::swap(plain, model);
    int64_t graphs = driverCounter("fake_cuda_graph_launches");
    int64_t calls = driverCounter("fake_cuda_launch_calls");
    float a[4] = {1, 2, 3, 4}, y[4] = {};
    ASSERT_EQ(run(a, y), GCOMP_OK) << env << ": " << error();
    ASSERT_EQ(run(a, y), GCOMP_OK) << env << ": " << error();
    EXPECT_EQ(y[3], 44.0f);
    EXPECT_EQ(driverCounter("fake_cuda_launch_calls"), calls + 2) << env;
    EXPECT_EQ(driverCounter("fake_cuda_graph_launches"), graphs) << env;
    // A failing kernel is reported at its launch.
    a[0] = 666;
    ASSERT_EQ(run(a, y), GCOMP_ERR_DEVICE);
    EXPECT_NE(error().find("the GPU run failed in a kernel launch: "
                           "CUDA_ERROR_LAUNCH_FAILED (719)"),
              std::string::npos)
        << error();
    std::swap(plain, model);
    lib.gcomp_model_destroy(plain);
  }
}

TEST_F(CudaModelTest, DestroyingFreesTheDeviceMemory) {
  int64_t live = driverCounter("fake_cuda_live_allocations");
  gcomp_model *second = nullptr;
  ASSERT_EQ(lib.gcomp_model_create(&second), GCOMP_OK)
      << lib.gcomp_last_error();
  EXPECT_EQ(driverCounter("fake_cuda_live_allocations"), live + 1);
  lib.gcomp_model_destroy(second);
  EXPECT_EQ(driverCounter("fake_cuda_live_allocations"), live);
}

TEST_F(CudaModelTest, RefusesAnOlderGpuAndAMissingOne) {
  gcomp_model *other = nullptr;
  {
    ScopedEnv sm("FAKE_CUDA_SM", "75");
    EXPECT_EQ(lib.gcomp_model_create(&other), GCOMP_ERR_DEVICE);
    EXPECT_STREQ(lib.gcomp_last_error(),
                 "GPU 0 (Fake GPU) is sm_75; the model was compiled for "
                 "sm_80 (gcomp --gpu-arch)");
  }
  {
    ScopedEnv devices("FAKE_CUDA_DEVICES", "0");
    EXPECT_EQ(lib.gcomp_model_create(&other), GCOMP_ERR_DEVICE);
    EXPECT_STREQ(lib.gcomp_last_error(),
                 "no CUDA device: the driver sees no GPU");
  }
  {
    ScopedEnv device("GCOMP_CUDA_DEVICE", "3");
    EXPECT_EQ(lib.gcomp_model_create(&other), GCOMP_ERR_DEVICE);
    EXPECT_STREQ(lib.gcomp_last_error(),
                 "GCOMP_CUDA_DEVICE=3: there are 1 CUDA devices (0..0)");
  }
  EXPECT_EQ(other, nullptr);
}

TEST(CudaModel, NoDriverIsAClearError) {
  ModelLibrary lib(GCOMP_FAKE_MODEL_CUDA_NO_DRIVER);
  ASSERT_TRUE(lib.complete()) << dlerror();
  ScopedEnv driver("GCOMP_CUDA_DRIVER", "/nonexistent/libcuda.so.1");
  gcomp_model *model = nullptr;
  EXPECT_EQ(lib.gcomp_model_create(&model), GCOMP_ERR_DEVICE);
  EXPECT_EQ(model, nullptr);
  std::string message = lib.gcomp_last_error();
  EXPECT_EQ(message.rfind("no CUDA driver: cannot load "
                          "/nonexistent/libcuda.so.1 (",
                          0),
            0u)
      << message;
  EXPECT_NE(message.find("this model was compiled with gcomp --target=cuda"),
            std::string::npos);
}

TEST(CudaModel, RejectedPtxReportsTheJitLog) {
  ModelLibrary lib(GCOMP_FAKE_MODEL_CUDA_BAD_PTX);
  ASSERT_TRUE(lib.complete()) << dlerror();
  ScopedEnv driver("GCOMP_CUDA_DRIVER", GCOMP_FAKE_CUDA_DRIVER);
  gcomp_model *model = nullptr;
  EXPECT_EQ(lib.gcomp_model_create(&model), GCOMP_ERR_DEVICE);
  EXPECT_STREQ(lib.gcomp_last_error(),
               "the CUDA driver rejected the model's kernels: "
               "CUDA_ERROR_INVALID_PTX (218): fake error; ptxas fatal: fake "
               "syntax error");
}

TEST(CudaModel, CpuModelsRefuseDeviceRuns) {
  ModelLibrary lib(GCOMP_FAKE_MODEL_DYNAMIC);
  ASSERT_TRUE(lib.complete()) << dlerror();
  gcomp_model *model = nullptr;
  ASSERT_EQ(lib.gcomp_model_create(&model), GCOMP_OK);
  EXPECT_STREQ(lib.gcomp_model_target(model), "cpu");
  EXPECT_EQ(lib.gcomp_model_run_device(model, nullptr, 0, nullptr, 0),
            GCOMP_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(lib.gcomp_model_last_error(model))
                .find("this model runs on the CPU"),
            std::string::npos);
  lib.gcomp_model_destroy(model);
}

} // namespace
