//===- ModelLibraryTest.cpp - Fake models loaded as real model.so files ---===//
//
// Each library is fake_model_variants.c linked with libgcomp_runtime.a into a
// shared object the way gcomp links a model; see CMakeLists.txt.
//
//===----------------------------------------------------------------------===//

#include "ModelLibrary.h"

#include "gtest/gtest.h"

#include <algorithm>

#include <dlfcn.h>

#include <cstdint>
#include <string>
#include <vector>

namespace {

using gcomp::testing::ModelLibrary;

TEST(ModelLibraryTest, ExportsExactlyTheApi) {
  ModelLibrary lib(GCOMP_FAKE_MODEL_DYNAMIC);
  ASSERT_NE(lib.handle, nullptr) << dlerror();
  EXPECT_TRUE(lib.complete());
  EXPECT_STREQ(lib.gcomp_version(), "0.1.0-variant");
  EXPECT_EQ(lib.gcomp_abi_version(), 1u);
  // Neither the compiler's symbols (defined with default visibility in the
  // fake, referred to as hidden by the runtime), nor the compiled code's
  // other globals (hidden by gcomp_model.map), nor the runtime's internals.
  for (const char *hidden :
       {"__gcomp_signature", "__gcomp_names", "__gcomp_cpu_features",
        "__gcomp_producer", "__gcomp_entry", "__gcomp_profile_kernels",
        "__gcomp_profile_names", "__gcomp_prof_begin", "__gcomp_prof_end",
        "gcomp_rt_cpu_has_feature", "gcomp_rt_missing_cpu_features",
        "gcomp_rt_profile_create", "gcomp_rt_sb_append", "fake_model_kernel"})
    EXPECT_EQ(dlsym(lib.handle, hidden), nullptr) << hidden;
}

TEST(ModelLibraryTest, TwoModelsInOneProcess) {
  // The test executable has the a + b model linked in; the library must
  // still read its own tables.
  ModelLibrary dyn(GCOMP_FAKE_MODEL_DYNAMIC);
  ASSERT_TRUE(dyn.complete());
  gcomp_model *m1, *m2;
  ASSERT_EQ(dyn.gcomp_model_create(&m1), GCOMP_OK);
  ASSERT_EQ(gcomp_model_create(&m2), GCOMP_OK);
  EXPECT_EQ(dyn.gcomp_model_input_index(m1, "k"), 1);
  EXPECT_EQ(gcomp_model_input_index(m2, "b"), 1);
  EXPECT_STREQ(dyn.gcomp_version(), "0.1.0-variant");
  EXPECT_STREQ(gcomp_version(), "0.1.0-fake");
  dyn.gcomp_model_destroy(m1);
  gcomp_model_destroy(m2);
}

class DynamicModelTest : public gcomp::testing::ModelInstanceTest {
protected:
  DynamicModelTest() : ModelInstanceTest(GCOMP_FAKE_MODEL_DYNAMIC) {}
};

TEST_F(DynamicModelTest, Info) {
  gcomp_tensor_info info;
  ASSERT_EQ(lib.gcomp_model_input_info(model, 0, &info), GCOMP_OK);
  EXPECT_STREQ(info.name, "in \"q\"\\path");
  ASSERT_EQ(info.rank, 2);
  EXPECT_EQ(info.dims[0], -1);
  EXPECT_EQ(info.dims[1], 3);
  EXPECT_EQ(lib.gcomp_model_input_index(model, "in \"q\"\\path"), 0);
  EXPECT_EQ(lib.gcomp_model_input_index(model, "k"), 1);
  EXPECT_EQ(lib.gcomp_model_output_index(model, "out\t1"), 0);
  EXPECT_EQ(lib.gcomp_model_output_index(model, "dyn"), 1);
}

TEST_F(DynamicModelTest, SignatureJsonEscapesNames) {
  EXPECT_STREQ(
      lib.gcomp_model_signature_json(model),
      R"({"abi_version":1,"inputs":[)"
      R"({"name":"in \"q\"\\path","dtype":"float32","elem_type":1,"shape":[-1,3]},)"
      R"({"name":"k","dtype":"int64","elem_type":7,"shape":[]}],)"
      R"("outputs":[)"
      R"({"name":"out\t1","dtype":"float32","elem_type":1,"shape":[3]},)"
      R"({"name":"dyn","dtype":"float32","elem_type":1,"shape":[-1]}]})");
}

