/*===- profile.c - Per-kernel profiling of a model compiled with --profile ===*
 *
 * `gcomp --profile` brackets every kernel (loop nest) of the compiled code
 * with __gcomp_prof_begin(k) / __gcomp_prof_end(k) and emits two tables
 * naming the kernels (gcomp/model_abi.h). The entry point has no context
 * argument, so the runtime makes the running instance's profile the
 * thread's current one for the duration of the call, and the two hooks
 * record into it: per kernel a call count and a total time, and a trace of
 * every call (with a fixed cap) that gcomp_model_profile_write_trace turns
 * into Chrome trace-event JSON.
 *
 * A model compiled without --profile has no tables, so the instance has no
 * profile and never touches this file's state.
 *===----------------------------------------------------------------------===*/

/* clock_gettime and CLOCK_MONOTONIC under -std=c11. */
#define _POSIX_C_SOURCE 200809L

#include "gcomp/model_abi.h"
#include "internal.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A label or node list longer than this is taken for a missing NUL. */
#define GCOMP_RT_MAX_NAME ((size_t)1 << 20)
/* Marks a kernel with no call in progress. */
#define NOT_OPEN UINT64_MAX
/* A trace event for a whole run rather than a kernel call. */
#define RUN_EVENT (-1)

typedef struct kernel_info {
  const char *label; /* into __gcomp_profile_names */
  const char *nodes;
  double flops_per_call;
  uint64_t calls;
  uint64_t total_ns;
  uint64_t open_ns; /* start of the call in progress, or NOT_OPEN */
} kernel_info;

typedef struct trace_event {
  uint64_t start_ns; /* since the profile's origin */
  uint64_t dur_ns;
  int32_t kernel; /* or RUN_EVENT */
} trace_event;

struct gcomp_rt_profile {
  size_t num_kernels;
  kernel_info *kernels;

  trace_event *events; /* grows up to max_events */
  size_t num_events;
  size_t event_capacity;
  size_t max_events;
  uint64_t dropped;

  /* The start of the first run since creation or the last reset: time 0
   * of the trace. */
  uint64_t origin_ns;
  int has_origin;
  /* The run in progress: its start, its event (or SIZE_MAX if dropped),
   * and where its kernel events begin. */
  uint64_t run_start_ns;
  size_t run_event;
  size_t run_first_event;
  /* Events the last run recorded, to reserve room before the next. */
  size_t last_run_events;
};

/* The profile of the run in progress on this thread, if any. Each model.so
 * has its own copy of the runtime, hence of this variable. */
static _Thread_local gcomp_rt_profile *g_current;

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/*===----------------------------------------------------------------------===*
 * Tables
 *===----------------------------------------------------------------------===*/

gcomp_status gcomp_rt_profile_create(const int64_t *kernels, const char *names,
                                     gcomp_rt_profile **out, char *err,
                                     size_t err_cap) {
  *out = NULL;
  if (!kernels && !names)
    return GCOMP_OK;
  if (!kernels || !names) {
    snprintf(err, err_cap,
             "corrupt model profile tables: the model defines %s but not %s",
             kernels ? GCOMP_SYM_PROFILE_KERNELS : GCOMP_SYM_PROFILE_NAMES,
             kernels ? GCOMP_SYM_PROFILE_NAMES : GCOMP_SYM_PROFILE_KERNELS);
    return GCOMP_ERR_INTERNAL;
  }
  int64_t n = kernels[0];
  if (n < 0 || n > GCOMP_RT_MAX_KERNELS) {
    snprintf(err, err_cap, "corrupt model profile tables: %lld kernels",
             (long long)n);
    return GCOMP_ERR_INTERNAL;
  }

  gcomp_rt_profile *p = calloc(1, sizeof *p);
  /* +1 keeps calloc's size non-zero for a model with no kernels. */
  kernel_info *infos = calloc((size_t)n + 1, sizeof *infos);
  if (!p || !infos) {
    free(p);
    free(infos);
    snprintf(err, err_cap, "out of memory");
    return GCOMP_ERR_OUT_OF_MEMORY;
  }
  p->num_kernels = (size_t)n;
  p->kernels = infos;
  p->run_event = SIZE_MAX;
  p->max_events = GCOMP_RT_TRACE_CAPACITY;

  const char *name = names;
  for (size_t i = 0; i < (size_t)n; ++i) {
    kernel_info *k = &infos[i];
    int64_t flops = kernels[1 + i];
    const char *problem = NULL;
    size_t label_len = strnlen(name, GCOMP_RT_MAX_NAME);
    size_t nodes_len = 0;
    if (label_len == 0)
      problem = "has no label (too few names?)";
    else if (label_len == GCOMP_RT_MAX_NAME)
      problem = "has an unterminated label";
    else if ((nodes_len = strnlen(name + label_len + 1, GCOMP_RT_MAX_NAME)) ==
             GCOMP_RT_MAX_NAME)
      problem = "has an unterminated node list";
    else if (flops < 0)
      problem = "has a negative flop count";
    if (problem) {
      snprintf(err, err_cap,
               "corrupt model profile tables: kernel %zu of %lld %s", i,
               (long long)n, problem);
      gcomp_rt_profile_destroy(p);
      return GCOMP_ERR_INTERNAL;
    }
    k->label = name;
    k->nodes = name + label_len + 1;
    k->flops_per_call = (double)flops;
    k->open_ns = NOT_OPEN;
    name = k->nodes + nodes_len + 1;
  }
  *out = p;
  return GCOMP_OK;
}

