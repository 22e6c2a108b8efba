//===- builtins.c - compiler helper routines a model may call -------------===//
//
// LLVM lowers some conversions to calls into compiler-rt's builtins, which
// a model.so does not link (it needs only libc and libm). The ones gcomp's
// code can reach are defined here, with compiler-rt's names and ABI.
//
//===----------------------------------------------------------------------===//

#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) && defined(__clang__)
/// float -> bfloat16, rounding to nearest even; NaNs stay (quiet) NaNs.
/// x86-64 without AVX512-BF16 calls this for `fptrunc float to bfloat`.
__attribute__((visibility("hidden"))) __bf16 __truncsfbf2(float value) {
  uint32_t bits;
  memcpy(&bits, &value, sizeof bits);
  uint16_t half;
  if ((bits & 0x7fffffffu) > 0x7f800000u)
    half = (uint16_t)((bits >> 16) | 0x40u);
  else
    half = (uint16_t)((bits + 0x7fffu + ((bits >> 16) & 1u)) >> 16);
  __bf16 result;
  memcpy(&result, &half, sizeof result);
  return result;
}
#endif