TEST_F(DynamicModelTest, DynamicDimsAcceptAnySize) {
  int64_t k = 0;
  float out[3] = {}, dyn[4];
  const int64_t dims_k[1] = {0}; // unused: rank 0
  const int64_t dims3[1] = {3};
  for (int64_t batch : {0, 1, 5}) {
    float x[15] = {};
    const int64_t dims_x[2] = {batch, 3};
    const int64_t dims_dyn[1] = {batch % 4};
    gcomp_tensor inputs[2] = {{batch ? x : nullptr,
                               static_cast<size_t>(batch) * 12,
                               GCOMP_DTYPE_FLOAT32, 2, dims_x},
                              {&k, sizeof k, GCOMP_DTYPE_INT64, 0, dims_k}};
    gcomp_tensor outputs[2] = {
        {out, sizeof out, GCOMP_DTYPE_FLOAT32, 1, dims3},
        {dyn, sizeof dyn, GCOMP_DTYPE_FLOAT32, 1, dims_dyn}};
    ASSERT_EQ(lib.gcomp_model_run(model, inputs, 2, outputs, 2), GCOMP_OK)
        << "batch " << batch << ": " << error();
    EXPECT_EQ(out[2], 3.0f);

    // The static dim is still checked, and the size uses the actual dims.
    const int64_t bad[2] = {batch, 4};
    inputs[0].dims = bad;
    EXPECT_EQ(lib.gcomp_model_run(model, inputs, 2, outputs, 2),
              GCOMP_ERR_SHAPE_MISMATCH);
    EXPECT_EQ(error(), "input 'in \"q\"\\path': expected shape [?,3], got [" +
                           std::to_string(batch) + ",4]");
    inputs[0].dims = dims_x;
    if (batch > 0) {
      inputs[0].size_bytes -= 1;
      EXPECT_EQ(lib.gcomp_model_run(model, inputs, 2, outputs, 2),
                GCOMP_ERR_BUFFER_TOO_SMALL);
      EXPECT_EQ(error(), "input 'in \"q\"\\path': buffer is " +
                             std::to_string(batch * 12 - 1) + " bytes, needs " +
                             std::to_string(batch * 12) + " (float32 [" +
                             std::to_string(batch) + ",3])");
    }
  }
}

