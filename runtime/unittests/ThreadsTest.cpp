//===- ThreadsTest.cpp - the runtime's thread pool ------------------------===//

#include "internal.h"

#include "gtest/gtest.h"

#include <atomic>
#include <thread>
#include <vector>

namespace {

struct Counts {
  std::vector<std::atomic<int>> hits;
  explicit Counts(int n) : hits(n) {}
};

void countTask(void *ctx, int i, int n) {
  auto *c = static_cast<Counts *>(ctx);
  ASSERT_EQ(static_cast<int>(c->hits.size()), n);
  c->hits[i].fetch_add(1);
}

// Every index runs exactly once, whether there are fewer, as many or more
// indices than threads, and the pool can be used again and again.
TEST(ThreadsTest, RunsEveryIndexOnce) {
  EXPECT_GE(gcomp_rt_threads(), 1);
  for (int n : {1, 2, 3, 7, 64}) {
    for (int round = 0; round < 20; ++round) {
      Counts c(n);
      gcomp_rt_parallel(countTask, &c, n);
      for (int i = 0; i < n; ++i)
        ASSERT_EQ(c.hits[i].load(), 1) << "n " << n << " index " << i;
    }
  }
}

void recordControl(void *ctx, int i, int) {
  auto *seen = static_cast<std::vector<std::atomic<unsigned>> *>(ctx);
  (*seen)[i].store(gcomp_rt_fp_control());
  // Long enough that the other threads claim tasks too.
  std::this_thread::sleep_for(std::chrono::milliseconds(2));
}

// The pool's threads run a job with the caller's floating-point control
// (--flush-denormals sets FTZ and DAZ on the calling thread only), and
// keep their own afterwards.
TEST(ThreadsTest, TasksRunWithTheCallersFloatControl) {
  if (!GCOMP_RT_X86_FP)
    GTEST_SKIP() << "no MXCSR on this CPU";
  unsigned own = gcomp_rt_fp_control();
  for (unsigned mode : {own | GCOMP_RT_MXCSR_FTZ_DAZ, own}) {
    gcomp_rt_set_fp_control(mode);
    std::vector<std::atomic<unsigned>> seen(16);
    gcomp_rt_parallel(recordControl, &seen, 16);
    for (int i = 0; i < 16; ++i)
      ASSERT_EQ(seen[i].load(), mode) << "task " << i;
  }
  gcomp_rt_set_fp_control(own);
  EXPECT_EQ(gcomp_rt_fp_control(), own);
}

void countRange(void *ctx, int64_t lo, int64_t hi) {
  auto *c = static_cast<Counts *>(ctx);
  ASSERT_LT(lo, hi);
  for (int64_t i = lo; i < hi; ++i)
    c->hits[i].fetch_add(1);
}

// __gcomp_parallel_for covers [begin, end) exactly once, with ranges
// shorter than, equal to and longer than the number of threads, and an
// empty range calls nothing.
TEST(ThreadsTest, ParallelForCoversTheRange) {
  for (int64_t size : {0, 1, 2, 3, 5, 1000}) {
    Counts c(size + 7);
    __gcomp_parallel_for(countRange, &c, 7, 7 + size);
    for (int64_t i = 0; i < size + 7; ++i)
      ASSERT_EQ(c.hits[i].load(), i >= 7 ? 1 : 0) << "size " << size;
  }
}

// A parallel call from inside a task (the pool is busy) runs serially
// rather than waiting for itself.
void nestedTask(void *ctx, int, int) {
  Counts inner(4);
  gcomp_rt_parallel(countTask, &inner, 4);
  for (auto &h : inner.hits)
    ASSERT_EQ(h.load(), 1);
  static_cast<std::atomic<int> *>(ctx)->fetch_add(1);
}

TEST(ThreadsTest, NestedCallsDoNotDeadlock) {
  std::atomic<int> done{0};
  gcomp_rt_parallel(nestedTask, &done, 3);
  EXPECT_EQ(done.load(), 3);
}

} // namespace

// Per-thread scratch buffers are kept between calls and grown on demand.
// Threads that use them (and the memref allocation cache) and end free
// them: gcomp-runtime-tests-sanitized's leak checker reports them
// otherwise.
TEST(ScratchTest, KeptPerThreadAndFreedWhenTheThreadEnds) {
  void *first = gcomp_rt_thread_scratch(GCOMP_RT_SCRATCH_ATTENTION, 1000);
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(first) % 64, 0u);
  EXPECT_EQ(gcomp_rt_thread_scratch(GCOMP_RT_SCRATCH_ATTENTION, 500), first);
  void *other = gcomp_rt_thread_scratch(GCOMP_RT_SCRATCH_CONV_PACK, 1000);
  EXPECT_NE(other, first);
  void *grown = gcomp_rt_thread_scratch(GCOMP_RT_SCRATCH_ATTENTION, 1 << 20);
  ASSERT_NE(grown, nullptr);
  static_cast<char *>(grown)[(1 << 20) - 1] = 1;

  std::vector<std::thread> threads;
  std::atomic<int> allocated{0};
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&] {
      for (int slot = 0; slot < GCOMP_RT_SCRATCH_SLOTS; ++slot)
        if (gcomp_rt_thread_scratch(slot, 4096 << slot))
          ++allocated;
      // A block large enough for the allocation cache to keep.
      void *block = _mlir_memref_to_llvm_alloc(1 << 20);
      _mlir_memref_to_llvm_free(block);
    });
  for (std::thread &t : threads)
    t.join();
  EXPECT_EQ(allocated.load(), 8 * GCOMP_RT_SCRATCH_SLOTS);
}
