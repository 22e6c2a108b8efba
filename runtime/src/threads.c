/*===- threads.c - the runtime's thread pool ------------------------------===*
 *
 * One process-wide pool of worker threads, started on first use, that runs
 * `fn(ctx, i, n)` for i = 0..n-1, thread t taking i = t, t + T, ... (the
 * caller is thread 0). The
 * number of threads is GCOMP_NUM_THREADS from the environment if set, else
 * the default the model was compiled with (gcomp --threads; 0 = every CPU
 * this process may run on). A second caller arriving while the pool is
 * busy (two models run from two threads) runs its work alone, serially, so
 * calls never wait for each other. Idle workers spin a few milliseconds
 * before they sleep, so the parallel regions of one model run start
 * without a wake-up.
 *===----------------------------------------------------------------------===*/

#define _GNU_SOURCE /* sched_getaffinity */
#include "internal.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

enum { kMaxThreads = 64 };

/* How long an idle worker spins before it sleeps, in pause iterations
 * (a few milliseconds): a model's GEMMs are often a fraction of a
 * millisecond apart, and a futex wake-up per parallel region would cost
 * about as much as the region saves. */
enum { kSpinIterations = 1 << 17 };

typedef struct pool {
  pthread_mutex_t mu;
  pthread_cond_t start;
  pthread_mutex_t busy; /* held by the caller that owns the pool for a job */
  int threads;          /* including the caller */
  /* A job is published by bumping `generation` (seq_cst, see worker_main);
   * `pending` counts the workers that have not finished it. */
  _Atomic long generation;
  _Atomic int pending;
  _Atomic int sleepers; /* workers waiting on `start` */
  gcomp_rt_task_fn fn;
  void *ctx;
  int count; /* the current job's n */
  int width; /* threads taking part in it */
  /* The caller's floating-point control (x86 MXCSR: rounding, flush to
   * zero, denormals are zero), which the workers take on for the job, so
   * that a task computes the same on any thread. */
  unsigned fp_control;
  /* The next task index to claim: threads take tasks as they come free, so
   * a thread that starts late (a worker still waking up, or descheduled by
   * the OS or a hypervisor) leaves its share to the others instead of
   * holding up the job. Which thread runs a task never changes what the
   * task computes. */
  _Atomic int next;
} pool;

static pool the_pool = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER,
                        PTHREAD_MUTEX_INITIALIZER, 0, 0, 0, 0, NULL, NULL, 0, 0,
                        0, 0};

/* Runs the current job's tasks until none is left to claim. */
static void claim_tasks(pool *p, gcomp_rt_task_fn fn, void *ctx, int count) {
  for (;;) {
    int i = atomic_fetch_add_explicit(&p->next, 1, memory_order_relaxed);
    if (i >= count)
      return;
    fn(ctx, i, count);
  }
}
static pthread_once_t pool_once = PTHREAD_ONCE_INIT;
static int default_threads; /* from the model; 0 = every CPU */

typedef struct worker_arg {
  int index;
} worker_arg;
static worker_arg worker_args[kMaxThreads];

unsigned gcomp_rt_fp_control(void) {
#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
  return __builtin_ia32_stmxcsr();
#else
  return 0;
#endif
}

void gcomp_rt_set_fp_control(unsigned control) {
#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
  __builtin_ia32_ldmxcsr(control);
#else
  (void)control;
#endif
}

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

/* The next job after `seen`: spin for a while, then sleep. The caller
 * stores the generation and then loads `sleepers`; a worker stores
 * `sleepers` and then loads the generation. Both seq_cst, so at least one
 * of them sees the other: either the worker finds the new job or the
 * caller signals it. */
static long wait_for_job(pool *p, long seen) {
  for (int spin = 0; spin < kSpinIterations; ++spin) {
    long g = atomic_load(&p->generation);
    if (g != seen)
      return g;
    cpu_relax();
  }
  pthread_mutex_lock(&p->mu);
  atomic_fetch_add(&p->sleepers, 1);
  long g;
  while ((g = atomic_load(&p->generation)) == seen)
    pthread_cond_wait(&p->start, &p->mu);
  atomic_fetch_sub(&p->sleepers, 1);
  pthread_mutex_unlock(&p->mu);
  return g;
}

