//===- RuntimeTest.cpp - The runtime API against the fake a + b model -----===//
//
// The model is fake_model.c: a, b: float32[2,3] -> y = a + b: float32[2,3],
// n = count(a > b): int64[].
//
//===----------------------------------------------------------------------===//

#include "gcomp/runtime.h"

#include "gtest/gtest.h"

#include <cstdint>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

extern "C" int fake_model_calls;
extern "C" int fake_model_entered;
extern "C" int fake_model_release;

namespace {

class RuntimeTest : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_EQ(gcomp_model_create(&model), GCOMP_OK) << gcomp_last_error();
    ASSERT_NE(model, nullptr);
    for (int i = 0; i < 6; ++i) {
      a[i] = static_cast<float>(i + 1);      // 1 2 3 4 5 6
      b[i] = static_cast<float>(10 - 3 * i); // 10 7 4 1 -2 -5
    }
    inputs[0] = {a, sizeof a, GCOMP_DTYPE_FLOAT32, 2, kDims23};
    inputs[1] = {b, sizeof b, GCOMP_DTYPE_FLOAT32, 2, kDims23};
    outputs[0] = {y, sizeof y, GCOMP_DTYPE_FLOAT32, 2, kDims23};
    outputs[1] = {&n, sizeof n, GCOMP_DTYPE_INT64, 0, nullptr};
  }
  void TearDown() override { gcomp_model_destroy(model); }

  gcomp_status run() { return gcomp_model_run(model, inputs, 2, outputs, 2); }
  std::string error() const { return gcomp_model_last_error(model); }

  // Expects a failing run with `status` and message `message`, and that the
  // model's code did not run.
  void expectRunFails(gcomp_status status, const std::string &message) {
    int calls = fake_model_calls;
    EXPECT_EQ(run(), status);
    EXPECT_EQ(error(), message);
    EXPECT_EQ(fake_model_calls, calls);
  }

  static constexpr int64_t kDims23[2] = {2, 3};

  gcomp_model *model = nullptr;
  float a[6], b[6], y[6] = {};
  int64_t n = -1;
  gcomp_tensor inputs[2];
  gcomp_tensor outputs[2];
};

constexpr int64_t RuntimeTest::kDims23[2];

std::string shapeOf(const gcomp_tensor_info &info) {
  std::string s = "[";
  for (int32_t i = 0; i < info.rank; ++i)
    s += (i ? "," : "") + std::to_string(info.dims[i]);
  return s + "]";
}

TEST(RuntimeGlobalTest, Versions) {
  EXPECT_STREQ(gcomp_version(), "0.1.0-fake");
  EXPECT_EQ(gcomp_abi_version(),
            static_cast<uint32_t>(GCOMP_RUNTIME_ABI_VERSION));
}

TEST(RuntimeGlobalTest, CreateAndDestroy) {
  gcomp_model *m1 = nullptr, *m2 = nullptr;
  ASSERT_EQ(gcomp_model_create(&m1), GCOMP_OK);
  ASSERT_EQ(gcomp_model_create(&m2), GCOMP_OK);
  EXPECT_NE(m1, m2);
  EXPECT_STREQ(gcomp_model_last_error(m1), "");
  gcomp_model_destroy(m1);
  gcomp_model_destroy(m2);
  gcomp_model_destroy(nullptr); // a no-op
}

TEST(RuntimeGlobalTest, CreateNullOut) {
  EXPECT_EQ(gcomp_model_create(nullptr), GCOMP_ERR_INVALID_ARGUMENT);
  EXPECT_STREQ(gcomp_last_error(), "gcomp_model_create: out_model is null");
}

TEST(RuntimeGlobalTest, LastErrorIsPerThread) {
  EXPECT_EQ(gcomp_model_create(nullptr), GCOMP_ERR_INVALID_ARGUMENT);
  std::string other;
  std::thread t([&] { other = gcomp_last_error(); });
  t.join();
  EXPECT_EQ(other, "");
  EXPECT_STREQ(gcomp_last_error(), "gcomp_model_create: out_model is null");

  std::thread t2([] {
    EXPECT_EQ(gcomp_model_run(nullptr, nullptr, 0, nullptr, 0),
              GCOMP_ERR_INVALID_ARGUMENT);
  });
  t2.join();
  EXPECT_STREQ(gcomp_last_error(), "gcomp_model_create: out_model is null");
}

