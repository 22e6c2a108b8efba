/*===- alloc.c - the buffers generated code allocates ---------------------===*
 *
 * Generated code allocates its intermediate buffers through
 * _mlir_memref_to_llvm_alloc / _mlir_memref_to_llvm_free (MLIR's
 * finalize-memref-to-llvm with use-generic-functions). With plain malloc,
 * glibc maps every buffer over 128 KiB fresh from the kernel and unmaps it
 * on free, so each run pays a page fault per 4 KiB it touches: a third of
 * MobileNetV2's time went to zero-filling freshly faulted pad buffers.
 * Instead, large freed buffers are kept per thread and handed to the next
 * request they fit (at most twice the size asked, smallest first), so from
 * the second run on a model reuses its memory. The cache is bounded
 * (kMaxCached blocks, kMaxCachedBytes in all), oldest evicted first.
 * (Planning every buffer into one arena at compile time is the compiler's
 * job and will make this unnecessary.)
 *===----------------------------------------------------------------------===*/

#include "internal.h"

#include <stdlib.h>

enum { kHeader = 16, kMaxCached = 256 };
static const size_t kMinCachedBytes = 64 * 1024;
static const size_t kMaxCachedBytes = (size_t)1 << 30;

typedef struct cached_block {
  unsigned char *base; /* malloc's pointer; its first word is the size */
  size_t size;
} cached_block;

static _Thread_local cached_block cache[kMaxCached];
static _Thread_local int cached_count;
static _Thread_local size_t cached_bytes;

static void drop(int i) {
  cached_bytes -= cache[i].size;
  for (int j = i + 1; j < cached_count; ++j) /* keep age order */
    cache[j - 1] = cache[j];
  --cached_count;
}

void gcomp_rt_alloc_release_thread(void) {
  while (cached_count > 0) {
    free(cache[0].base);
    drop(0);
  }
}

void *_mlir_memref_to_llvm_alloc(size_t size) {
  if (size >= kMinCachedBytes) {
    int best = -1;
    for (int i = 0; i < cached_count; ++i)
      if (cache[i].size >= size && cache[i].size / 2 <= size &&
          (best < 0 || cache[i].size < cache[best].size))
        best = i;
    if (best >= 0) {
      unsigned char *base = cache[best].base;
      drop(best);
      return base + kHeader;
    }
  }
  unsigned char *base = malloc(size + kHeader);
  if (!base)
    return NULL;
  *(size_t *)base = size;
  return base + kHeader;
}

void _mlir_memref_to_llvm_free(void *ptr) {
  if (!ptr)
    return;
  unsigned char *base = (unsigned char *)ptr - kHeader;
  size_t size = *(size_t *)base;
  if (size < kMinCachedBytes || size > kMaxCachedBytes) {
    free(base);
    return;
  }
  while (cached_count > 0 &&
         (cached_count == kMaxCached || cached_bytes + size > kMaxCachedBytes)) {
    free(cache[0].base);
    drop(0);
  }
  gcomp_rt_release_at_thread_exit();
  cache[cached_count].base = base;
  cache[cached_count].size = size;
  ++cached_count;
  cached_bytes += size;
}
