/*===- cpu_features.c - Does this CPU run the model's code? ---------------===*
 *
 * A model is compiled for a set of x86 features (__gcomp_cpu_features). Code
 * using an instruction the CPU lacks dies with SIGILL somewhere in the middle
 * of a run, so gcomp_model_create checks the list up front.
 *
 * This reads CPUID (and XCR0, to know that the OS saves the AVX / AVX-512
 * register state) directly rather than using __builtin_cpu_supports: the
 * builtin needs __cpu_model / __cpu_indicator_init from libgcc or
 * compiler-rt, and a model.so linked by the compiler (possibly with lld and
 * no compiler driver) should need nothing beyond libc. The unit tests check
 * that the two agree on this machine.
 *===----------------------------------------------------------------------===*/

#include "internal.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#define GCOMP_RT_X86 1
#else
#define GCOMP_RT_X86 0
#endif

enum { REG_EAX, REG_EBX, REG_ECX, REG_EDX };

/* XCR0 bits the OS must enable for a feature's registers to be usable. */
#define XCR0_AVX 0x6ull     /* XMM | YMM */
#define XCR0_AVX512 0xE6ull /* XMM | YMM | opmask | ZMM_Hi256 | Hi16_ZMM */
#define XCR0_AMX 0x60000ull /* XTILECFG | XTILEDATA */

typedef struct feature_desc {
  const char *name; /* LLVM spelling */
  uint32_t leaf;
  uint32_t subleaf;
  uint8_t reg;
  uint8_t bit;
  uint64_t xcr0; /* required OS-enabled state, 0 if none */
} feature_desc;

/* Bit positions from the Intel SDM, vol. 2A, CPUID. */
static const feature_desc kFeatures[] = {
    {"sse", 1, 0, REG_EDX, 25, 0},
    {"sse2", 1, 0, REG_EDX, 26, 0},
    {"sse3", 1, 0, REG_ECX, 0, 0},
    {"pclmul", 1, 0, REG_ECX, 1, 0},
    {"ssse3", 1, 0, REG_ECX, 9, 0},
    {"fma", 1, 0, REG_ECX, 12, XCR0_AVX},
    {"cx16", 1, 0, REG_ECX, 13, 0},
    {"sse4.1", 1, 0, REG_ECX, 19, 0},
    {"sse4.2", 1, 0, REG_ECX, 20, 0},
    {"movbe", 1, 0, REG_ECX, 22, 0},
    {"popcnt", 1, 0, REG_ECX, 23, 0},
    {"aes", 1, 0, REG_ECX, 25, 0},
    {"avx", 1, 0, REG_ECX, 28, XCR0_AVX},
    {"f16c", 1, 0, REG_ECX, 29, XCR0_AVX},
    {"bmi", 7, 0, REG_EBX, 3, 0},
    {"avx2", 7, 0, REG_EBX, 5, XCR0_AVX},
    {"bmi2", 7, 0, REG_EBX, 8, 0},
    {"avx512f", 7, 0, REG_EBX, 16, XCR0_AVX512},
    {"avx512dq", 7, 0, REG_EBX, 17, XCR0_AVX512},
    {"adx", 7, 0, REG_EBX, 19, 0},
    {"avx512ifma", 7, 0, REG_EBX, 21, XCR0_AVX512},
    {"avx512cd", 7, 0, REG_EBX, 28, XCR0_AVX512},
    {"sha", 7, 0, REG_EBX, 29, 0},
    {"avx512bw", 7, 0, REG_EBX, 30, XCR0_AVX512},
    {"avx512vl", 7, 0, REG_EBX, 31, XCR0_AVX512},
    {"avx512vbmi", 7, 0, REG_ECX, 1, XCR0_AVX512},
    {"avx512vbmi2", 7, 0, REG_ECX, 6, XCR0_AVX512},
    {"gfni", 7, 0, REG_ECX, 8, 0},
    {"avx512vnni", 7, 0, REG_ECX, 11, XCR0_AVX512},
    {"avx512bitalg", 7, 0, REG_ECX, 12, XCR0_AVX512},
    {"avx512vpopcntdq", 7, 0, REG_ECX, 14, XCR0_AVX512},
    {"avx512fp16", 7, 0, REG_EDX, 23, XCR0_AVX512},
    {"avxvnni", 7, 1, REG_EAX, 4, XCR0_AVX},
    {"avx512bf16", 7, 1, REG_EAX, 5, XCR0_AVX512},
    /* AMX: the tile registers need XTILECFG and XTILEDATA enabled (Linux
     * also wants a per-process request before the first use, which the
     * kernels that use them make: qgemm.c). */
    {"amx-bf16", 7, 0, REG_EDX, 22, XCR0_AMX},
    {"amx-tile", 7, 0, REG_EDX, 24, XCR0_AMX},
    {"amx-int8", 7, 0, REG_EDX, 25, XCR0_AMX},
    {"lzcnt", 0x80000001u, 0, REG_ECX, 5, 0},
    {"abm", 0x80000001u, 0, REG_ECX, 5, 0}, /* GCC's name for lzcnt */
};