TEST(RuntimeGlobalTest, NullModelQueries) {
  EXPECT_EQ(gcomp_model_num_inputs(nullptr), 0u);
  EXPECT_EQ(gcomp_model_num_outputs(nullptr), 0u);
  EXPECT_EQ(gcomp_model_input_index(nullptr, "a"), -1);
  EXPECT_EQ(gcomp_model_output_index(nullptr, "y"), -1);
  EXPECT_STREQ(gcomp_model_signature_json(nullptr), "");
  gcomp_tensor_info info;
  EXPECT_EQ(gcomp_model_input_info(nullptr, 0, &info),
            GCOMP_ERR_INVALID_ARGUMENT);
  EXPECT_STREQ(gcomp_last_error(), "gcomp_model_input_info: model is null");
  EXPECT_EQ(gcomp_model_output_info(nullptr, 0, &info),
            GCOMP_ERR_INVALID_ARGUMENT);
  EXPECT_STREQ(gcomp_last_error(), "gcomp_model_output_info: model is null");
  // With no instance, gcomp_model_last_error reports the thread's message.
  EXPECT_STREQ(gcomp_model_last_error(nullptr), gcomp_last_error());
}

TEST(RuntimeGlobalTest, NullModelRun) {
  EXPECT_EQ(gcomp_model_run(nullptr, nullptr, 0, nullptr, 0),
            GCOMP_ERR_INVALID_ARGUMENT);
  EXPECT_STREQ(gcomp_last_error(), "gcomp_model_run: model is null");
  const gcomp_tensor *outs;
  size_t num_outs;
  EXPECT_EQ(gcomp_model_run_alloc(nullptr, nullptr, 0, &outs, &num_outs),
            GCOMP_ERR_INVALID_ARGUMENT);
  EXPECT_STREQ(gcomp_last_error(), "gcomp_model_run_alloc: model is null");
}

TEST(RuntimeGlobalTest, Dtypes) {
  struct {
    int32_t dtype;
    size_t size;
    const char *name;
  } cases[] = {
      {GCOMP_DTYPE_FLOAT32, 4, "float32"},
      {GCOMP_DTYPE_UINT8, 1, "uint8"},
      {GCOMP_DTYPE_INT8, 1, "int8"},
      {GCOMP_DTYPE_UINT16, 2, "uint16"},
      {GCOMP_DTYPE_INT16, 2, "int16"},
      {GCOMP_DTYPE_INT32, 4, "int32"},
      {GCOMP_DTYPE_INT64, 8, "int64"},
      {GCOMP_DTYPE_BOOL, 1, "bool"},
      {GCOMP_DTYPE_FLOAT16, 2, "float16"},
      {GCOMP_DTYPE_FLOAT64, 8, "float64"},
      {GCOMP_DTYPE_UINT32, 4, "uint32"},
      {GCOMP_DTYPE_UINT64, 8, "uint64"},
      {GCOMP_DTYPE_BFLOAT16, 2, "bfloat16"},
      {GCOMP_DTYPE_UNDEFINED, 0, "undefined"},
      {8 /* string */, 0, "undefined"},
      {-1, 0, "undefined"},
      {1000, 0, "undefined"},
  };
  for (const auto &c : cases) {
    EXPECT_EQ(gcomp_dtype_size(c.dtype), c.size) << c.dtype;
    EXPECT_STREQ(gcomp_dtype_name(c.dtype), c.name) << c.dtype;
  }
}

TEST_F(RuntimeTest, Info) {
  ASSERT_EQ(gcomp_model_num_inputs(model), 2u);
  ASSERT_EQ(gcomp_model_num_outputs(model), 2u);

  gcomp_tensor_info info;
  ASSERT_EQ(gcomp_model_input_info(model, 0, &info), GCOMP_OK);
  EXPECT_STREQ(info.name, "a");
  EXPECT_EQ(info.dtype, GCOMP_DTYPE_FLOAT32);
  EXPECT_EQ(shapeOf(info), "[2,3]");
  ASSERT_EQ(gcomp_model_input_info(model, 1, &info), GCOMP_OK);
  EXPECT_STREQ(info.name, "b");
  ASSERT_EQ(gcomp_model_output_info(model, 0, &info), GCOMP_OK);
  EXPECT_STREQ(info.name, "y");
  EXPECT_EQ(info.dtype, GCOMP_DTYPE_FLOAT32);
  EXPECT_EQ(shapeOf(info), "[2,3]");
  ASSERT_EQ(gcomp_model_output_info(model, 1, &info), GCOMP_OK);
  EXPECT_STREQ(info.name, "n");
  EXPECT_EQ(info.dtype, GCOMP_DTYPE_INT64);
  EXPECT_EQ(info.rank, 0);
}

