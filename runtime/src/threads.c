/*===- threads.c - the runtime's thread pool ------------------------------===*
 *
 * One process-wide pool of worker threads, started on first use, that runs
 * `fn(ctx, i, n)` for i = 0..n-1, thread t taking i = t, t + T, ... (the
 * caller is thread 0). The
 * number of threads is GCOMP_NUM_THREADS from the environment if set, else
 * the default the model was compiled with (gcomp --threads; 0 = every CPU
 * this process may run on). A second caller arriving while the pool is
 * busy (two models run from two threads) runs its work alone, serially, so
 * calls never wait for each other.
 *===----------------------------------------------------------------------===*/

#define _GNU_SOURCE /* sched_getaffinity */
#include "internal.h"

#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <unistd.h>

enum { kMaxThreads = 64 };

typedef struct pool {
  pthread_mutex_t mu;
  pthread_cond_t start, done;
  pthread_mutex_t busy; /* held by the caller that owns the pool for a job */
  int threads;          /* including the caller */
  long generation;
  int pending;
  gcomp_rt_task_fn fn;
  void *ctx;
  int count; /* the current job's n */
  int width; /* threads taking part in it */
} pool;

static pool the_pool = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER,
                        PTHREAD_COND_INITIALIZER, PTHREAD_MUTEX_INITIALIZER,
                        0, 0, 0, NULL, NULL, 0, 0};
static pthread_once_t pool_once = PTHREAD_ONCE_INIT;
static int default_threads; /* from the model; 0 = every CPU */

typedef struct worker_arg {
  int index;
} worker_arg;
static worker_arg worker_args[kMaxThreads];

static void *worker_main(void *arg) {
  int index = ((worker_arg *)arg)->index;
  long seen = 0;
  pool *p = &the_pool;
  for (;;) {
    pthread_mutex_lock(&p->mu);
    while (p->generation == seen)
      pthread_cond_wait(&p->start, &p->mu);
    seen = p->generation;
    gcomp_rt_task_fn fn = p->fn;
    void *ctx = p->ctx;
    int count = p->count, width = p->width;
    pthread_mutex_unlock(&p->mu);
    for (int i = index; i < count && index < width; i += width)
      fn(ctx, i, count);
    pthread_mutex_lock(&p->mu);
    if (--p->pending == 0)
      pthread_cond_signal(&p->done);
    pthread_mutex_unlock(&p->mu);
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
  pthread_mutex_lock(&p->mu);
  p->fn = fn;
  p->ctx = ctx;
  p->count = n;
  p->width = width;
  p->pending = p->threads - 1;
  ++p->generation;
  pthread_cond_broadcast(&p->start);
  pthread_mutex_unlock(&p->mu);
  for (int i = 0; i < n; i += width)
    fn(ctx, i, n);
  pthread_mutex_lock(&p->mu);
  while (p->pending > 0)
    pthread_cond_wait(&p->done, &p->mu);
  pthread_mutex_unlock(&p->mu);
  pthread_mutex_unlock(&p->busy);
}