static void *worker_main(void *arg) {
  int index = ((worker_arg *)arg)->index;
  long seen = 0;
  pool *p = &the_pool;
  for (;;) {
    seen = wait_for_job(p, seen);
    /* The job's fields were written before the generation was bumped. */
    gcomp_rt_task_fn fn = p->fn;
    void *ctx = p->ctx;
    int count = p->count, width = p->width;
    if (index < width) {
      unsigned own = gcomp_rt_fp_control();
      if (own != p->fp_control)
        gcomp_rt_set_fp_control(p->fp_control);
      claim_tasks(p, fn, ctx, count);
      if (own != p->fp_control)
        gcomp_rt_set_fp_control(own);
    }
    atomic_fetch_sub_explicit(&p->pending, 1, memory_order_release);
  }
  return NULL;
}

static int available_cpus(void) {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
    return CPU_COUNT(&set);
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? (int)n : 1;
}

static void start_pool(void) {
  int n = default_threads > 0 ? default_threads : available_cpus();
  const char *env = getenv("GCOMP_NUM_THREADS");
  if (env && *env) {
    long v = strtol(env, NULL, 10);
    if (v > 0)
      n = (int)v;
  }
  if (n > kMaxThreads)
    n = kMaxThreads;
  pool *p = &the_pool;
  p->threads = 1;
  for (int i = 1; i < n; ++i) {
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    worker_args[i].index = i;
    int failed = pthread_create(&t, &attr, worker_main, &worker_args[i]);
    pthread_attr_destroy(&attr);
    if (failed)
      break; /* run with the threads that did start */
    p->threads = i + 1;
  }
}

void gcomp_rt_set_default_threads(int threads) {
  if (threads > 0 && default_threads == 0)
    default_threads = threads;
}

int gcomp_rt_threads(void) {
  pthread_once(&pool_once, start_pool);
  return the_pool.threads;
}

void gcomp_rt_parallel(gcomp_rt_task_fn fn, void *ctx, int n) {
  pool *p = &the_pool;
  if (n > 1)
    pthread_once(&pool_once, start_pool);
  if (n <= 1 || p->threads <= 1 || pthread_mutex_trylock(&p->busy) != 0) {
    for (int i = 0; i < n; ++i)
      fn(ctx, i, n);
    return;
  }
  int width = n < p->threads ? n : p->threads;
  p->fn = fn;
  p->ctx = ctx;
  p->count = n;
  p->width = width;
  p->fp_control = gcomp_rt_fp_control();
  atomic_store_explicit(&p->next, 0, memory_order_relaxed);
  atomic_store_explicit(&p->pending, p->threads - 1, memory_order_relaxed);
  atomic_fetch_add(&p->generation, 1); /* publishes the fields above */
  if (atomic_load(&p->sleepers) > 0) {
    pthread_mutex_lock(&p->mu);
    pthread_cond_broadcast(&p->start);
    pthread_mutex_unlock(&p->mu);
  }
  claim_tasks(p, fn, ctx, n);
  /* The workers are running this job: wait for them without sleeping,
   * yielding now and then in case one was descheduled. */
  for (unsigned spin = 1;
       atomic_load_explicit(&p->pending, memory_order_acquire) > 0; ++spin) {
    cpu_relax();
    if (spin % 4096 == 0)
      sched_yield();
  }
  pthread_mutex_unlock(&p->busy);
}

/* Generated code's parallel loops (GCOMP_SYM_PARALLEL_FOR): one part of
 * [begin, end) per thread. */
typedef struct range_job {
  void (*task)(void *ctx, int64_t lo, int64_t hi);
  void *ctx;
  int64_t begin, end;
} range_job;

static void range_part(void *ctx, int i, int n) {
  const range_job *job = ctx;
  int64_t size = job->end - job->begin;
  int64_t lo = job->begin + size * i / n, hi = job->begin + size * (i + 1) / n;
  if (lo < hi)
    job->task(job->ctx, lo, hi);
}

void __gcomp_parallel_for(void (*task)(void *ctx, int64_t lo, int64_t hi),
                          void *ctx, int64_t begin, int64_t end) {
  if (end <= begin)
    return;
  int64_t size = end - begin;
  /* Four parts per thread, claimed as threads come free (see pool.next):
   * a late thread costs a quarter of its share, not all of it. */
  int threads = gcomp_rt_threads();
  int64_t want = threads > 1 ? 4 * (int64_t)threads : 1;
  int parts = size < want ? (int)size : (int)want;
  if (parts <= 1) {
    task(ctx, begin, end);
    return;
  }
  range_job job = {task, ctx, begin, end};
  gcomp_rt_parallel(range_part, &job, parts);
}