static const feature_desc *find_feature(const char *name, size_t len) {
  for (size_t i = 0; i < sizeof(kFeatures) / sizeof(kFeatures[0]); ++i)
    if (strlen(kFeatures[i].name) == len &&
        memcmp(kFeatures[i].name, name, len) == 0)
      return &kFeatures[i];
  return NULL;
}

#if GCOMP_RT_X86
static uint64_t read_xcr0(void) {
  unsigned eax, ebx, ecx, edx;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx) || !(ecx & (1u << 27)))
    return 0; /* no OSXSAVE: the OS manages no extended state */
  uint32_t lo, hi;
  /* xgetbv by opcode so that no -mxsave is needed. */
  __asm__ volatile(".byte 0x0f, 0x01, 0xd0" : "=a"(lo), "=d"(hi) : "c"(0));
  return ((uint64_t)hi << 32) | lo;
}

static int has_feature(const feature_desc *f) {
  unsigned regs[4] = {0, 0, 0, 0};
  unsigned max_leaf = (unsigned)__get_cpuid_max(f->leaf & 0x80000000u, NULL);
  if (max_leaf < f->leaf)
    return 0;
  if (f->subleaf != 0) {
    /* Leaf 7 subleaf 0 reports the highest valid subleaf in EAX. */
    __cpuid_count(f->leaf, 0, regs[0], regs[1], regs[2], regs[3]);
    if (regs[0] < f->subleaf)
      return 0;
  }
  __cpuid_count(f->leaf, f->subleaf, regs[0], regs[1], regs[2], regs[3]);
  if (!((regs[f->reg] >> f->bit) & 1u))
    return 0;
  if (f->xcr0 != 0 && (read_xcr0() & f->xcr0) != f->xcr0)
    return 0;
  return 1;
}
#else
/* Not an x86 host: x86 feature names say nothing about this CPU. */
static int has_feature(const feature_desc *f) {
  (void)f;
  return 1;
}
#endif

int gcomp_rt_cpu_has_feature(const char *name) {
  if (!name)
    return -1;
  const feature_desc *f = find_feature(name, strlen(name));
  return f ? has_feature(f) : -1;
}

static gcomp_rt_isa kernel_isa;
static pthread_once_t kernel_isa_once = PTHREAD_ONCE_INIT;

static void find_kernel_isa(void) {
  gcomp_rt_isa isa = GCOMP_RT_ISA_PORTABLE;
#if GCOMP_RT_X86
  if (gcomp_rt_cpu_has_feature("avx512f") == 1)
    isa = GCOMP_RT_ISA_AVX512;
  else if (gcomp_rt_cpu_has_feature("avx2") == 1 &&
           gcomp_rt_cpu_has_feature("fma") == 1)
    isa = GCOMP_RT_ISA_AVX2;
#endif
  const char *cap = getenv("GCOMP_MAX_CPU_ISA");
  gcomp_rt_isa limit = GCOMP_RT_ISA_AVX512;
  if (cap && strcmp(cap, "avx2") == 0)
    limit = GCOMP_RT_ISA_AVX2;
  else if (cap && strcmp(cap, "portable") == 0)
    limit = GCOMP_RT_ISA_PORTABLE;
  kernel_isa = isa < limit ? isa : limit;
}

gcomp_rt_isa gcomp_rt_kernel_isa(void) {
  pthread_once(&kernel_isa_once, find_kernel_isa);
  return kernel_isa;
}

static int is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

size_t gcomp_rt_missing_cpu_features(const char *features, char *missing,
                                     size_t missing_cap) {
  size_t num_missing = 0, used = 0;
  if (missing_cap > 0)
    missing[0] = '\0';
  if (!features)
    return 0;

  const char *p = features;
  while (*p) {
    const char *end = strchr(p, ',');
    if (!end)
      end = p + strlen(p);
    const char *b = p, *e = end;
    p = *end ? end + 1 : end;

    while (b < e && is_space(*b))
      ++b;
    while (e > b && is_space(e[-1]))
      --e;
    if (b < e && *b == '-')
      continue; /* explicitly disabled */
    if (b < e && *b == '+')
      ++b;
    const feature_desc *f = find_feature(b, (size_t)(e - b));
    if (!f || has_feature(f))
      continue;

    ++num_missing;
    size_t len = strlen(f->name);
    size_t sep = used > 0 ? 1 : 0;
    if (missing_cap > 0 && used + sep + len < missing_cap) {
      if (sep)
        missing[used++] = ',';
      memcpy(missing + used, f->name, len + 1);
      used += len;
    }
  }
  return num_missing;
}