void gcomp_rt_profile_destroy(gcomp_rt_profile *p) {
  if (!p)
    return;
  free(p->events);
  free(p->kernels);
  free(p);
}

size_t gcomp_rt_profile_num_kernels(const gcomp_rt_profile *p) {
  return p->num_kernels;
}

void gcomp_rt_profile_kernel(const gcomp_rt_profile *p, size_t index,
                             gcomp_kernel_profile *out) {
  const kernel_info *k = &p->kernels[index];
  out->kernel = k->label;
  out->nodes = k->nodes;
  out->calls = k->calls;
  out->total_ms = (double)k->total_ns / 1e6;
  out->flops_per_call = k->flops_per_call;
}

void gcomp_rt_profile_reset(gcomp_rt_profile *p) {
  for (size_t i = 0; i < p->num_kernels; ++i) {
    p->kernels[i].calls = 0;
    p->kernels[i].total_ns = 0;
    p->kernels[i].open_ns = NOT_OPEN;
  }
  /* The buffer stays for the next runs. */
  p->num_events = 0;
  p->dropped = 0;
  p->has_origin = 0;
  p->run_event = SIZE_MAX;
  p->run_first_event = 0;
}

uint64_t gcomp_rt_profile_dropped(const gcomp_rt_profile *p) {
  return p->dropped;
}

void gcomp_rt_profile_set_trace_capacity(gcomp_rt_profile *p, size_t max) {
  p->max_events = max;
  if (p->num_events > max)
    p->num_events = max;
}

/*===----------------------------------------------------------------------===*
 * Recording
 *===----------------------------------------------------------------------===*/

/* Makes room for `count` more events, up to the cap; returns whether there
 * is room for at least one. */
static int reserve_events(gcomp_rt_profile *p, size_t count) {
  size_t want = p->num_events + count;
  if (want > p->max_events)
    want = p->max_events;
  if (want > p->event_capacity) {
    size_t cap = p->event_capacity ? p->event_capacity : 256;
    while (cap < want)
      cap *= 2;
    if (cap > p->max_events)
      cap = p->max_events;
    trace_event *events = realloc(p->events, cap * sizeof *events);
    if (events) {
      p->events = events;
      p->event_capacity = cap;
    }
  }
  return p->num_events < p->event_capacity;
}

/* Index of a new event, or SIZE_MAX (counted as dropped) if there is no
 * room. */
static size_t add_event(gcomp_rt_profile *p, int32_t kernel, uint64_t start,
                        uint64_t dur) {
  if (p->num_events >= p->max_events ||
      (p->num_events == p->event_capacity && !reserve_events(p, 1))) {
    ++p->dropped;
    return SIZE_MAX;
  }
  trace_event *e = &p->events[p->num_events];
  e->start_ns = start - p->origin_ns;
  e->dur_ns = dur;
  e->kernel = kernel;
  return p->num_events++;
}

gcomp_rt_profile *gcomp_rt_profile_run_begin(gcomp_rt_profile *p) {
  /* Reserve what the last run needed (at least one event per kernel), so
   * that the trace rarely grows while a kernel is being timed. */
  size_t expect =
      p->last_run_events > p->num_kernels ? p->last_run_events : p->num_kernels;
  reserve_events(p, expect + 1);
  gcomp_rt_profile *previous = g_current;
  g_current = p;
  uint64_t now = now_ns();
  if (!p->has_origin) {
    p->origin_ns = now;
    p->has_origin = 1;
  }
  p->run_start_ns = now;
  p->run_event = add_event(p, RUN_EVENT, now, 0);
  p->run_first_event = p->num_events;
  return previous;
}

void gcomp_rt_profile_run_end(gcomp_rt_profile *p, gcomp_rt_profile *previous) {
  uint64_t now = now_ns();
  if (p->run_event != SIZE_MAX)
    p->events[p->run_event].dur_ns = now - p->run_start_ns;
  p->last_run_events = p->num_events - p->run_first_event;
  p->run_event = SIZE_MAX;
  g_current = previous;
}