TEST_F(DynamicModelTest, RunAllocNeedsStaticOutputs) {
  int64_t k = 0;
  float x[3] = {};
  const int64_t dims_x[2] = {1, 3};
  gcomp_tensor inputs[2] = {{x, sizeof x, GCOMP_DTYPE_FLOAT32, 2, dims_x},
                            {&k, sizeof k, GCOMP_DTYPE_INT64, 0, nullptr}};
  const gcomp_tensor *outs;
  size_t num_outs;
  EXPECT_EQ(lib.gcomp_model_run_alloc(model, inputs, 2, &outs, &num_outs),
            GCOMP_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(error(), "output 'dyn' has dynamic shape [?]; "
                     "gcomp_model_run_alloc cannot size it (use "
                     "gcomp_model_run)");
}

// Outputs whose size depends on the data (fake_model_variants.c,
// FAKE_BOUNDED): `rows` is float32[3, k] within a bound of [3, 4].
class BoundedModelTest : public gcomp::testing::ModelInstanceTest {
protected:
  BoundedModelTest() : ModelInstanceTest(GCOMP_FAKE_MODEL_BOUNDED) {}
  void SetUp() override {
    ModelInstanceTest::SetUp();
    input = {x, sizeof x, GCOMP_DTYPE_FLOAT32, 1, kDimsX};
  }
  gcomp_status run(float k, float *rows, size_t rows_bytes,
                   int32_t rows_rank = 2) {
    x[0] = k;
    outputs[0] = {rows, rows_bytes, GCOMP_DTYPE_FLOAT32, rows_rank,
                  kUnknownDims};
    outputs[1] = {&z, sizeof z, GCOMP_DTYPE_INT64, 0, nullptr};
    return lib.gcomp_model_run(model, &input, 1, outputs, 2);
  }
  std::vector<int64_t> lastDims(size_t output) {
    int32_t rank = -1;
    const int64_t *dims = nullptr;
    EXPECT_EQ(lib.gcomp_model_output_dims(model, output, &rank, &dims),
              GCOMP_OK)
        << error();
    return dims ? std::vector<int64_t>(dims, dims + rank)
                : std::vector<int64_t>();
  }

  static constexpr int64_t kDimsX[1] = {2};
  // The caller cannot know the dims; the runtime does not read them.
  static constexpr int64_t kUnknownDims[2] = {-1, -1};
  float x[2] = {};
  int64_t z = 0;
  gcomp_tensor input, outputs[2];
};

TEST_F(BoundedModelTest, SignatureHasMaxShape) {
  gcomp_tensor_info info;
  ASSERT_EQ(lib.gcomp_model_output_info(model, 0, &info), GCOMP_OK);
  ASSERT_EQ(info.rank, 2);
  EXPECT_EQ(info.dims[0], 3);
  EXPECT_EQ(info.dims[1], -1);
  EXPECT_EQ(lib.gcomp_model_num_outputs(model), 2u);
  EXPECT_NE(std::string(lib.gcomp_model_signature_json(model))
                .find(R"({"name":"rows","dtype":"float32","elem_type":1,)"
                      R"("shape":[3,-1],"max_shape":[3,4]})"),
            std::string::npos)
      << lib.gcomp_model_signature_json(model);
}

TEST_F(BoundedModelTest, OutputDimsBeforeAnyRun) {
  int32_t rank;
  const int64_t *dims;
  EXPECT_EQ(lib.gcomp_model_output_dims(model, 0, &rank, &dims),
            GCOMP_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(error(), "gcomp_model_output_dims: the instance has not run yet");
  EXPECT_EQ(lib.gcomp_model_output_dims(model, 2, &rank, &dims),
            GCOMP_ERR_INVALID_ARGUMENT);
}

TEST_F(BoundedModelTest, RunAllocReturnsThePackedResult) {
  const gcomp_tensor *outs;
  size_t num_outs;
  for (int k : {2, 4, 0, 1}) {
    x[0] = static_cast<float>(k);
    ASSERT_EQ(lib.gcomp_model_run_alloc(model, &input, 1, &outs, &num_outs),
              GCOMP_OK)
        << error();
    ASSERT_EQ(num_outs, 2u);
    ASSERT_EQ(outs[0].rank, 2);
    EXPECT_EQ(outs[0].dims[0], 3);
    EXPECT_EQ(outs[0].dims[1], k);
    EXPECT_EQ(outs[0].size_bytes, 3 * k * sizeof(float));
    const float *rows = static_cast<const float *>(outs[0].data);
    for (int r = 0; r < 3; ++r)
      for (int c = 0; c < k; ++c)
        EXPECT_EQ(rows[r * k + c], 100 * r + c) << "k " << k;
    EXPECT_EQ(*static_cast<const int64_t *>(outs[1].data), 7);
    EXPECT_EQ(lastDims(0), (std::vector<int64_t>{3, k}));
    EXPECT_EQ(lastDims(1), std::vector<int64_t>{});
  }
}

TEST_F(BoundedModelTest, RunCopiesIntoTheCallersBuffer) {
  float rows[12];
  std::fill(rows, rows + 12, -1.0f);
  // A buffer just large enough.
  ASSERT_EQ(run(3, rows, 9 * sizeof(float)), GCOMP_OK) << error();
  const float expected[9] = {0, 1, 2, 100, 101, 102, 200, 201, 202};
  for (int i = 0; i < 9; ++i)
    EXPECT_EQ(rows[i], expected[i]);
  EXPECT_EQ(rows[9], -1.0f);
  EXPECT_EQ(z, 7);
  EXPECT_EQ(lastDims(0), (std::vector<int64_t>{3, 3}));
}

TEST_F(BoundedModelTest, TooSmallABufferNamesTheSizeNeeded) {
  float rows[12];
  EXPECT_EQ(run(3, rows, 8 * sizeof(float)), GCOMP_ERR_BUFFER_TOO_SMALL);
  EXPECT_EQ(error(), "output 'rows': this run's result is float32 [3,3] (its "
                     "size depends on the input values), 36 bytes, but the "
                     "buffer is 32 bytes (gcomp_model_output_dims gives the "
                     "shape; or use gcomp_model_run_alloc)");
  EXPECT_EQ(lastDims(0), (std::vector<int64_t>{3, 3}));
  // An empty result needs no buffer at all.
  EXPECT_EQ(run(0, nullptr, 0), GCOMP_OK) << error();
  EXPECT_EQ(lastDims(0), (std::vector<int64_t>{3, 0}));
}

TEST_F(BoundedModelTest, ChecksDtypeAndRank) {
  float rows[12];
  EXPECT_EQ(run(3, rows, sizeof rows, 1), GCOMP_ERR_SHAPE_MISMATCH);
  EXPECT_EQ(error(), "output 'rows': expected rank 2, got rank 1");
}

TEST_F(BoundedModelTest, ADimPastTheBoundIsAnInternalError) {
  float rows[12];
  EXPECT_EQ(run(5, rows, sizeof rows), GCOMP_ERR_INTERNAL);
  EXPECT_EQ(error(), "the model's code gave output 'rows' the shape [3,5], "
                     "which does not fit its bound [3,4]");
}

// Creating a model whose tables the runtime must reject.
void expectCreateFails(const char *path, gcomp_status status,
                       const std::string &message_prefix) {
  ModelLibrary lib(path);
  ASSERT_TRUE(lib.complete()) << path << ": " << dlerror();
  gcomp_model *m = reinterpret_cast<gcomp_model *>(1);
  EXPECT_EQ(lib.gcomp_model_create(&m), status);
  EXPECT_EQ(m, nullptr);
  std::string error = lib.gcomp_last_error();
  EXPECT_EQ(error.substr(0, message_prefix.size()), message_prefix) << error;
}

TEST(ModelLibraryTest, BadAbiVersion) {
  expectCreateFails(GCOMP_FAKE_MODEL_BAD_ABI, GCOMP_ERR_INTERNAL,
                    "model ABI version 99 is not supported by this runtime "
                    "(expected 2)");
}

TEST(ModelLibraryTest, BadRank) {
  expectCreateFails(GCOMP_FAKE_MODEL_BAD_RANK, GCOMP_ERR_INTERNAL,
                    "corrupt model signature: input 'x' has rank 1000");
}

TEST(ModelLibraryTest, BadDtype) {
  expectCreateFails(GCOMP_FAKE_MODEL_BAD_DTYPE, GCOMP_ERR_INTERNAL,
                    "corrupt model signature: output 's' has unknown dtype 8");
}

TEST(ModelLibraryTest, BadProfileTable) {
  expectCreateFails(GCOMP_FAKE_MODEL_BAD_PROFILE, GCOMP_ERR_INTERNAL,
                    "corrupt model profile tables: -1 kernels");
}

TEST(ModelLibraryTest, ProfileTableWithoutNames) {
  expectCreateFails(GCOMP_FAKE_MODEL_PROFILE_NO_NAMES, GCOMP_ERR_INTERNAL,
                    "corrupt model profile tables: the model defines "
                    "__gcomp_profile_kernels but not __gcomp_profile_names");
}

TEST(ModelLibraryTest, VariantContradictsSignature) {
  expectCreateFails(GCOMP_FAKE_MODEL_BAD_VARIANTS, GCOMP_ERR_INTERNAL,
                    "corrupt model: variant 1 gives input 'x' dim 1 = 3");
}

// A library compiled with gcomp --specialize: each run goes to the variant
// compiled for its input shapes.
class SpecializedModelTest : public gcomp::testing::ModelInstanceTest {
protected:
  SpecializedModelTest() : ModelInstanceTest(GCOMP_FAKE_MODEL_SPECIALIZED) {}
  /// Runs with x [batch, 2] and y [n] into out [outDims].
  gcomp_status run(int64_t batch, int64_t n, int64_t outDim) {
    xDims[0] = batch;
    yDims[0] = n;
    outDims[0] = outDim;
    gcomp_tensor inputs[2] = {
        {x, sizeof x, GCOMP_DTYPE_FLOAT32, 2, xDims},
        {y, sizeof y, GCOMP_DTYPE_FLOAT32, 1, yDims}};
    gcomp_tensor outputs[1] = {{out, sizeof out, GCOMP_DTYPE_FLOAT32, 1,
                                outDims}};
    return lib.gcomp_model_run(model, inputs, 2, outputs, 1);
  }

  float x[8] = {}, y[8] = {}, out[4] = {};
  int64_t xDims[2] = {0, 2}, yDims[1] = {0}, outDims[1] = {0};
};

TEST_F(SpecializedModelTest, SignatureHasDynamicDims) {
  EXPECT_STREQ(
      lib.gcomp_model_signature_json(model),
      R"({"abi_version":1,"inputs":[)"
      R"({"name":"x","dtype":"float32","elem_type":1,"shape":[-1,2],)"
      R"("dim_names":["batch",""]},)"
      R"({"name":"y","dtype":"float32","elem_type":1,"shape":[-1],)"
      R"("dim_names":["seq"]}],)"
      R"("outputs":[)"
      R"({"name":"out","dtype":"float32","elem_type":1,"shape":[-1],)"
      R"("dim_names":["batch"]}]})");
}

TEST_F(SpecializedModelTest, EachSizeRunsItsVariant) {
  ASSERT_EQ(run(3, 5, 3), GCOMP_OK) << error();
  EXPECT_EQ(out[0], 300.0f);
  EXPECT_EQ(out[2], 302.0f);
  ASSERT_EQ(run(3, 4, 3), GCOMP_OK) << error();
  EXPECT_EQ(out[1], 201.0f);
  ASSERT_EQ(run(1, 4, 1), GCOMP_OK) << error();
  EXPECT_EQ(out[0], 100.0f);
}

TEST_F(SpecializedModelTest, RunAllocGivesTheVariantsOutputShape) {
  xDims[0] = 3;
  yDims[0] = 4;
  gcomp_tensor inputs[2] = {{x, sizeof x, GCOMP_DTYPE_FLOAT32, 2, xDims},
                            {y, sizeof y, GCOMP_DTYPE_FLOAT32, 1, yDims}};
  const gcomp_tensor *outs = nullptr;
  size_t numOuts = 0;
  ASSERT_EQ(lib.gcomp_model_run_alloc(model, inputs, 2, &outs, &numOuts),
            GCOMP_OK)
      << error();
  ASSERT_EQ(numOuts, 1u);
  ASSERT_EQ(outs[0].rank, 1);
  EXPECT_EQ(outs[0].dims[0], 3);
  EXPECT_EQ(outs[0].size_bytes, 12u);
  EXPECT_EQ(static_cast<const float *>(outs[0].data)[2], 202.0f);
}

TEST_F(SpecializedModelTest, SizeNoVariantHasIsNamed) {
  EXPECT_EQ(run(2, 4, 2), GCOMP_ERR_SHAPE_MISMATCH);
  EXPECT_EQ(error(), "input 'x': dim 0 (batch) is 2 (shape [2,2]), but this "
                     "library was compiled for 1, 3 there only (gcomp "
                     "--specialize)");
  EXPECT_EQ(run(3, 6, 3), GCOMP_ERR_SHAPE_MISMATCH);
  EXPECT_EQ(error(), "input 'y': dim 0 (seq) is 6 (shape [6]), but this "
                     "library was compiled for 4, 5 there only (gcomp "
                     "--specialize)");
}

TEST_F(SpecializedModelTest, CombinationNoVariantHasIsRefused) {
  EXPECT_EQ(run(1, 5, 1), GCOMP_ERR_SHAPE_MISMATCH);
  EXPECT_EQ(error().rfind("the input shapes are a combination of sizes this "
                          "library was not compiled for (it has 3 variants",
                          0),
            0u)
      << error();
}

TEST_F(SpecializedModelTest, OutputMustHaveTheVariantsShape) {
  EXPECT_EQ(run(3, 4, 1), GCOMP_ERR_SHAPE_MISMATCH);
  EXPECT_EQ(error(), "output 'out': expected shape [3], got [1]");
}

TEST(ModelLibraryTest, UnsupportedCpu) {
  ModelLibrary lib(GCOMP_FAKE_MODEL_ALL_CPU_FEATURES);
  ASSERT_TRUE(lib.complete());
  gcomp_model *m = nullptr;
  gcomp_status st = lib.gcomp_model_create(&m);
  if (st == GCOMP_OK) {
    lib.gcomp_model_destroy(m);
    GTEST_SKIP() << "this CPU has every feature the fake model asks for";
  }
  EXPECT_EQ(st, GCOMP_ERR_UNSUPPORTED_CPU);
  EXPECT_EQ(m, nullptr);
  std::string error = lib.gcomp_last_error();
  EXPECT_EQ(error.rfind("model was compiled for a CPU with ", 0), 0u) << error;
  EXPECT_NE(error.find("avx512"), std::string::npos) << error;
  EXPECT_NE(error.find("(recompile with --mcpu="), std::string::npos) << error;
}

} // namespace
