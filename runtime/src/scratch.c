/*===- scratch.c - per-thread scratch buffers, freed when a thread ends ---===*
 *
 * The kernels keep working buffers per calling thread (packed panels, an
 * im2col block, attention scores), grown to the largest size seen so that
 * repeated runs allocate nothing. A process that runs models from
 * short-lived threads would leak them, and the memref allocation cache
 * (alloc.c) with them, if nothing freed them when a thread ends: a pthread
 * key's destructor does.
 *===----------------------------------------------------------------------===*/

#include "internal.h"

#include <pthread.h>
#include <stdlib.h>

typedef struct thread_scratch {
  void *data[GCOMP_RT_SCRATCH_SLOTS];
  size_t bytes[GCOMP_RT_SCRATCH_SLOTS];
} thread_scratch;

static _Thread_local thread_scratch scratch;
static _Thread_local int registered;
static pthread_key_t exit_key;
static pthread_once_t exit_key_once = PTHREAD_ONCE_INIT;

static void release_thread(void *unused) {
  (void)unused;
  for (int s = 0; s < GCOMP_RT_SCRATCH_SLOTS; ++s) {
    free(scratch.data[s]);
    scratch.data[s] = NULL;
    scratch.bytes[s] = 0;
  }
  gcomp_rt_alloc_release_thread();
  registered = 0;
}

static void create_exit_key(void) {
  if (pthread_key_create(&exit_key, release_thread) != 0)
    exit_key = (pthread_key_t)-1;
}

void gcomp_rt_release_at_thread_exit(void) {
  if (registered)
    return;
  pthread_once(&exit_key_once, create_exit_key);
  /* A non-null value makes the destructor run when the thread ends. If
   * the key could not be made, the buffers live as long as the thread's
   * storage does: as before, never wrong. */
  if (exit_key != (pthread_key_t)-1 &&
      pthread_setspecific(exit_key, &scratch) == 0)
    registered = 1;
}

void *gcomp_rt_thread_scratch(int slot, size_t bytes) {
  if (bytes <= scratch.bytes[slot])
    return scratch.data[slot];
  size_t rounded = (bytes + 63) / 64 * 64;
  void *p = aligned_alloc(64, rounded ? rounded : 64);
  if (!p)
    return NULL;
  free(scratch.data[slot]);
  scratch.data[slot] = p;
  scratch.bytes[slot] = rounded;
  gcomp_rt_release_at_thread_exit();
  return p;
}
