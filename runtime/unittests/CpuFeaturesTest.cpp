//===- CpuFeaturesTest.cpp - The runtime's CPU feature check --------------===//

#include "internal.h"

#include "gtest/gtest.h"

#include <algorithm>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

#if defined(__x86_64__) || defined(__i386__)
// The runtime reads CPUID itself; the compiler's builtin (backed by libgcc or
// compiler-rt) must agree. The builtin only takes literals, hence the macro.
TEST(CpuFeaturesTest, AgreesWithBuiltinCpuSupports) {
  __builtin_cpu_init();
#define CHECK_FEATURE(name)                                                    \
  EXPECT_EQ(gcomp_rt_cpu_has_feature(name),                                    \
            __builtin_cpu_supports(name) ? 1 : 0)                              \
      << name
  CHECK_FEATURE("sse");
  CHECK_FEATURE("sse2");
  CHECK_FEATURE("sse3");
  CHECK_FEATURE("ssse3");
  CHECK_FEATURE("sse4.1");
  CHECK_FEATURE("sse4.2");
  CHECK_FEATURE("popcnt");
  CHECK_FEATURE("aes");
  CHECK_FEATURE("pclmul");
  CHECK_FEATURE("avx");
  CHECK_FEATURE("avx2");
  CHECK_FEATURE("fma");
  CHECK_FEATURE("bmi");
  CHECK_FEATURE("bmi2");
  CHECK_FEATURE("avx512f");
  CHECK_FEATURE("avx512bw");
  CHECK_FEATURE("avx512vl");
  CHECK_FEATURE("avx512dq");
  CHECK_FEATURE("avx512cd");
  CHECK_FEATURE("avx512ifma");
  CHECK_FEATURE("avx512vbmi");
  CHECK_FEATURE("avx512vbmi2");
  CHECK_FEATURE("avx512vpopcntdq");
  CHECK_FEATURE("avx512bitalg");
  CHECK_FEATURE("avx512vnni");
  CHECK_FEATURE("avx512bf16");
  CHECK_FEATURE("gfni");
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 12
  // Names that only newer GCCs accept in the builtin.
  CHECK_FEATURE("f16c");
  CHECK_FEATURE("movbe");
  CHECK_FEATURE("adx");
  CHECK_FEATURE("sha");
  CHECK_FEATURE("lzcnt");
  CHECK_FEATURE("avxvnni");
  CHECK_FEATURE("avx512fp16");
#endif
#undef CHECK_FEATURE
}
#endif

TEST(CpuFeaturesTest, UnknownNames) {
  EXPECT_EQ(gcomp_rt_cpu_has_feature("not-a-feature"), -1);
  EXPECT_EQ(gcomp_rt_cpu_has_feature(""), -1);
  EXPECT_EQ(gcomp_rt_cpu_has_feature("+avx2"), -1); // lists only
  EXPECT_EQ(gcomp_rt_cpu_has_feature(nullptr), -1);
}

TEST(CpuFeaturesTest, EveryX86_64HasSse2) {
#if defined(__x86_64__)
  EXPECT_EQ(gcomp_rt_cpu_has_feature("sse2"), 1);
#endif
  char missing[64];
  EXPECT_EQ(gcomp_rt_missing_cpu_features("sse2", missing, sizeof missing), 0u);
  EXPECT_STREQ(missing, "");
}

TEST(CpuFeaturesTest, ListSyntax) {
  char missing[64] = "garbage";
  // Empty entries, spaces, '+', disabled and unknown features.
  EXPECT_EQ(gcomp_rt_missing_cpu_features(" sse2 ,, +sse,-avx512f,-x,bogus,",
                                          missing, sizeof missing),
            0u);
  EXPECT_STREQ(missing, "");
  EXPECT_EQ(gcomp_rt_missing_cpu_features("", missing, sizeof missing), 0u);
  EXPECT_EQ(gcomp_rt_missing_cpu_features(nullptr, missing, sizeof missing),
            0u);
}

TEST(CpuFeaturesTest, ReportsMissingFeaturesInOrder) {
  const char *names[] = {"avx512f",    "avx2", "avx512bw", "avx512vnni",
                         "avx512bf16", "fma",  "sse4.2"};
  std::string list, expected;
  size_t expected_count = 0;
  for (const char *name : names) {
    list += std::string(list.empty() ? "" : ",") + name;
    if (gcomp_rt_cpu_has_feature(name) == 0) {
      expected += std::string(expected.empty() ? "" : ",") + name;
      ++expected_count;
    }
  }
  char missing[256];
  EXPECT_EQ(
      gcomp_rt_missing_cpu_features(list.c_str(), missing, sizeof missing),
      expected_count);
  EXPECT_EQ(std::string(missing), expected);
}

TEST(CpuFeaturesTest, TruncatesTheListButCountsAll) {
  // Some feature from this list is missing on any machine that lacks
  // AVX-512; on one that has all of them there is nothing to test.
  const char *list = "avx512f,avx512bw,avx512vl,avx512dq,avx512cd";
  char big[256];
  size_t n = gcomp_rt_missing_cpu_features(list, big, sizeof big);
  if (n == 0)
    GTEST_SKIP() << "this CPU has every AVX-512 subset tested";
  char small[4];
  EXPECT_EQ(gcomp_rt_missing_cpu_features(list, small, sizeof small), n);
  EXPECT_LT(std::string(small).size(), sizeof small);
  EXPECT_EQ(gcomp_rt_missing_cpu_features(list, nullptr, 0), n);
}

} // namespace

// The kernels' instruction set is the widest the CPU has, capped by
// GCOMP_MAX_CPU_ISA (kernel-isa.test runs the kernel tests under each cap,
// and this checks that the cap took effect).
TEST(KernelIsaTest, WidestTheCpuHasUnderTheCap) {
  gcomp_rt_isa best = GCOMP_RT_ISA_PORTABLE;
#if defined(__x86_64__)
  if (__builtin_cpu_supports("avx512f"))
    best = GCOMP_RT_ISA_AVX512;
  else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
    best = GCOMP_RT_ISA_AVX2;
#endif
  gcomp_rt_isa cap = GCOMP_RT_ISA_AVX512;
  if (const char *env = std::getenv("GCOMP_MAX_CPU_ISA")) {
    if (std::string(env) == "avx2")
      cap = GCOMP_RT_ISA_AVX2;
    else if (std::string(env) == "portable")
      cap = GCOMP_RT_ISA_PORTABLE;
  }
  EXPECT_EQ(gcomp_rt_kernel_isa(), std::min(best, cap));
}