void __gcomp_prof_begin(int32_t kernel) {
  gcomp_rt_profile *p = g_current;
  if (!p || kernel < 0 || (size_t)kernel >= p->num_kernels)
    return;
  p->kernels[kernel].open_ns = now_ns();
}

void __gcomp_prof_end(int32_t kernel) {
  uint64_t now = now_ns();
  gcomp_rt_profile *p = g_current;
  if (!p || kernel < 0 || (size_t)kernel >= p->num_kernels)
    return;
  kernel_info *k = &p->kernels[kernel];
  if (k->open_ns == NOT_OPEN) /* an end without a begin */
    return;
  uint64_t dur = now - k->open_ns;
  ++k->calls;
  k->total_ns += dur;
  add_event(p, kernel, k->open_ns, dur);
  k->open_ns = NOT_OPEN;
}

/*===----------------------------------------------------------------------===*
 * Chrome trace-event JSON
 *===----------------------------------------------------------------------===*/

/* Nanoseconds as microseconds with three decimals, without printf's %f,
 * whose decimal point follows the locale. */
static void sb_micros(gcomp_rt_strbuf *sb, uint64_t ns) {
  char tmp[32];
  int n = snprintf(tmp, sizeof tmp, "%llu.%03u",
                   (unsigned long long)(ns / 1000), (unsigned)(ns % 1000));
  gcomp_rt_sb_append(sb, tmp, (size_t)n);
}

/* Writes and empties the buffer; on a write error returns 0 and sets
 * *error to errno. */
static int flush(gcomp_rt_strbuf *sb, FILE *f, int *error) {
  int ok = sb->len == 0 || fwrite(sb->data, 1, sb->len, f) == sb->len;
  if (!ok)
    *error = errno;
  sb->len = 0;
  return ok;
}

gcomp_status gcomp_rt_profile_write_trace(const gcomp_rt_profile *p,
                                          const char *path,
                                          const char *producer, char *err,
                                          size_t err_cap) {
  FILE *f = fopen(path, "w");
  if (!f) {
    snprintf(err, err_cap, "cannot open '%s' for writing: %s", path,
             strerror(errno));
    return GCOMP_ERR_INVALID_ARGUMENT;
  }

  /* Every event is on one track (pid 1, tid 1): a run's kernel calls nest
   * under its "run" event. */
  gcomp_rt_strbuf sb = {NULL, 0, 0, 0};
  int ok = 1, error = 0;
  gcomp_rt_sb_puts(&sb, "{\"traceEvents\":[\n"
                        "{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":1,"
                        "\"tid\":1,\"args\":{\"name\":\"gcomp model\"}},\n"
                        "{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":1,"
                        "\"tid\":1,\"args\":{\"name\":\"runs\"}}");
  for (size_t i = 0; i < p->num_events && ok && !sb.oom; ++i) {
    const trace_event *e = &p->events[i];
    gcomp_rt_sb_puts(&sb, ",\n{\"name\":");
    if (e->kernel == RUN_EVENT) {
      gcomp_rt_sb_puts(&sb, "\"run\",\"cat\":\"run\"");
    } else {
      const kernel_info *k = &p->kernels[e->kernel];
      gcomp_rt_sb_json_string(&sb, k->label);
      gcomp_rt_sb_puts(&sb, ",\"cat\":\"kernel\",\"args\":{\"nodes\":");
      gcomp_rt_sb_json_string(&sb, k->nodes);
      gcomp_rt_sb_puts(&sb, "}");
    }
    gcomp_rt_sb_puts(&sb, ",\"ph\":\"X\",\"pid\":1,\"tid\":1,\"ts\":");
    sb_micros(&sb, e->start_ns);
    gcomp_rt_sb_puts(&sb, ",\"dur\":");
    sb_micros(&sb, e->dur_ns);
    gcomp_rt_sb_puts(&sb, "}");
    if (sb.len >= 1 << 16)
      ok = flush(&sb, f, &error);
  }
  gcomp_rt_sb_puts(&sb, "\n],\"displayTimeUnit\":\"ms\",\"otherData\":{"
                        "\"producer\":");
  gcomp_rt_sb_json_string(&sb, producer);
  gcomp_rt_sb_puts(&sb, ",\"dropped_events\":");
  gcomp_rt_sb_int(&sb, (long long)p->dropped);
  gcomp_rt_sb_puts(&sb, "}}\n");

  if (sb.oom) {
    free(sb.data);
    fclose(f);
    snprintf(err, err_cap, "out of memory");
    return GCOMP_ERR_OUT_OF_MEMORY;
  }
  ok = ok && flush(&sb, f, &error);
  free(sb.data);
  if (fclose(f) != 0 && ok) {
    ok = 0;
    error = errno;
  }
  if (!ok) {
    snprintf(err, err_cap, "cannot write '%s': %s", path, strerror(error));
    return GCOMP_ERR_INTERNAL;
  }
  return GCOMP_OK;
}