TEST_F(RuntimeTest, InfoErrors) {
  gcomp_tensor_info info;
  EXPECT_EQ(gcomp_model_input_info(model, 2, &info),
            GCOMP_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(error(), "gcomp_model_input_info: index 2 is out of range (the "
                     "model has 2 inputs)");
  EXPECT_EQ(gcomp_model_output_info(model, SIZE_MAX, &info),
            GCOMP_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(error(), "gcomp_model_output_info: index " +
                         std::to_string(SIZE_MAX) +
                         " is out of range (the model has 2 outputs)");
  EXPECT_EQ(gcomp_model_input_info(model, 0, nullptr),
            GCOMP_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(error(), "gcomp_model_input_info: out_info is null");
}

TEST_F(RuntimeTest, IndexLookup) {
  EXPECT_EQ(gcomp_model_input_index(model, "a"), 0);
  EXPECT_EQ(gcomp_model_input_index(model, "b"), 1);
  EXPECT_EQ(gcomp_model_input_index(model, "y"), -1);
  EXPECT_EQ(gcomp_model_input_index(model, ""), -1);
  EXPECT_EQ(gcomp_model_input_index(model, "ab"), -1);
  EXPECT_EQ(gcomp_model_input_index(model, nullptr), -1);
  EXPECT_EQ(gcomp_model_output_index(model, "y"), 0);
  EXPECT_EQ(gcomp_model_output_index(model, "n"), 1);
  EXPECT_EQ(gcomp_model_output_index(model, "a"), -1);
  EXPECT_EQ(gcomp_model_output_index(model, nullptr), -1);
}

TEST_F(RuntimeTest, SignatureJson) {
  EXPECT_STREQ(gcomp_model_signature_json(model),
               R"({"abi_version":1,"inputs":[)"
               R"({"name":"a","dtype":"float32","elem_type":1,"shape":[2,3]},)"
               R"({"name":"b","dtype":"float32","elem_type":1,"shape":[2,3]}],)"
               R"("outputs":[)"
               R"({"name":"y","dtype":"float32","elem_type":1,"shape":[2,3]},)"
               R"({"name":"n","dtype":"int64","elem_type":7,"shape":[]}]})");
}

TEST_F(RuntimeTest, Run) {
  int calls = fake_model_calls;
  ASSERT_EQ(run(), GCOMP_OK) << error();
  EXPECT_EQ(fake_model_calls, calls + 1);
  for (int i = 0; i < 6; ++i)
    EXPECT_EQ(y[i], a[i] + b[i]) << i;
  EXPECT_EQ(n, 3); // 4 > 1, 5 > -2, 6 > -5
  EXPECT_EQ(error(), "");

  // Larger buffers than needed are fine.
  float big[10];
  outputs[0].data = big;
  outputs[0].size_bytes = sizeof big;
  ASSERT_EQ(run(), GCOMP_OK) << error();
  EXPECT_EQ(big[5], a[5] + b[5]);
}

TEST_F(RuntimeTest, RunAlloc) {
  const gcomp_tensor *outs = nullptr;
  size_t num_outs = 0;
  ASSERT_EQ(gcomp_model_run_alloc(model, inputs, 2, &outs, &num_outs), GCOMP_OK)
      << error();
  ASSERT_EQ(num_outs, 2u);
  ASSERT_NE(outs, nullptr);
  EXPECT_EQ(outs[0].dtype, GCOMP_DTYPE_FLOAT32);
  EXPECT_EQ(outs[0].rank, 2);
  EXPECT_EQ(outs[0].dims[0], 2);
  EXPECT_EQ(outs[0].dims[1], 3);
  EXPECT_EQ(outs[0].size_bytes, 24u);
  EXPECT_EQ(outs[1].dtype, GCOMP_DTYPE_INT64);
  EXPECT_EQ(outs[1].rank, 0);
  EXPECT_EQ(outs[1].size_bytes, 8u);
  for (int i = 0; i < 2; ++i)
    EXPECT_EQ(reinterpret_cast<uintptr_t>(outs[i].data) % 64, 0u);
  const float *ys = static_cast<const float *>(outs[0].data);
  for (int i = 0; i < 6; ++i)
    EXPECT_EQ(ys[i], a[i] + b[i]);
  EXPECT_EQ(*static_cast<const int64_t *>(outs[1].data), 3);

  // A second run reuses the buffers.
  void *first = outs[0].data;
  a[0] = 100;
  const gcomp_tensor *outs2 = nullptr;
  ASSERT_EQ(gcomp_model_run_alloc(model, inputs, 2, &outs2, &num_outs),
            GCOMP_OK);
  EXPECT_EQ(outs2[0].data, first);
  EXPECT_EQ(static_cast<const float *>(outs2[0].data)[0], 110.0f);
  EXPECT_EQ(*static_cast<const int64_t *>(outs2[1].data), 4);
}

TEST_F(RuntimeTest, RunAllocErrors) {
  const gcomp_tensor *outs = reinterpret_cast<const gcomp_tensor *>(1);
  size_t num_outs = 7;
  EXPECT_EQ(gcomp_model_run_alloc(model, inputs, 2, nullptr, &num_outs),
            GCOMP_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(error(), "gcomp_model_run_alloc: out_outputs is null");
  EXPECT_EQ(gcomp_model_run_alloc(model, inputs, 2, &outs, nullptr),
            GCOMP_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(error(), "gcomp_model_run_alloc: out_num_outputs is null");

  inputs[1].dtype = GCOMP_DTYPE_INT32;
  EXPECT_EQ(gcomp_model_run_alloc(model, inputs, 2, &outs, &num_outs),
            GCOMP_ERR_DTYPE_MISMATCH);
  EXPECT_EQ(error(), "input 'b': expected dtype float32, got int32");
  EXPECT_EQ(outs, nullptr);
  EXPECT_EQ(num_outs, 0u);
  EXPECT_EQ(gcomp_model_run_alloc(model, inputs, 1, &outs, &num_outs),
            GCOMP_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(error(), "expected 2 inputs, got 1");
}

TEST_F(RuntimeTest, NullArguments) {
  int calls = fake_model_calls;
  EXPECT_EQ(gcomp_model_run(model, nullptr, 2, outputs, 2),
            GCOMP_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(error(), "inputs is null");
  EXPECT_EQ(gcomp_model_run(model, inputs, 2, nullptr, 2),
            GCOMP_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(error(), "outputs is null");
  EXPECT_EQ(fake_model_calls, calls);

  inputs[0].data = nullptr;
  expectRunFails(GCOMP_ERR_INVALID_ARGUMENT, "input 'a': data is null");
  inputs[0].data = a;
  outputs[1].data = nullptr;
  expectRunFails(GCOMP_ERR_INVALID_ARGUMENT, "output 'n': data is null");
  outputs[1].data = &n;
  inputs[1].dims = nullptr;
  expectRunFails(GCOMP_ERR_INVALID_ARGUMENT, "input 'b': dims is null");
}

TEST_F(RuntimeTest, WrongCount) {
  int calls = fake_model_calls;
  EXPECT_EQ(gcomp_model_run(model, inputs, 1, outputs, 2),
            GCOMP_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(error(), "expected 2 inputs, got 1");
  EXPECT_EQ(gcomp_model_run(model, inputs, 2, outputs, 3),
            GCOMP_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(error(), "expected 2 outputs, got 3");
  EXPECT_EQ(gcomp_model_run(model, inputs, 0, outputs, 2),
            GCOMP_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(error(), "expected 2 inputs, got 0");
  EXPECT_EQ(fake_model_calls, calls);
}

TEST_F(RuntimeTest, WrongDtype) {
  inputs[1].dtype = GCOMP_DTYPE_INT64;
  expectRunFails(GCOMP_ERR_DTYPE_MISMATCH,
                 "input 'b': expected dtype float32, got int64");
  inputs[1].dtype = 99;
  expectRunFails(GCOMP_ERR_DTYPE_MISMATCH,
                 "input 'b': expected dtype float32, got unknown dtype 99");
  inputs[1].dtype = GCOMP_DTYPE_FLOAT32;
  outputs[1].dtype = GCOMP_DTYPE_INT32;
  expectRunFails(GCOMP_ERR_DTYPE_MISMATCH,
                 "output 'n': expected dtype int64, got int32");
}

TEST_F(RuntimeTest, WrongRank) {
  const int64_t dims6[1] = {6};
  inputs[0].rank = 1;
  inputs[0].dims = dims6;
  expectRunFails(GCOMP_ERR_SHAPE_MISMATCH,
                 "input 'a': expected rank 2 (shape [2,3]), got rank 1");
  inputs[0].rank = 2;
  inputs[0].dims = kDims23;
  outputs[1].rank = 1;
  outputs[1].dims = dims6;
  expectRunFails(GCOMP_ERR_SHAPE_MISMATCH,
                 "output 'n': expected rank 0 (shape []), got rank 1");
}

TEST_F(RuntimeTest, WrongDim) {
  const int64_t dims33[2] = {3, 3};
  inputs[0].dims = dims33;
  expectRunFails(GCOMP_ERR_SHAPE_MISMATCH,
                 "input 'a': expected shape [2,3], got [3,3]");
  inputs[0].dims = kDims23;
  const int64_t dims32[2] = {3, 2};
  outputs[0].dims = dims32;
  expectRunFails(GCOMP_ERR_SHAPE_MISMATCH,
                 "output 'y': expected shape [2,3], got [3,2]");
  const int64_t negative[2] = {2, -1};
  outputs[0].dims = negative;
  expectRunFails(GCOMP_ERR_SHAPE_MISMATCH,
                 "output 'y': dim 1 is -1; dims must be non-negative");
}

TEST_F(RuntimeTest, InputTooSmall) {
  inputs[1].size_bytes = 20;
  expectRunFails(GCOMP_ERR_BUFFER_TOO_SMALL,
                 "input 'b': buffer is 20 bytes, needs 24 (float32 [2,3])");
}

TEST_F(RuntimeTest, OutputTooSmall) {
  outputs[0].size_bytes = 8;
  expectRunFails(GCOMP_ERR_BUFFER_TOO_SMALL,
                 "output 'y': buffer is 8 bytes, needs 24 (float32 [2,3])");
  outputs[0].size_bytes = 24;
  outputs[1].size_bytes = 0;
  expectRunFails(GCOMP_ERR_BUFFER_TOO_SMALL,
                 "output 'n': buffer is 0 bytes, needs 8 (int64 [])");
}

TEST_F(RuntimeTest, OverlappingBuffers) {
  int calls = fake_model_calls;
  // An output in an input's buffer (y is [2,3] f32 like a).
  outputs[0].data = a;
  expectRunFails(GCOMP_ERR_INVALID_ARGUMENT,
                 "output 'y' overlaps input 'a' (outputs need buffers of "
                 "their own)");
  // Two outputs sharing bytes.
  outputs[0].data = y;
  outputs[1].data = reinterpret_cast<char *>(y) + 16;
  expectRunFails(GCOMP_ERR_INVALID_ARGUMENT, "output 'n' overlaps output 'y'");
  EXPECT_EQ(fake_model_calls, calls);
  // Adjacent buffers are fine.
  alignas(8) float both[8];
  outputs[0].data = both;
  outputs[1].data = both + 6;
  ASSERT_EQ(run(), GCOMP_OK) << error();

  // run_alloc: the previous run's output fed back as an input.
  const gcomp_tensor *outs = nullptr;
  size_t num_outs = 0;
  ASSERT_EQ(gcomp_model_run_alloc(model, inputs, 2, &outs, &num_outs), GCOMP_OK);
  gcomp_tensor again[2] = {inputs[0], inputs[1]};
  again[0].data = outs[0].data;
  EXPECT_EQ(gcomp_model_run_alloc(model, again, 2, &outs, &num_outs),
            GCOMP_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(error(), "output 'y' overlaps input 'a' (outputs need buffers of "
                     "their own)");
}

TEST_F(RuntimeTest, EntryFailure) {
  a[0] = 12345;
  EXPECT_EQ(run(), GCOMP_ERR_INTERNAL);
  EXPECT_EQ(error(), "the model's code failed (code 3)");
}

TEST_F(RuntimeTest, LastErrorStaysUntilTheNextFailure) {
  EXPECT_EQ(error(), "");
  EXPECT_EQ(gcomp_model_run(model, inputs, 1, outputs, 2),
            GCOMP_ERR_INVALID_ARGUMENT);
  ASSERT_EQ(run(), GCOMP_OK);
  EXPECT_EQ(error(), "expected 2 inputs, got 1");
  // Instance errors do not touch the thread's message, nor the other way.
  gcomp_model_create(nullptr);
  EXPECT_STREQ(gcomp_last_error(), "gcomp_model_create: out_model is null");
  EXPECT_EQ(error(), "expected 2 inputs, got 1");
}

TEST_F(RuntimeTest, InstancesAreIndependent) {
  gcomp_model *other;
  ASSERT_EQ(gcomp_model_create(&other), GCOMP_OK);
  EXPECT_EQ(gcomp_model_run(model, inputs, 1, outputs, 2),
            GCOMP_ERR_INVALID_ARGUMENT);
  EXPECT_STREQ(gcomp_model_last_error(other), "");
  gcomp_model_destroy(other);
}

} // namespace

namespace {

// The concurrency contract of runtime.h: separate instances of one model
// run in parallel threads, each getting what a serial run gets, while other
// threads create and destroy instances of their own. (sanitizers.test runs
// this under ThreadSanitizer too.)
TEST(RuntimeConcurrencyTest, ParallelInstancesMatchSerialRuns) {
  constexpr int kThreads = 4, kRuns = 300;
  static constexpr int64_t kDims[2] = {2, 3};
  std::vector<int> failures(kThreads, 0);
  auto work = [&](int t) {
    gcomp_model *m = nullptr;
    if (gcomp_model_create(&m) != GCOMP_OK) {
      failures[t] = -1;
      return;
    }
    for (int r = 0; r < kRuns; ++r) {
      float a[6], b[6], y[6];
      int64_t n = -1;
      for (int i = 0; i < 6; ++i) {
        a[i] = static_cast<float>(t * 1000 + r + i);
        b[i] = static_cast<float>((t + r) % 7) * (i % 2 ? 1000.0f : -1.0f);
      }
      gcomp_tensor in[2] = {{a, sizeof a, GCOMP_DTYPE_FLOAT32, 2, kDims},
                            {b, sizeof b, GCOMP_DTYPE_FLOAT32, 2, kDims}};
      gcomp_tensor out[2] = {{y, sizeof y, GCOMP_DTYPE_FLOAT32, 2, kDims},
                             {&n, sizeof n, GCOMP_DTYPE_INT64, 0, nullptr}};
      if (gcomp_model_run(m, in, 2, out, 2) != GCOMP_OK) {
        ++failures[t];
        continue;
      }
      int64_t greater = 0;
      for (int i = 0; i < 6; ++i) {
        greater += a[i] > b[i];
        if (y[i] != a[i] + b[i])
          ++failures[t];
      }
      if (n != greater)
        ++failures[t];
    }
    gcomp_model_destroy(m);
  };
  // Meanwhile, instances come and go on another thread.
  std::thread churn([] {
    for (int i = 0; i < 200; ++i) {
      gcomp_model *m = nullptr;
      if (gcomp_model_create(&m) == GCOMP_OK)
        gcomp_model_destroy(m);
    }
  });
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back(work, t);
  for (std::thread &t : threads)
    t.join();
  churn.join();
  for (int t = 0; t < kThreads; ++t)
    EXPECT_EQ(failures[t], 0) << "thread " << t;
}

// runtime.h: a run on an instance that is running in another thread is
// refused with GCOMP_ERR_BUSY, and the run in progress finishes untouched.
TEST_F(RuntimeTest, RunOnABusyInstanceIsRefused) {
  __atomic_store_n(&fake_model_entered, 0, __ATOMIC_RELAXED);
  __atomic_store_n(&fake_model_release, 0, __ATOMIC_RELAXED);
  float slowA[6] = {-777, 1, 2, 3, 4, 5}, slowY[6] = {};
  int64_t slowN = -1;
  gcomp_tensor slowIn[2] = {{slowA, sizeof slowA, GCOMP_DTYPE_FLOAT32, 2,
                             kDims23},
                            inputs[1]};
  gcomp_tensor slowOut[2] = {
      {slowY, sizeof slowY, GCOMP_DTYPE_FLOAT32, 2, kDims23},
      {&slowN, sizeof slowN, GCOMP_DTYPE_INT64, 0, nullptr}};
  gcomp_status slowStatus = GCOMP_ERR_INTERNAL;
  std::thread slow([&] {
    slowStatus = gcomp_model_run(model, slowIn, 2, slowOut, 2);
  });
  while (!__atomic_load_n(&fake_model_entered, __ATOMIC_ACQUIRE))
    std::this_thread::yield();

  EXPECT_EQ(run(), GCOMP_ERR_BUSY);
  EXPECT_NE(std::string(gcomp_last_error()).find("already running"),
            std::string::npos)
      << gcomp_last_error();
  const gcomp_tensor *owned = nullptr;
  size_t numOwned = 0;
  EXPECT_EQ(gcomp_model_run_alloc(model, inputs, 2, &owned, &numOwned),
            GCOMP_ERR_BUSY);
  EXPECT_EQ(owned, nullptr);
  EXPECT_EQ(gcomp_model_run_device(model, inputs, 2, outputs, 2),
            GCOMP_ERR_BUSY);

  __atomic_store_n(&fake_model_release, 1, __ATOMIC_RELEASE);
  slow.join();
  EXPECT_EQ(slowStatus, GCOMP_OK) << error();
  EXPECT_EQ(slowY[1], slowA[1] + b[1]);
  // Free again once the first run has returned.
  EXPECT_EQ(run(), GCOMP_OK) << error();
  EXPECT_EQ(y[5], a[5] + b[5]);
}

// Two threads hammer one instance: every call either runs (and its results
// are right) or is refused as busy; nothing else, and no data race (this
// test also runs under ThreadSanitizer, tsan.test). A refused thread yields
// and tries again until it has had its runs.
TEST(RuntimeConcurrencyTest, SharedInstanceRunsOrRefuses) {
  constexpr int kThreads = 2, kRuns = 1000;
  static constexpr int64_t kDims[2] = {2, 3};
  gcomp_model *m = nullptr;
  ASSERT_EQ(gcomp_model_create(&m), GCOMP_OK) << gcomp_last_error();
  std::vector<int> ran(kThreads, 0), wrong(kThreads, 0);
  std::vector<long> busy(kThreads, 0);
  auto work = [&](int t) {
    for (int r = 0; ran[t] < kRuns && busy[t] < 100000000; ++r) {
      float a[6], b[6], y[6];
      int64_t n = -1;
      for (int i = 0; i < 6; ++i) {
        a[i] = static_cast<float>(t * 100000 + r % 10000 * 10 + i + 1);
        b[i] = static_cast<float>(i);
      }
      gcomp_tensor in[2] = {{a, sizeof a, GCOMP_DTYPE_FLOAT32, 2, kDims},
                            {b, sizeof b, GCOMP_DTYPE_FLOAT32, 2, kDims}};
      gcomp_tensor out[2] = {{y, sizeof y, GCOMP_DTYPE_FLOAT32, 2, kDims},
                             {&n, sizeof n, GCOMP_DTYPE_INT64, 0, nullptr}};
      gcomp_status st = gcomp_model_run(m, in, 2, out, 2);
      if (st == GCOMP_ERR_BUSY) {
        ++busy[t];
        std::this_thread::yield();
        continue;
      }
      ++ran[t];
      if (st != GCOMP_OK || n != 6)
        ++wrong[t];
      for (int i = 0; i < 6; ++i)
        wrong[t] += y[i] != a[i] + b[i];
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back(work, t);
  for (std::thread &t : threads)
    t.join();
  gcomp_model_destroy(m);
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(wrong[t], 0) << "thread " << t;
    EXPECT_EQ(ran[t], kRuns) << "thread " << t << " refused " << busy[t]
                             << " times";
  }
}

} // namespace
