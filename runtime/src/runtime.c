/*===- runtime.c - The public API of a compiled model ---------------------===*
 *
 * Implements gcomp/runtime.h on top of the tables and the entry point that
 * the compiler emits (see gcomp/model_abi.h). Linked into every model.so;
 * plain C11, libc only.
 *
 * The runtime owns all validation: by the time __gcomp_entry runs, every
 * buffer has the model's dtype and shape and is large enough, so the
 * compiled code checks nothing.
 *===----------------------------------------------------------------------===*/

#include "gcomp/runtime.h"
#include "gcomp/model_abi.h"
#include "internal.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if GCOMP_RUNTIME_ABI_VERSION != 1 || GCOMP_MODEL_ABI_VERSION != 2
#error "update the signature JSON / table parsing for the new ABI version"
#endif

/* Defined by the compiler's object in the same model.so. Hidden, so that
 * they are bound inside the .so and never exported: two models loaded into
 * one process each see their own tables. */
GCOMP_HIDDEN extern const int64_t __gcomp_signature[];
GCOMP_HIDDEN extern const char __gcomp_names[];
GCOMP_HIDDEN extern const char __gcomp_cpu_features[];
GCOMP_HIDDEN extern const char __gcomp_producer[];
GCOMP_HIDDEN int32_t __gcomp_entry(void *const *inputs, void *const *outputs,
                                   void *workspace);
/* Absent when the model names no dim. */
extern const char __gcomp_dim_names[]
    __attribute__((weak, visibility("hidden")));
/* Only in a model compiled with gcomp --specialize. */
extern const int64_t __gcomp_variants[]
    __attribute__((weak, visibility("hidden")));
extern const gcomp_rt_entry_fn __gcomp_variant_entries[]
    __attribute__((weak, visibility("hidden")));
/* Only in a model compiled with gcomp --profile: weak, so that they are
 * null otherwise (and the .so still links with -z defs). */
extern const int64_t __gcomp_profile_kernels[]
    __attribute__((weak, visibility("hidden")));
extern const char __gcomp_profile_names[]
    __attribute__((weak, visibility("hidden")));
/* Absent from models older than gcomp --threads. */
extern const int64_t __gcomp_threads[] __attribute__((weak, visibility("hidden")));
extern const int64_t __gcomp_fp_flags[] __attribute__((weak, visibility("hidden")));
/* Absent when the model needs no workspace (gcomp-plan-buffers off). */
extern const int64_t __gcomp_workspace_bytes[]
    __attribute__((weak, visibility("hidden")));

/* Only in a model compiled with gcomp --target=cuda. */
extern const int64_t __gcomp_cuda[] __attribute__((weak, visibility("hidden")));
/* Only in a generic model (symbolic dims compiled as they are). */
extern const int64_t __gcomp_dynamic_dims[]
    __attribute__((weak, visibility("hidden")));
typedef int32_t (*gcomp_rt_generic_entry_fn)(void *const *, void *const *,
                                             void *, const int64_t *);
/* The "variant" of a run of a generic model: its dims are the run's own. */
#define GCOMP_RT_GENERIC ((int64_t)-2)
/* Only in a model with outputs whose size depends on the data. */
extern const int64_t __gcomp_output_bounds[]
    __attribute__((weak, visibility("hidden")));
extern const char __gcomp_cuda_constants[]
    __attribute__((weak, visibility("hidden")));

/* Sanity limits on the signature table: the table has no length, so a
 * corrupt one is caught by implausible counts rather than by its end. */
#define GCOMP_RT_MAX_TENSORS 65536
#define GCOMP_RT_MAX_RANK 64

/* Output buffers from run_alloc are aligned to a cache line (and to the
 * widest vector register). */
#define GCOMP_RT_ALIGNMENT 64

#define GCOMP_RT_ERROR_CAPACITY 1024

/* An output whose size depends on the input values
 * (GCOMP_SYM_OUTPUT_BOUNDS): the entry writes it into `scratch`, laid out
 * as its bound, and its actual dims into `dims`; the runtime packs it there
 * and copies it out or hands it out. */
typedef struct gcomp_rt_bounded {
  size_t output;        /* index among the outputs */
  const int64_t *bound; /* [rank], in __gcomp_output_bounds */
  void *scratch;        /* the bound's bytes, 64-byte aligned */
  size_t scratch_bytes;
  int64_t *dims; /* [rank]: the last run's dims */
} gcomp_rt_bounded;

struct gcomp_model {
  size_t num_inputs;
  size_t num_outputs;
  /* Inputs, then outputs. Names point into __gcomp_names and dims into
   * __gcomp_signature, which live as long as the .so. */
  gcomp_tensor_info *infos;
  char *signature_json;
  /* Scratch for the data pointers passed to __gcomp_entry: inputs, then
   * outputs. */
  void **entry_args;
  /* The intermediate buffers, placed by the compiler: allocated once, when
   * the instance is created, so that a run allocates nothing. */
  void *workspace;
  /* Null unless the model was compiled with gcomp --target=cuda; then the
   * workspace and the data the entry sees live on the GPU. */
  gcomp_rt_cuda *cuda;
  /* run_alloc's buffers, one per output, and their capacities in bytes. */
  gcomp_tensor *owned_outputs;
  size_t *owned_capacity;
  /* Null unless the model was compiled with gcomp --profile. */
  gcomp_rt_profile *profile;
  /* gcomp --specialize: num_variants static variants (0 without), and the
   * dims of tensor i (inputs, then outputs) in variant v at
   * variant_dims[v * (num_inputs + num_outputs) + i], pointing into
   * __gcomp_variants. */
  size_t num_variants;
  const int64_t **variant_dims;
  /* The model's name of dim d of tensor i (inputs, then outputs), "" if
   * none: dim_names[dim_name_first[i] + d]; both null without
   * __gcomp_dim_names. */
  const char **dim_names;
  size_t *dim_name_first;
  char last_error[GCOMP_RT_ERROR_CAPACITY];
  /* Set while a run is in progress: a second thread that calls run on the
   * same instance is refused (GCOMP_ERR_BUSY) instead of racing on the
   * workspace. */
  atomic_flag running;
  /* GCOMP_POISON_WORKSPACE: the byte that fills the workspace and the
   * outputs before every run (a test for reads of memory no kernel wrote:
   * two runs with different bytes must give identical results), or -1. */
  int poison;
  size_t workspace_size;
  /* Outputs whose size depends on the data, in output order. */
  size_t num_bounded;
  gcomp_rt_bounded *bounded;
  /* What run_alloc hands out: owned_outputs, or a bounded output's scratch. */
  gcomp_tensor *returned;
  /* Each output's dims in the last run (gcomp_model_output_dims); null
   * before the first. */
  const int64_t **run_dims;
  int has_run;
  /* A generic model (__gcomp_dynamic_dims): its records of which input dim
   * gives each dynamic output dim, and of input dims that must be equal;
   * the dims of the run in progress (inputs, then outputs, as the entry
   * reads them), and where each tensor's start. run_dims and run_alloc's
   * output dims point into generic_dims: valid until the next run, as
   * documented. */
  const int64_t *dyn_outputs;
  size_t num_dyn_outputs;
  const int64_t *dyn_equal;
  size_t num_dyn_equal;
  /* Output dims computed from input dims: each record's start. */
  const int64_t **dyn_formulas;
  size_t num_dyn_formulas;
  int64_t *generic_dims;
  const int64_t **generic_tensor_dims;
};

static _Thread_local char g_last_error[GCOMP_RT_ERROR_CAPACITY];

/*===----------------------------------------------------------------------===*
 * Errors
 *===----------------------------------------------------------------------===*/

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static gcomp_status
fail(gcomp_model *model, gcomp_status status, const char *fmt, ...) {
  /* Calls with no instance to report on use the thread's buffer. */
  char *buf = model ? model->last_error : g_last_error;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, GCOMP_RT_ERROR_CAPACITY, fmt, ap);
  va_end(ap);
  return status;
}

/* Writes "[2,?,4]" (a dynamic dim as '?') to buf, truncating with "...". */
static const char *format_shape(char *buf, size_t cap, const int64_t *dims,
                                int32_t rank) {
  size_t used = 0;
  buf[used++] = '[';
  for (int32_t i = 0; i < rank; ++i) {
    char dim[24];
    const char *sep = i ? "," : "";
    int n = dims[i] == -1
                ? snprintf(dim, sizeof dim, "%s?", sep)
                : snprintf(dim, sizeof dim, "%s%lld", sep, (long long)dims[i]);
    if (used + (size_t)n + 5 > cap) { /* room for "...]" and NUL */
      memcpy(buf + used, "...", 3);
      used += 3;
      break;
    }
    memcpy(buf + used, dim, (size_t)n);
    used += (size_t)n;
  }
  buf[used++] = ']';
  buf[used] = '\0';
  return buf;
}

/*===----------------------------------------------------------------------===*
 * Dtypes
 *===----------------------------------------------------------------------===*/

/* Internal calls use these static versions rather than the exported
 * functions, so that they never go through the PLT to another model.so's
 * copy of the runtime. */
static size_t dtype_size(int32_t dtype) {
  switch (dtype) {
  case GCOMP_DTYPE_UINT8:
  case GCOMP_DTYPE_INT8:
  case GCOMP_DTYPE_BOOL:
    return 1;
  case GCOMP_DTYPE_UINT16:
  case GCOMP_DTYPE_INT16:
  case GCOMP_DTYPE_FLOAT16:
  case GCOMP_DTYPE_BFLOAT16:
    return 2;
  case GCOMP_DTYPE_FLOAT32:
  case GCOMP_DTYPE_INT32:
  case GCOMP_DTYPE_UINT32:
    return 4;
  case GCOMP_DTYPE_INT64:
  case GCOMP_DTYPE_FLOAT64:
  case GCOMP_DTYPE_UINT64:
    return 8;
  default:
    return 0;
  }
}

static const char *dtype_name(int32_t dtype) {
  switch (dtype) {
  case GCOMP_DTYPE_FLOAT32:
    return "float32";
  case GCOMP_DTYPE_UINT8:
    return "uint8";
  case GCOMP_DTYPE_INT8:
    return "int8";
  case GCOMP_DTYPE_UINT16:
    return "uint16";
  case GCOMP_DTYPE_INT16:
    return "int16";
  case GCOMP_DTYPE_INT32:
    return "int32";
  case GCOMP_DTYPE_INT64:
    return "int64";
  case GCOMP_DTYPE_BOOL:
    return "bool";
  case GCOMP_DTYPE_FLOAT16:
    return "float16";
  case GCOMP_DTYPE_FLOAT64:
    return "float64";
  case GCOMP_DTYPE_UINT32:
    return "uint32";
  case GCOMP_DTYPE_UINT64:
    return "uint64";
  case GCOMP_DTYPE_BFLOAT16:
    return "bfloat16";
  default:
    return "undefined";
  }
}

size_t gcomp_dtype_size(int32_t dtype) { return dtype_size(dtype); }

const char *gcomp_dtype_name(int32_t dtype) { return dtype_name(dtype); }

/* Bytes of a dense tensor, or 0 with *overflow set if it does not fit in a
 * size_t. Dims must be non-negative. */
static size_t tensor_bytes(int32_t dtype, const int64_t *dims, int32_t rank,
                           int *overflow) {
  size_t bytes = dtype_size(dtype);
  *overflow = 0;
  for (int32_t i = 0; i < rank; ++i) {
    if ((uint64_t)dims[i] > SIZE_MAX ||
        __builtin_mul_overflow(bytes, (size_t)dims[i], &bytes)) {
      *overflow = 1;
      return 0;
    }
  }
  return bytes;
}

static int is_static(const gcomp_tensor_info *info) {
  for (int32_t i = 0; i < info->rank; ++i)
    if (info->dims[i] < 0)
      return 0;
  return 1;
}

/*===----------------------------------------------------------------------===*
 * Strings and the signature JSON
 *===----------------------------------------------------------------------===*/

void gcomp_rt_sb_append(gcomp_rt_strbuf *sb, const char *s, size_t n) {
  if (sb->oom)
    return;
  if (sb->len + n + 1 > sb->cap) {
    size_t cap = sb->cap ? sb->cap : 256;
    while (sb->len + n + 1 > cap)
      cap *= 2;
    char *data = realloc(sb->data, cap);
    if (!data) {
      sb->oom = 1;
      return;
    }
    sb->data = data;
    sb->cap = cap;
  }
  memcpy(sb->data + sb->len, s, n);
  sb->len += n;
  sb->data[sb->len] = '\0';
}

void gcomp_rt_sb_puts(gcomp_rt_strbuf *sb, const char *s) {
  gcomp_rt_sb_append(sb, s, strlen(s));
}

void gcomp_rt_sb_int(gcomp_rt_strbuf *sb, long long v) {
  char tmp[24];
  int n = snprintf(tmp, sizeof tmp, "%lld", v);
  gcomp_rt_sb_append(sb, tmp, (size_t)n);
}

/* Bytes >= 0x80 pass through: names are UTF-8. */
void gcomp_rt_sb_json_string(gcomp_rt_strbuf *sb, const char *s) {
  gcomp_rt_sb_puts(sb, "\"");
  for (const unsigned char *p = (const unsigned char *)s; *p; ++p) {
    char esc[8];
    switch (*p) {
    case '"':
      gcomp_rt_sb_puts(sb, "\\\"");
      break;
    case '\\':
      gcomp_rt_sb_puts(sb, "\\\\");
      break;
    case '\n':
      gcomp_rt_sb_puts(sb, "\\n");
      break;
    case '\r':
      gcomp_rt_sb_puts(sb, "\\r");
      break;
    case '\t':
      gcomp_rt_sb_puts(sb, "\\t");
      break;
    case '\b':
      gcomp_rt_sb_puts(sb, "\\b");
      break;
    case '\f':
      gcomp_rt_sb_puts(sb, "\\f");
      break;
    default:
      if (*p < 0x20) {
        snprintf(esc, sizeof esc, "\\u%04x", *p);
        gcomp_rt_sb_puts(sb, esc);
      } else {
        gcomp_rt_sb_append(sb, (const char *)p, 1);
      }
    }
  }
  gcomp_rt_sb_puts(sb, "\"");
}

static const char *dim_name(const gcomp_model *m, size_t tensor, int32_t d);

static void sb_tensor_list(gcomp_rt_strbuf *sb, const gcomp_model *m,
                           size_t first, size_t n) {
  gcomp_rt_sb_puts(sb, "[");
  for (size_t i = 0; i < n; ++i) {
    const gcomp_tensor_info *info = &m->infos[first + i];
    gcomp_rt_sb_puts(sb, i ? ",{\"name\":" : "{\"name\":");
    gcomp_rt_sb_json_string(sb, info->name);
    gcomp_rt_sb_puts(sb, ",\"dtype\":\"");
    gcomp_rt_sb_puts(sb, dtype_name(info->dtype));
    gcomp_rt_sb_puts(sb, "\",\"elem_type\":");
    gcomp_rt_sb_int(sb, info->dtype);
    gcomp_rt_sb_puts(sb, ",\"shape\":[");
    for (int32_t d = 0; d < info->rank; ++d) {
      if (d)
        gcomp_rt_sb_puts(sb, ",");
      gcomp_rt_sb_int(sb, (long long)info->dims[d]);
    }
    gcomp_rt_sb_puts(sb, "]");
    /* An output whose size depends on the data: the most it can be. */
    for (size_t k = 0; k < m->num_bounded; ++k) {
      if (m->num_inputs + m->bounded[k].output != first + i)
        continue;
      gcomp_rt_sb_puts(sb, ",\"max_shape\":[");
      for (int32_t d = 0; d < info->rank; ++d) {
        if (d)
          gcomp_rt_sb_puts(sb, ",");
        gcomp_rt_sb_int(sb, (long long)m->bounded[k].bound[d]);
      }
      gcomp_rt_sb_puts(sb, "]");
    }
    /* The model's dim names, where it gives any ("" for a dim without). */
    int named = 0;
    for (int32_t d = 0; d < info->rank; ++d)
      named |= dim_name(m, first + i, d)[0] != '\0';
    if (named) {
      gcomp_rt_sb_puts(sb, ",\"dim_names\":[");
      for (int32_t d = 0; d < info->rank; ++d) {
        if (d)
          gcomp_rt_sb_puts(sb, ",");
        gcomp_rt_sb_json_string(sb, dim_name(m, first + i, d));
      }
      gcomp_rt_sb_puts(sb, "]");
    }
    gcomp_rt_sb_puts(sb, "}");
  }
  gcomp_rt_sb_puts(sb, "]");
}

static char *build_signature_json(const gcomp_model *m) {
  gcomp_rt_strbuf sb = {NULL, 0, 0, 0};
  gcomp_rt_sb_puts(&sb, "{\"abi_version\":");
  gcomp_rt_sb_int(&sb, GCOMP_RUNTIME_ABI_VERSION);
  gcomp_rt_sb_puts(&sb, ",\"inputs\":");
  sb_tensor_list(&sb, m, 0, m->num_inputs);
  gcomp_rt_sb_puts(&sb, ",\"outputs\":");
  sb_tensor_list(&sb, m, m->num_inputs, m->num_outputs);
  gcomp_rt_sb_puts(&sb, "}");
  if (sb.oom) {
    free(sb.data);
    return NULL;
  }
  return sb.data;
}

/*===----------------------------------------------------------------------===*
 * Creation
 *===----------------------------------------------------------------------===*/

const char *gcomp_version(void) { return __gcomp_producer; }

uint32_t gcomp_abi_version(void) { return GCOMP_RUNTIME_ABI_VERSION; }

const char *gcomp_last_error(void) { return g_last_error; }

/* Reads __gcomp_signature and __gcomp_names into m->infos. Reports to the
 * thread's error buffer (there is no instance yet). */
static gcomp_status parse_signature(gcomp_model *m) {
  const int64_t *sig = __gcomp_signature;
  if (sig[0] != GCOMP_MODEL_ABI_VERSION)
    return fail(NULL, GCOMP_ERR_INTERNAL,
                "model ABI version %lld is not supported by this runtime "
                "(expected %d); rebuild the model with a matching gcomp",
                (long long)sig[0], GCOMP_MODEL_ABI_VERSION);
  if (sig[1] < 0 || sig[1] > GCOMP_RT_MAX_TENSORS || sig[2] < 0 ||
      sig[2] > GCOMP_RT_MAX_TENSORS)
    return fail(NULL, GCOMP_ERR_INTERNAL,
                "corrupt model signature: %lld inputs, %lld outputs",
                (long long)sig[1], (long long)sig[2]);

  m->num_inputs = (size_t)sig[1];
  m->num_outputs = (size_t)sig[2];
  size_t total = m->num_inputs + m->num_outputs;
  /* +1 keeps calloc's size non-zero for a model with no tensors. */
  m->infos = calloc(total + 1, sizeof *m->infos);
  if (!m->infos)
    return fail(NULL, GCOMP_ERR_OUT_OF_MEMORY, "out of memory");

  size_t pos = 3;
  const char *name = __gcomp_names;
  for (size_t i = 0; i < total; ++i) {
    gcomp_tensor_info *info = &m->infos[i];
    info->name = name;
    name += strlen(name) + 1;

    const char *kind = i < m->num_inputs ? "input" : "output";
    int64_t dtype = sig[pos++];
    int64_t rank = sig[pos++];
    if (dtype < 0 || dtype > INT32_MAX || dtype_size((int32_t)dtype) == 0)
      return fail(NULL, GCOMP_ERR_INTERNAL,
                  "corrupt model signature: %s '%s' has unknown dtype %lld",
                  kind, info->name, (long long)dtype);
    if (rank < 0 || rank > GCOMP_RT_MAX_RANK)
      return fail(NULL, GCOMP_ERR_INTERNAL,
                  "corrupt model signature: %s '%s' has rank %lld", kind,
                  info->name, (long long)rank);
    info->dtype = (int32_t)dtype;
    info->rank = (int32_t)rank;
    info->dims = &sig[pos];
    for (int64_t d = 0; d < rank; ++d)
      if (info->dims[d] < -1)
        return fail(NULL, GCOMP_ERR_INTERNAL,
                    "corrupt model signature: %s '%s' has dim %lld = %lld",
                    kind, info->name, (long long)d, (long long)info->dims[d]);
    pos += (size_t)rank;
  }
  return GCOMP_OK;
}

/* Reads the optional __gcomp_dynamic_dims table. */
static gcomp_status parse_dynamic_dims(gcomp_model *m) {
  const int64_t *t = __gcomp_dynamic_dims;
  if (!t)
    return GCOMP_OK;
  if (t[0] != GCOMP_DYNAMIC_DIMS_VERSION)
    return fail(NULL, GCOMP_ERR_INTERNAL,
                "dynamic dims table version %lld is not supported by this "
                "runtime (expected %d)",
                (long long)t[0], GCOMP_DYNAMIC_DIMS_VERSION);
  size_t total = m->num_inputs + m->num_outputs, dims = 0;
  for (size_t i = 0; i < total; ++i)
    dims += (size_t)m->infos[i].rank;
  if (t[1] < 0 || (size_t)t[1] > dims)
    return fail(NULL, GCOMP_ERR_INTERNAL, "corrupt dynamic dims table");
  m->num_dyn_outputs = (size_t)t[1];
  m->dyn_outputs = t + 2;
  const int64_t *equal = m->dyn_outputs + 4 * m->num_dyn_outputs;
  if (equal[0] < 0 || (size_t)equal[0] > dims * dims)
    return fail(NULL, GCOMP_ERR_INTERNAL, "corrupt dynamic dims table");
  m->num_dyn_equal = (size_t)equal[0];
  m->dyn_equal = equal + 1;
  /* Every record names a tensor and a dim that exist. */
  for (size_t k = 0; k < m->num_dyn_outputs; ++k) {
    const int64_t *r = m->dyn_outputs + 4 * k;
    if (r[0] < 0 || (size_t)r[0] >= m->num_outputs || r[2] < 0 ||
        (size_t)r[2] >= m->num_inputs || r[1] < 0 ||
        r[1] >= m->infos[m->num_inputs + (size_t)r[0]].rank || r[3] < 0 ||
        r[3] >= m->infos[r[2]].rank)
      return fail(NULL, GCOMP_ERR_INTERNAL, "corrupt dynamic dims table");
  }
  for (size_t k = 0; k < m->num_dyn_equal; ++k) {
    const int64_t *r = m->dyn_equal + 4 * k;
    for (int j = 0; j < 4; j += 2)
      if (r[j] < 0 || (size_t)r[j] >= m->num_inputs || r[j + 1] < 0 ||
          r[j + 1] >= m->infos[r[j]].rank)
        return fail(NULL, GCOMP_ERR_INTERNAL, "corrupt dynamic dims table");
  }
  /* The formulas: records of varying length, walked once here. */
  const int64_t *f = m->dyn_equal + 4 * m->num_dyn_equal;
  if (f[0] < 0 || (size_t)f[0] > dims)
    return fail(NULL, GCOMP_ERR_INTERNAL, "corrupt dynamic dims table");
  m->num_dyn_formulas = (size_t)f[0];
  if (m->num_dyn_formulas) {
    m->dyn_formulas = calloc(m->num_dyn_formulas, sizeof *m->dyn_formulas);
    if (!m->dyn_formulas)
      return fail(NULL, GCOMP_ERR_OUT_OF_MEMORY, "out of memory");
  }
  const int64_t *record = f + 1;
  for (size_t k = 0; k < m->num_dyn_formulas; ++k) {
    m->dyn_formulas[k] = record;
    if (record[0] < 0 || (size_t)record[0] >= m->num_outputs ||
        record[1] < 0 ||
        record[1] >= m->infos[m->num_inputs + (size_t)record[0]].rank ||
        m->infos[m->num_inputs + (size_t)record[0]].dims[record[1]] != -1 ||
        record[2] < 1 || record[2] > GCOMP_DYNAMIC_DIMS_MAX_TERMS)
      return fail(NULL, GCOMP_ERR_INTERNAL, "corrupt dynamic dims table");
    int64_t terms = record[2];
    record += 3;
    for (int64_t t = 0; t < terms; ++t) {
      int64_t degree = record[1];
      if (degree < 0 || degree > GCOMP_DYNAMIC_DIMS_MAX_DEGREE)
        return fail(NULL, GCOMP_ERR_INTERNAL, "corrupt dynamic dims table");
      for (int64_t j = 0; j < degree; ++j) {
        const int64_t *pair = record + 2 + 2 * j;
        if (pair[0] < 0 || (size_t)pair[0] >= m->num_inputs || pair[1] < 0 ||
            pair[1] >= m->infos[pair[0]].rank)
          return fail(NULL, GCOMP_ERR_INTERNAL, "corrupt dynamic dims table");
      }
      record += 2 + 2 * degree;
    }
  }
  /* Every dynamic output dim has its record (else the run could not size
   * the output). */
  for (size_t o = 0; o < m->num_outputs; ++o) {
    const gcomp_tensor_info *info = &m->infos[m->num_inputs + o];
    for (int32_t d = 0; d < info->rank; ++d) {
      if (info->dims[d] != -1)
        continue;
      int found = 0;
      for (size_t k = 0; k < m->num_dyn_outputs && !found; ++k)
        found = (size_t)m->dyn_outputs[4 * k] == o && m->dyn_outputs[4 * k + 1] == d;
      for (size_t k = 0; k < m->num_dyn_formulas && !found; ++k)
        found = (size_t)m->dyn_formulas[k][0] == o && m->dyn_formulas[k][1] == d;
      if (!found)
        return fail(NULL, GCOMP_ERR_INTERNAL,
                    "corrupt dynamic dims table: no size for dim %d of output "
                    "'%s'",
                    (int)d, info->name);
    }
  }
  m->generic_dims = calloc(dims + 1, sizeof *m->generic_dims);
  m->generic_tensor_dims = calloc(total + 1, sizeof *m->generic_tensor_dims);
  if (!m->generic_dims || !m->generic_tensor_dims)
    return fail(NULL, GCOMP_ERR_OUT_OF_MEMORY, "out of memory");
  size_t pos = 0;
  for (size_t i = 0; i < total; ++i) {
    m->generic_tensor_dims[i] = m->generic_dims + pos;
    pos += (size_t)m->infos[i].rank;
  }
  return GCOMP_OK;
}

/* Reads the optional __gcomp_dim_names table. */
static gcomp_status parse_dim_names(gcomp_model *m) {
  if (!__gcomp_dim_names)
    return GCOMP_OK;
  size_t total = m->num_inputs + m->num_outputs, dims = 0;
  for (size_t i = 0; i < total; ++i)
    dims += (size_t)m->infos[i].rank;
  m->dim_names = calloc(dims + 1, sizeof *m->dim_names);
  m->dim_name_first = calloc(total + 1, sizeof *m->dim_name_first);
  if (!m->dim_names || !m->dim_name_first)
    return fail(NULL, GCOMP_ERR_OUT_OF_MEMORY, "out of memory");
  const char *name = __gcomp_dim_names;
  for (size_t i = 0, k = 0; i < total; ++i) {
    m->dim_name_first[i] = k;
    for (int32_t d = 0; d < m->infos[i].rank; ++d, ++k) {
      m->dim_names[k] = name;
      name += strlen(name) + 1;
    }
  }
  return GCOMP_OK;
}

/* The model's name of a dim, or "" if it has none. */
static const char *dim_name(const gcomp_model *m, size_t tensor, int32_t d) {
  return m->dim_names ? m->dim_names[m->dim_name_first[tensor] + (size_t)d]
                      : "";
}

/* Reads the optional __gcomp_variants table (gcomp --specialize). */
static gcomp_status parse_variants(gcomp_model *m) {
  if (!__gcomp_variants)
    return GCOMP_OK;
  const int64_t *table = __gcomp_variants;
  if (!__gcomp_variant_entries)
    return fail(NULL, GCOMP_ERR_INTERNAL,
                "corrupt model: variant shapes without variant entries");
  if (table[0] < 1 || table[0] > GCOMP_MAX_VARIANTS)
    return fail(NULL, GCOMP_ERR_INTERNAL, "corrupt model: %lld variants",
                (long long)table[0]);
  size_t count = (size_t)table[0];
  size_t total = m->num_inputs + m->num_outputs;
  m->variant_dims = calloc(count * total + 1, sizeof *m->variant_dims);
  if (!m->variant_dims)
    return fail(NULL, GCOMP_ERR_OUT_OF_MEMORY, "out of memory");
  size_t pos = 1;
  for (size_t v = 0; v < count; ++v) {
    if (!__gcomp_variant_entries[v])
      return fail(NULL, GCOMP_ERR_INTERNAL,
                  "corrupt model: variant %zu has no entry", v);
    for (size_t i = 0; i < total; ++i) {
      const gcomp_tensor_info *info = &m->infos[i];
      m->variant_dims[v * total + i] = &table[pos];
      for (int32_t d = 0; d < info->rank; ++d) {
        int64_t dim = table[pos + (size_t)d];
        if (dim < 0 || (info->dims[d] != -1 && info->dims[d] != dim))
          return fail(NULL, GCOMP_ERR_INTERNAL,
                      "corrupt model: variant %zu gives %s '%s' dim %d = "
                      "%lld",
                      v, i < m->num_inputs ? "input" : "output", info->name,
                      (int)d, (long long)dim);
      }
      pos += (size_t)info->rank;
    }
  }
  m->num_variants = count;
  return GCOMP_OK;
}

/* Reads the optional __gcomp_output_bounds table and allocates each such
 * output's scratch buffer. */
static gcomp_status parse_output_bounds(gcomp_model *m) {
  if (!__gcomp_output_bounds)
    return GCOMP_OK;
  const int64_t *table = __gcomp_output_bounds;
  if (table[0] < 1 || (uint64_t)table[0] > m->num_outputs)
    return fail(NULL, GCOMP_ERR_INTERNAL,
                "corrupt model: %lld outputs with data-dependent sizes",
                (long long)table[0]);
  size_t count = (size_t)table[0];
  m->bounded = calloc(count, sizeof *m->bounded);
  if (!m->bounded)
    return fail(NULL, GCOMP_ERR_OUT_OF_MEMORY, "out of memory");
  m->num_bounded = count;
  size_t pos = 1;
  for (size_t k = 0; k < count; ++k) {
    gcomp_rt_bounded *b = &m->bounded[k];
    int64_t index = table[pos++];
    if (index < 0 || (uint64_t)index >= m->num_outputs ||
        (k > 0 && (size_t)index <= m->bounded[k - 1].output))
      return fail(NULL, GCOMP_ERR_INTERNAL,
                  "corrupt model: output bound %zu names output %lld", k,
                  (long long)index);
    b->output = (size_t)index;
    const gcomp_tensor_info *info = &m->infos[m->num_inputs + b->output];
    b->bound = &table[pos];
    pos += (size_t)info->rank;
    for (int32_t d = 0; d < info->rank; ++d)
      if (b->bound[d] < 0 || (info->dims[d] != -1 && info->dims[d] != b->bound[d]))
        return fail(NULL, GCOMP_ERR_INTERNAL,
                    "corrupt model: output '%s' has bound %lld in dim %d",
                    info->name, (long long)b->bound[d], (int)d);
    int overflow;
    size_t bytes = tensor_bytes(info->dtype, b->bound, info->rank, &overflow);
    if (overflow || bytes > SIZE_MAX - GCOMP_RT_ALIGNMENT)
      return fail(NULL, GCOMP_ERR_OUT_OF_MEMORY, "output '%s' is too large",
                  info->name);
    size_t cap = (bytes + GCOMP_RT_ALIGNMENT - 1) / GCOMP_RT_ALIGNMENT *
                 GCOMP_RT_ALIGNMENT;
    b->scratch = aligned_alloc(GCOMP_RT_ALIGNMENT, cap ? cap : GCOMP_RT_ALIGNMENT);
    b->scratch_bytes = bytes;
    b->dims = calloc((size_t)info->rank + 1, sizeof *b->dims);
    if (!b->scratch || !b->dims)
      return fail(NULL, GCOMP_ERR_OUT_OF_MEMORY,
                  "out of memory allocating %zu bytes for output '%s'", bytes,
                  info->name);
  }
  return GCOMP_OK;
}

static gcomp_status check_cpu(void) {
  char missing[256];
  size_t n = gcomp_rt_missing_cpu_features(__gcomp_cpu_features, missing,
                                           sizeof missing);
  if (n == 0)
    return GCOMP_OK;
  return fail(NULL, GCOMP_ERR_UNSUPPORTED_CPU,
              "model was compiled for a CPU with %s; this CPU lacks %s "
              "(recompile with --mcpu=native, or for a CPU this machine "
              "supports)",
              missing, n == 1 ? "it" : "them");
}

/* Reads the optional profile tables into m->profile. */
static gcomp_status parse_profile(gcomp_model *m) {
  char err[GCOMP_RT_ERROR_CAPACITY];
  gcomp_status st =
      gcomp_rt_profile_create(__gcomp_profile_kernels, __gcomp_profile_names,
                              &m->profile, err, sizeof err);
  return st == GCOMP_OK ? GCOMP_OK : fail(NULL, st, "%s", err);
}

static gcomp_status allocate_workspace(gcomp_model *m) {
  if (!__gcomp_workspace_bytes || __gcomp_workspace_bytes[0] == 0)
    return GCOMP_OK;
  int64_t bytes = __gcomp_workspace_bytes[0];
  /* aligned_alloc wants a multiple of the alignment. */
  if (bytes < 0 || (uint64_t)bytes > SIZE_MAX - GCOMP_RT_ALIGNMENT)
    return fail(NULL, GCOMP_ERR_INTERNAL,
                "the model's workspace size (%lld bytes) is invalid",
                (long long)bytes);
  size_t size = ((size_t)bytes + GCOMP_RT_ALIGNMENT - 1) /
                GCOMP_RT_ALIGNMENT * GCOMP_RT_ALIGNMENT;
  m->workspace = aligned_alloc(GCOMP_RT_ALIGNMENT, size);
  if (!m->workspace)
    return fail(NULL, GCOMP_ERR_OUT_OF_MEMORY,
                "out of memory allocating the model's %zu-byte workspace",
                size);
  m->workspace_size = size;
  return GCOMP_OK;
}

/* A CUDA model's device state, in place of the host workspace. */
static gcomp_status create_cuda(gcomp_model *m) {
  size_t total = m->num_inputs + m->num_outputs;
  size_t *bytes = calloc(total + 1, sizeof *bytes);
  if (!bytes)
    return fail(NULL, GCOMP_ERR_OUT_OF_MEMORY, "out of memory");
  for (size_t i = 0; i < total; ++i) {
    int overflow = 0;
    bytes[i] = tensor_bytes(m->infos[i].dtype, m->infos[i].dims,
                            m->infos[i].rank, &overflow);
    if (overflow) {
      free(bytes);
      return fail(NULL, GCOMP_ERR_INTERNAL,
                  "a CUDA model needs static shapes ('%s' has none)",
                  m->infos[i].name);
    }
  }
  char err[GCOMP_RT_ERROR_CAPACITY];
  int ok = gcomp_rt_cuda_create(
      __gcomp_cuda, __gcomp_cuda_constants,
      __gcomp_workspace_bytes ? __gcomp_workspace_bytes[0] : 0, bytes, total,
      &m->cuda, err, sizeof err);
  free(bytes);
  return ok ? GCOMP_OK : fail(NULL, GCOMP_ERR_DEVICE, "%s", err);
}

static void destroy_model(gcomp_model *model) {
  if (!model)
    return;
  gcomp_rt_cuda_destroy(model->cuda);
  gcomp_rt_profile_destroy(model->profile);
  if (model->owned_outputs)
    for (size_t i = 0; i < model->num_outputs; ++i)
      free(model->owned_outputs[i].data);
  free(model->owned_outputs);
  free(model->owned_capacity);
  for (size_t k = 0; k < model->num_bounded; ++k) {
    free(model->bounded[k].scratch);
    free(model->bounded[k].dims);
  }
  free(model->bounded);
  free(model->returned);
  free(model->run_dims);
  free(model->entry_args);
  free(model->variant_dims);
  free(model->generic_dims);
  free(model->generic_tensor_dims);
  free(model->dyn_formulas);
  free(model->dim_names);
  free(model->dim_name_first);
  free(model->workspace);
  free(model->signature_json);
  free(model->infos);
  free(model);
}

void gcomp_model_destroy(gcomp_model *model) { destroy_model(model); }

gcomp_status gcomp_model_create(gcomp_model **out_model) {
  if (!out_model)
    return fail(NULL, GCOMP_ERR_INVALID_ARGUMENT,
                "gcomp_model_create: out_model is null");
  *out_model = NULL;

  gcomp_model *m = calloc(1, sizeof *m);
  if (!m)
    return fail(NULL, GCOMP_ERR_OUT_OF_MEMORY, "out of memory");
  atomic_flag_clear(&m->running);
  const char *poison = getenv("GCOMP_POISON_WORKSPACE");
  m->poison = poison && *poison ? (int)(strtol(poison, NULL, 0) & 0xff) : -1;

  gcomp_status st = parse_signature(m);
  if (st == GCOMP_OK)
    st = parse_dim_names(m);
  if (st == GCOMP_OK)
    st = parse_variants(m);
  if (st == GCOMP_OK)
    st = parse_output_bounds(m);
  if (st == GCOMP_OK)
    st = parse_dynamic_dims(m);
  if (st == GCOMP_OK && m->dyn_outputs &&
      (m->num_bounded || __gcomp_cuda || m->num_variants))
    st = fail(NULL, GCOMP_ERR_INTERNAL,
              "corrupt model: a generic model with outputs of data-dependent "
              "size, variants or CUDA code");
  if (st == GCOMP_OK && m->num_bounded && (__gcomp_cuda || m->num_variants))
    st = fail(NULL, GCOMP_ERR_INTERNAL,
              "corrupt model: outputs of data-dependent size in a CUDA "
              "model or a library of variants");
  if (st == GCOMP_OK)
    st = check_cpu();
  if (st == GCOMP_OK && __gcomp_threads && __gcomp_threads[0] > 0)
    gcomp_rt_set_default_threads((int)__gcomp_threads[0]);
  if (st == GCOMP_OK)
    st = parse_profile(m);
  if (st == GCOMP_OK && __gcomp_cuda && m->num_variants)
    st = fail(NULL, GCOMP_ERR_INTERNAL,
              "a CUDA model with variants is not supported");
  if (st == GCOMP_OK)
    st = __gcomp_cuda ? create_cuda(m) : allocate_workspace(m);
  if (st == GCOMP_OK) {
    size_t total = m->num_inputs + m->num_outputs;
    m->signature_json = build_signature_json(m);
    m->entry_args =
        calloc(total + m->num_bounded + 1, sizeof *m->entry_args);
    m->owned_outputs = calloc(m->num_outputs + 1, sizeof *m->owned_outputs);
    m->owned_capacity = calloc(m->num_outputs + 1, sizeof *m->owned_capacity);
    m->returned = calloc(m->num_outputs + 1, sizeof *m->returned);
    m->run_dims = calloc(m->num_outputs + 1, sizeof *m->run_dims);
    if (!m->signature_json || !m->entry_args || !m->owned_outputs ||
        !m->owned_capacity || !m->returned || !m->run_dims)
      st = fail(NULL, GCOMP_ERR_OUT_OF_MEMORY, "out of memory");
  }
  if (st != GCOMP_OK) {
    destroy_model(m);
    return st;
  }
  *out_model = m;
  return GCOMP_OK;
}

/*===----------------------------------------------------------------------===*
 * Queries
 *===----------------------------------------------------------------------===*/

size_t gcomp_model_num_inputs(const gcomp_model *model) {
  return model ? model->num_inputs : 0;
}

size_t gcomp_model_num_outputs(const gcomp_model *model) {
  return model ? model->num_outputs : 0;
}

/* The public queries take a const instance, yet a failure must still be
 * recorded on it: last_error is the one mutable part. */
static gcomp_model *mutable_model(const gcomp_model *model) {
  return (gcomp_model *)model;
}

static gcomp_status get_info(const gcomp_model *model, size_t index,
                             gcomp_tensor_info *out_info, int output) {
  const char *fn =
      output ? "gcomp_model_output_info" : "gcomp_model_input_info";
  if (!model)
    return fail(NULL, GCOMP_ERR_INVALID_ARGUMENT, "%s: model is null", fn);
  if (!out_info)
    return fail(mutable_model(model), GCOMP_ERR_INVALID_ARGUMENT,
                "%s: out_info is null", fn);
  size_t count = output ? model->num_outputs : model->num_inputs;
  if (index >= count)
    return fail(mutable_model(model), GCOMP_ERR_INVALID_ARGUMENT,
                "%s: index %zu is out of range (the model has %zu %s)", fn,
                index, count, output ? "outputs" : "inputs");
  *out_info = model->infos[(output ? model->num_inputs : 0) + index];
  return GCOMP_OK;
}

gcomp_status gcomp_model_input_info(const gcomp_model *model, size_t index,
                                    gcomp_tensor_info *out_info) {
  return get_info(model, index, out_info, 0);
}

gcomp_status gcomp_model_output_info(const gcomp_model *model, size_t index,
                                     gcomp_tensor_info *out_info) {
  return get_info(model, index, out_info, 1);
}

static int64_t find_index(const gcomp_tensor_info *infos, size_t n,
                          const char *name) {
  if (!name)
    return -1;
  for (size_t i = 0; i < n; ++i)
    if (strcmp(infos[i].name, name) == 0)
      return (int64_t)i;
  return -1;
}

int64_t gcomp_model_input_index(const gcomp_model *model, const char *name) {
  return model ? find_index(model->infos, model->num_inputs, name) : -1;
}

int64_t gcomp_model_output_index(const gcomp_model *model, const char *name) {
  return model ? find_index(model->infos + model->num_inputs,
                            model->num_outputs, name)
               : -1;
}

const char *gcomp_model_signature_json(const gcomp_model *model) {
  return model ? model->signature_json : "";
}

/* With no instance, the thread's message: that is where a call given a
 * null instance reported its failure. */
const char *gcomp_model_last_error(const gcomp_model *model) {
  return model ? model->last_error : g_last_error;
}

/*===----------------------------------------------------------------------===*
 * Running
 *===----------------------------------------------------------------------===*/

/* Checks one caller tensor against the model's declaration. */
static gcomp_status check_tensor(gcomp_model *m, const char *kind,
                                 const gcomp_tensor_info *info,
                                 const int64_t *want_dims,
                                 const gcomp_tensor *t) {
  char want[256], got[256];
  if (t->dtype != info->dtype) {
    if (dtype_size(t->dtype) == 0)
      return fail(m, GCOMP_ERR_DTYPE_MISMATCH,
                  "%s '%s': expected dtype %s, got unknown dtype %d", kind,
                  info->name, dtype_name(info->dtype), (int)t->dtype);
    return fail(m, GCOMP_ERR_DTYPE_MISMATCH,
                "%s '%s': expected dtype %s, got %s", kind, info->name,
                dtype_name(info->dtype), dtype_name(t->dtype));
  }
  if (t->rank != info->rank)
    return fail(m, GCOMP_ERR_SHAPE_MISMATCH,
                "%s '%s': expected rank %d (shape %s), got rank %d", kind,
                info->name, (int)info->rank,
                format_shape(want, sizeof want, info->dims, info->rank),
                (int)t->rank);
  if (t->rank > 0 && !t->dims)
    return fail(m, GCOMP_ERR_INVALID_ARGUMENT, "%s '%s': dims is null", kind,
                info->name);
  for (int32_t i = 0; i < t->rank; ++i) {
    if (t->dims[i] < 0)
      return fail(m, GCOMP_ERR_SHAPE_MISMATCH,
                  "%s '%s': dim %d is %lld; dims must be non-negative", kind,
                  info->name, (int)i, (long long)t->dims[i]);
  }
  for (int32_t i = 0; i < t->rank; ++i) {
    if (want_dims[i] != -1 && t->dims[i] != want_dims[i])
      return fail(m, GCOMP_ERR_SHAPE_MISMATCH,
                  "%s '%s': expected shape %s, got %s", kind, info->name,
                  format_shape(want, sizeof want, want_dims, info->rank),
                  format_shape(got, sizeof got, t->dims, t->rank));
  }

  int overflow;
  size_t needed = tensor_bytes(t->dtype, t->dims, t->rank, &overflow);
  if (overflow)
    return fail(m, GCOMP_ERR_SHAPE_MISMATCH,
                "%s '%s': shape %s is too large to address", kind, info->name,
                format_shape(got, sizeof got, t->dims, t->rank));
  if (t->size_bytes < needed)
    return fail(m, GCOMP_ERR_BUFFER_TOO_SMALL,
                "%s '%s': buffer is %zu bytes, needs %zu (%s %s)", kind,
                info->name, t->size_bytes, needed, dtype_name(t->dtype),
                format_shape(got, sizeof got, t->dims, t->rank));
  if (needed > 0 && !t->data)
    return fail(m, GCOMP_ERR_INVALID_ARGUMENT, "%s '%s': data is null", kind,
                info->name);
  return GCOMP_OK;
}

/* The dims tensor `index` (inputs, then outputs) has in a run of
 * `variant`: a variant's, the run's own (GCOMP_RT_GENERIC), or the
 * signature's. */
static const int64_t *run_tensor_dims(const gcomp_model *m, int64_t variant,
                                      size_t index) {
  if (variant == GCOMP_RT_GENERIC)
    return m->generic_tensor_dims[index];
  if (variant >= 0)
    return m->variant_dims[(size_t)variant * (m->num_inputs + m->num_outputs) +
                           index];
  return m->infos[index].dims;
}

/* The bounded-output record of output `output`, or null if its size does
 * not depend on the data. */
static gcomp_rt_bounded *bounded_output(const gcomp_model *m, size_t output) {
  for (size_t k = 0; k < m->num_bounded; ++k)
    if (m->bounded[k].output == output)
      return &m->bounded[k];
  return NULL;
}

/* A caller's buffer for an output whose size depends on the data: its
 * dims are not known before the run (and not read), so only the dtype and
 * rank are checked now and the size after the run. */
static gcomp_status check_bounded_output(gcomp_model *m,
                                         const gcomp_tensor_info *info,
                                         const gcomp_tensor *t) {
  if (t->dtype != info->dtype)
    return fail(m, GCOMP_ERR_DTYPE_MISMATCH,
                "output '%s': expected dtype %s, got %s", info->name,
                dtype_name(info->dtype), dtype_name(t->dtype));
  if (t->rank != info->rank)
    return fail(m, GCOMP_ERR_SHAPE_MISMATCH,
                "output '%s': expected rank %d, got rank %d", info->name,
                (int)info->rank, (int)t->rank);
  if (t->size_bytes > 0 && !t->data)
    return fail(m, GCOMP_ERR_INVALID_ARGUMENT, "output '%s': data is null",
                info->name);
  return GCOMP_OK;
}

/* Checks the caller's tensors against the signature, or with `variant`
 * (an index into the variants, or -1) against that variant's shapes. */
static gcomp_status check_list(gcomp_model *m, const char *kind,
                               const gcomp_tensor_info *infos, size_t expected,
                               const gcomp_tensor *tensors, size_t count,
                               int64_t variant) {
  if (count != expected)
    return fail(m, GCOMP_ERR_INVALID_ARGUMENT, "expected %zu %ss, got %zu",
                expected, kind, count);
  if (count > 0 && !tensors)
    return fail(m, GCOMP_ERR_INVALID_ARGUMENT, "%ss is null", kind);
  for (size_t i = 0; i < count; ++i) {
    size_t index = (size_t)(&infos[i] - m->infos);
    const int64_t *dims = run_tensor_dims(m, variant, index);
    gcomp_status st =
        index >= m->num_inputs && bounded_output(m, index - m->num_inputs)
            ? check_bounded_output(m, &infos[i], &tensors[i])
            : check_tensor(m, kind, &infos[i], dims, &tensors[i]);
    if (st != GCOMP_OK)
      return st;
  }
  return GCOMP_OK;
}

/* The variant whose input shapes are the (checked) inputs', or -1 without
 * variants. Inputs that match none are an error naming the first dim whose
 * value no variant has. */
static gcomp_status select_variant(gcomp_model *m, const gcomp_tensor *inputs,
                                   int64_t *out_variant) {
  *out_variant = -1;
  if (m->dyn_outputs) {
    /* A generic model: the run's dims are the inputs' (checked against the
     * signature's static dims already), the dims the code reads as one
     * must agree, and the outputs' follow from them. */
    for (size_t i = 0; i < m->num_inputs; ++i)
      if (m->infos[i].rank > 0) /* a scalar's dims may be null */
        memcpy((void *)m->generic_tensor_dims[i], inputs[i].dims,
               (size_t)m->infos[i].rank * sizeof(int64_t));
    for (size_t k = 0; k < m->num_dyn_equal; ++k) {
      const int64_t *r = m->dyn_equal + 4 * k;
      int64_t a = inputs[r[0]].dims[r[1]], b = inputs[r[2]].dims[r[3]];
      if (a == b)
        continue;
      const char *na = dim_name(m, (size_t)r[0], (int32_t)r[1]);
      const char *nb = dim_name(m, (size_t)r[2], (int32_t)r[3]);
      return fail(m, GCOMP_ERR_SHAPE_MISMATCH,
                  "input '%s': dim %d%s%s%s is %lld, but dim %d%s%s%s of "
                  "input '%s' is %lld; the model computes them as one size",
                  m->infos[r[0]].name, (int)r[1], na[0] ? " (" : "", na,
                  na[0] ? ")" : "", (long long)a, (int)r[3],
                  nb[0] ? " (" : "", nb, nb[0] ? ")" : "",
                  m->infos[r[2]].name, (long long)b);
    }
    for (size_t o = 0; o < m->num_outputs; ++o)
      if (m->infos[m->num_inputs + o].rank > 0)
        memcpy((void *)m->generic_tensor_dims[m->num_inputs + o],
               m->infos[m->num_inputs + o].dims,
               (size_t)m->infos[m->num_inputs + o].rank * sizeof(int64_t));
    for (size_t k = 0; k < m->num_dyn_outputs; ++k) {
      const int64_t *r = m->dyn_outputs + 4 * k;
      ((int64_t *)m->generic_tensor_dims[m->num_inputs + (size_t)r[0]])[r[1]] =
          inputs[r[2]].dims[r[3]];
    }
    for (size_t k = 0; k < m->num_dyn_formulas; ++k) {
      const int64_t *r = m->dyn_formulas[k];
      int64_t size = 0;
      int overflow = 0;
      const int64_t *term = r + 3;
      for (int64_t t = 0; t < r[2]; ++t) {
        int64_t product = term[0];
        for (int64_t j = 0; j < term[1]; ++j)
          overflow |= __builtin_mul_overflow(
              product, inputs[term[2 + 2 * j]].dims[term[3 + 2 * j]],
              &product);
        overflow |= __builtin_add_overflow(size, product, &size);
        term += 2 + 2 * term[1];
      }
      if (overflow || size < 0)
        return fail(m, GCOMP_ERR_SHAPE_MISMATCH,
                    "output '%s': dim %d, which the model computes from the "
                    "inputs' dims, is %s for these inputs",
                    m->infos[m->num_inputs + (size_t)r[0]].name, (int)r[1],
                    overflow ? "too large" : "negative");
      ((int64_t *)m->generic_tensor_dims[m->num_inputs + (size_t)r[0]])[r[1]] =
          size;
    }
    *out_variant = GCOMP_RT_GENERIC;
    return GCOMP_OK;
  }
  if (m->num_variants == 0)
    return GCOMP_OK;
  size_t total = m->num_inputs + m->num_outputs;
  for (size_t v = 0; v < m->num_variants; ++v) {
    int match = 1;
    for (size_t i = 0; match && i < m->num_inputs; ++i)
      for (int32_t d = 0; match && d < m->infos[i].rank; ++d)
        match = m->variant_dims[v * total + i][d] == inputs[i].dims[d];
    if (match) {
      *out_variant = (int64_t)v;
      return GCOMP_OK;
    }
  }
  char got[256], sizes[512];
  for (size_t i = 0; i < m->num_inputs; ++i)
    for (int32_t d = 0; d < m->infos[i].rank; ++d) {
      int seen = 0;
      size_t used = 0;
      sizes[0] = '\0';
      for (size_t v = 0; v < m->num_variants && !seen; ++v) {
        int64_t dim = m->variant_dims[v * total + i][d];
        seen = dim == inputs[i].dims[d];
        int repeated = 0;
        for (size_t u = 0; u < v && !repeated; ++u)
          repeated = m->variant_dims[u * total + i][d] == dim;
        if (!repeated && used + 32 < sizeof sizes)
          used += (size_t)snprintf(sizes + used, sizeof sizes - used, "%s%lld",
                                   used ? ", " : "", (long long)dim);
      }
      const char *name = dim_name(m, i, d);
      if (!seen)
        return fail(m, GCOMP_ERR_SHAPE_MISMATCH,
                    "input '%s': dim %d%s%s%s is %lld (shape %s), but this "
                    "library was compiled for %s there only (gcomp "
                    "--specialize)",
                    m->infos[i].name, (int)d, name[0] ? " (" : "", name,
                    name[0] ? ")" : "", (long long)inputs[i].dims[d],
                    format_shape(got, sizeof got, inputs[i].dims,
                                 inputs[i].rank),
                    sizes);
    }
  return fail(m, GCOMP_ERR_SHAPE_MISMATCH,
              "the input shapes are a combination of sizes this library was "
              "not compiled for (it has %zu variants; gcomp --specialize "
              "compiles every combination of the sizes it is given)",
              m->num_variants);
}

static size_t span_bytes(const gcomp_tensor *t);

static gcomp_status call_entry(gcomp_model *m, int64_t variant,
                               const gcomp_tensor *inputs,
                               const gcomp_tensor *outputs, int on_device) {
  for (size_t i = 0; i < m->num_inputs; ++i)
    m->entry_args[i] = inputs[i].data;
  for (size_t i = 0; i < m->num_outputs; ++i)
    m->entry_args[m->num_inputs + i] = outputs[i].data;
  for (size_t k = 0; k < m->num_bounded; ++k) {
    m->entry_args[m->num_inputs + m->bounded[k].output] = m->bounded[k].scratch;
    m->entry_args[m->num_inputs + m->num_outputs + k] = m->bounded[k].dims;
  }
  if (m->cuda) {
    char err[GCOMP_RT_ERROR_CAPACITY];
    int32_t rc = 0;
    if (!gcomp_rt_cuda_run(m->cuda, __gcomp_entry, m->entry_args,
                           m->num_inputs, on_device, &rc, err, sizeof err))
      return fail(m, GCOMP_ERR_DEVICE, "%s", err);
    if (rc != 0)
      return fail(m, GCOMP_ERR_INTERNAL, "the model's code failed (code %d)",
                  (int)rc);
    return GCOMP_OK;
  }
  if (m->poison >= 0) {
    if (m->workspace)
      memset(m->workspace, m->poison, m->workspace_size);
    for (size_t i = 0; i < m->num_outputs; ++i)
      if (!bounded_output(m, i))
        memset(outputs[i].data, m->poison, span_bytes(&outputs[i]));
    for (size_t k = 0; k < m->num_bounded; ++k)
      memset(m->bounded[k].scratch, m->poison, m->bounded[k].scratch_bytes);
  }
  /* Without profiling, this is all there is to it. */
  gcomp_rt_profile *previous =
      m->profile ? gcomp_rt_profile_run_begin(m->profile) : NULL;
  gcomp_rt_entry_fn entry =
      variant >= 0 ? __gcomp_variant_entries[variant] : __gcomp_entry;
  /* gcomp --flush-denormals: FTZ and DAZ for this run (the pool's threads
   * take the caller's control word), the caller's own restored after. */
  unsigned fp_control = gcomp_rt_fp_control();
  int flush = __gcomp_fp_flags &&
              (__gcomp_fp_flags[0] & GCOMP_FP_FLUSH_DENORMALS) &&
              GCOMP_RT_X86_FP;
  if (flush)
    gcomp_rt_set_fp_control(fp_control | GCOMP_RT_MXCSR_FTZ_DAZ);
  /* A generic model's entry is defined with the dims parameter
   * (model_abi.h); the declaration above is the static models' one. */
  int32_t rc =
      variant == GCOMP_RT_GENERIC
          ? ((gcomp_rt_generic_entry_fn)(void (*)(void))__gcomp_entry)(
                m->entry_args, m->entry_args + m->num_inputs, m->workspace,
                m->generic_dims)
          : entry(m->entry_args, m->entry_args + m->num_inputs, m->workspace);
  if (flush)
    gcomp_rt_set_fp_control(fp_control);
  if (m->profile)
    gcomp_rt_profile_run_end(m->profile, previous);
  if (rc != 0)
    return fail(m, GCOMP_ERR_INTERNAL, "the model's code failed (code %d)",
                (int)rc);
  return GCOMP_OK;
}

/* Moves the leading box `dims` of a dense tensor laid out as `bound` to
 * the front of `data`, densely: rows of the innermost dims that equal the
 * bound's move as one block, each to an address no later than its own, in
 * order, so nothing is overwritten before it is moved. */
static void pack_leading_box(char *data, const int64_t *bound,
                             const int64_t *dims, int32_t rank, size_t esize) {
  for (int32_t d = 0; d < rank; ++d)
    if (dims[d] == 0)
      return;
  int32_t inner = rank;
  size_t row = esize;
  while (inner > 0 && dims[inner - 1] == bound[inner - 1])
    row *= (size_t)dims[--inner];
  if (inner == 0)
    return;
  /* Blocks of dims[inner - 1] rows of `row` bytes, one per index of the
   * dims before it. */
  size_t block = row * (size_t)dims[inner - 1];
  int64_t index[GCOMP_RT_MAX_RANK] = {0};
  size_t to = 0;
  for (;;) {
    size_t from = 0, stride = row * (size_t)bound[inner - 1];
    for (int32_t d = inner - 2; d >= 0; --d) {
      from += (size_t)index[d] * stride;
      stride *= (size_t)bound[d];
    }
    if (to != from)
      memmove(data + to, data + from, block);
    to += block;
    int32_t d = inner - 2;
    while (d >= 0 && ++index[d] == dims[d])
      index[d--] = 0;
    if (d < 0)
      return;
  }
}

/* After a run: checks each data-dependent output's dims against its bound,
 * packs it, and copies it into the caller's buffer (`outputs`, with
 * `copy`) or hands out its scratch (m->returned). Records every output's
 * dims for gcomp_model_output_dims. */
static gcomp_status finish_outputs(gcomp_model *m, int64_t variant,
                                   const gcomp_tensor *outputs, int copy) {
  for (size_t i = 0; i < m->num_outputs; ++i)
    m->run_dims[i] = run_tensor_dims(m, variant, m->num_inputs + i);
  m->has_run = 1;
  char shape[256], bound[256];
  for (size_t k = 0; k < m->num_bounded; ++k) {
    gcomp_rt_bounded *b = &m->bounded[k];
    const gcomp_tensor_info *info = &m->infos[m->num_inputs + b->output];
    m->run_dims[b->output] = b->dims;
    for (int32_t d = 0; d < info->rank; ++d)
      if (b->dims[d] < 0 || b->dims[d] > b->bound[d] ||
          (info->dims[d] != -1 && b->dims[d] != b->bound[d]))
        return fail(m, GCOMP_ERR_INTERNAL,
                    "the model's code gave output '%s' the shape %s, which "
                    "does not fit its bound %s",
                    info->name,
                    format_shape(shape, sizeof shape, b->dims, info->rank),
                    format_shape(bound, sizeof bound, b->bound, info->rank));
    pack_leading_box(b->scratch, b->bound, b->dims, info->rank,
                     dtype_size(info->dtype));
    int overflow;
    size_t bytes = tensor_bytes(info->dtype, b->dims, info->rank, &overflow);
    if (!copy) {
      m->returned[b->output].data = b->scratch;
      m->returned[b->output].size_bytes = bytes;
      m->returned[b->output].dims = b->dims;
      continue;
    }
    const gcomp_tensor *t = &outputs[b->output];
    if (t->size_bytes < bytes)
      return fail(m, GCOMP_ERR_BUFFER_TOO_SMALL,
                  "output '%s': this run's result is %s %s (its size depends "
                  "on the input values), %zu bytes, but the buffer is %zu "
                  "bytes (gcomp_model_output_dims gives the shape; or use "
                  "gcomp_model_run_alloc)",
                  info->name, dtype_name(info->dtype),
                  format_shape(shape, sizeof shape, b->dims, info->rank),
                  bytes, t->size_bytes);
    if (bytes)
      memcpy(t->data, b->scratch, bytes);
  }
  return GCOMP_OK;
}

/* The bytes a checked tensor's data spans. */
static size_t span_bytes(const gcomp_tensor *t) {
  int overflow;
  size_t bytes = tensor_bytes(t->dtype, t->dims, t->rank, &overflow);
  return overflow ? t->size_bytes : bytes;
}

static int overlaps_spans(const gcomp_tensor *a, size_t an,
                          const gcomp_tensor *b, size_t bn) {
  uintptr_t a0 = (uintptr_t)a->data, b0 = (uintptr_t)b->data;
  return an && bn && a0 < b0 + bn && b0 < a0 + an;
}

/* The bytes the caller's output `i` may be written in: a data-dependent
 * output's whole buffer, since its size is known only after the run. */
static size_t output_span(const gcomp_model *m, size_t i,
                          const gcomp_tensor *t) {
  return bounded_output(m, i) ? t->size_bytes : span_bytes(t);
}

/* The model writes its outputs while it still reads its inputs, and may
 * write one output before it is done with another, so no output may share
 * a byte with an input or another output. */
static gcomp_status check_overlaps(gcomp_model *m, const gcomp_tensor *inputs,
                                   const gcomp_tensor *outputs) {
  const gcomp_tensor_info *out_infos = m->infos + m->num_inputs;
  for (size_t i = 0; i < m->num_outputs; ++i) {
    size_t span = output_span(m, i, &outputs[i]);
    for (size_t j = 0; j < m->num_inputs; ++j)
      if (overlaps_spans(&outputs[i], span, &inputs[j], span_bytes(&inputs[j])))
        return fail(m, GCOMP_ERR_INVALID_ARGUMENT,
                    "output '%s' overlaps input '%s' (outputs need buffers "
                    "of their own)",
                    out_infos[i].name, m->infos[j].name);
    for (size_t j = 0; j < i; ++j)
      if (overlaps_spans(&outputs[i], span, &outputs[j],
                         output_span(m, j, &outputs[j])))
        return fail(m, GCOMP_ERR_INVALID_ARGUMENT,
                    "output '%s' overlaps output '%s'", out_infos[i].name,
                    out_infos[j].name);
  }
  return GCOMP_OK;
}

static gcomp_status run_unlocked(gcomp_model *model, const gcomp_tensor *inputs,
                             size_t num_inputs, gcomp_tensor *outputs,
                             size_t num_outputs) {
  int64_t variant = -1;
  gcomp_status st = check_list(model, "input", model->infos, model->num_inputs,
                               inputs, num_inputs, -1);
  if (st == GCOMP_OK)
    st = select_variant(model, inputs, &variant);
  if (st == GCOMP_OK)
    st = check_list(model, "output", model->infos + model->num_inputs,
                    model->num_outputs, outputs, num_outputs, variant);
  if (st == GCOMP_OK)
    st = check_overlaps(model, inputs, outputs);
  if (st == GCOMP_OK)
    st = call_entry(model, variant, inputs, outputs, 0);
  if (st != GCOMP_OK)
    return st;
  return finish_outputs(model, variant, outputs, 1);
}

static gcomp_status run_device_unlocked(gcomp_model *model,
                                    const gcomp_tensor *inputs,
                                    size_t num_inputs, gcomp_tensor *outputs,
                                    size_t num_outputs) {
  if (!model->cuda)
    return fail(model, GCOMP_ERR_INVALID_ARGUMENT,
                "gcomp_model_run_device: this model runs on the CPU "
                "(compiled without --target=cuda); use gcomp_model_run");
  gcomp_status st = check_list(model, "input", model->infos,
                               model->num_inputs, inputs, num_inputs, -1);
  if (st == GCOMP_OK)
    st = check_list(model, "output", model->infos + model->num_inputs,
                    model->num_outputs, outputs, num_outputs, -1);
  if (st == GCOMP_OK)
    st = check_overlaps(model, inputs, outputs);
  if (st != GCOMP_OK)
    return st;
  return call_entry(model, -1, inputs, outputs, 1);
}

gcomp_status gcomp_model_output_dims(const gcomp_model *model, size_t index,
                                     int32_t *out_rank,
                                     const int64_t **out_dims) {
  if (!model)
    return fail(NULL, GCOMP_ERR_INVALID_ARGUMENT,
                "gcomp_model_output_dims: model is null");
  gcomp_model *m = mutable_model(model);
  if (!out_rank || !out_dims)
    return fail(m, GCOMP_ERR_INVALID_ARGUMENT,
                "gcomp_model_output_dims: %s is null",
                out_rank ? "out_dims" : "out_rank");
  if (index >= m->num_outputs)
    return fail(m, GCOMP_ERR_INVALID_ARGUMENT,
                "gcomp_model_output_dims: output index %zu is out of range "
                "(the model has %zu outputs)",
                index, m->num_outputs);
  if (!m->has_run || !m->run_dims[index])
    return fail(m, GCOMP_ERR_INVALID_ARGUMENT,
                "gcomp_model_output_dims: the instance has not run yet");
  *out_rank = m->infos[m->num_inputs + index].rank;
  *out_dims = m->run_dims[index];
  return GCOMP_OK;
}

const char *gcomp_model_target(const gcomp_model *model) {
  return model && model->cuda ? "cuda" : "cpu";
}

/* Makes owned_outputs[i] a buffer of the output's (static, or the
 * variant's) shape, reusing the previous one when it is large enough. */
static gcomp_status prepare_owned_output(gcomp_model *m, size_t i,
                                         int64_t variant) {
  const gcomp_tensor_info *info = &m->infos[m->num_inputs + i];
  gcomp_tensor *t = &m->owned_outputs[i];
  const int64_t *dims = run_tensor_dims(m, variant, m->num_inputs + i);
  char shape[256];
  /* __gcomp_entry receives no shapes, so the runtime cannot learn a
   * dynamic output's size (a generic model's it knows from the inputs). */
  if (variant == -1 && !is_static(info))
    return fail(m, GCOMP_ERR_INVALID_ARGUMENT,
                "output '%s' has dynamic shape %s; gcomp_model_run_alloc "
                "cannot size it (use gcomp_model_run)",
                info->name,
                format_shape(shape, sizeof shape, info->dims, info->rank));
  int overflow;
  size_t needed = tensor_bytes(info->dtype, dims, info->rank, &overflow);
  if (overflow)
    return fail(m, GCOMP_ERR_OUT_OF_MEMORY, "output '%s' is too large",
                info->name);
  if (!t->data || m->owned_capacity[i] < needed) {
    /* aligned_alloc wants a multiple of the alignment; never ask for 0 so
     * that even an empty output has a valid pointer. */
    size_t cap = needed + (GCOMP_RT_ALIGNMENT - 1);
    if (cap < needed)
      return fail(m, GCOMP_ERR_OUT_OF_MEMORY, "output '%s' is too large",
                  info->name);
    cap = cap / GCOMP_RT_ALIGNMENT * GCOMP_RT_ALIGNMENT;
    if (cap == 0)
      cap = GCOMP_RT_ALIGNMENT;
    void *data = aligned_alloc(GCOMP_RT_ALIGNMENT, cap);
    if (!data)
      return fail(m, GCOMP_ERR_OUT_OF_MEMORY,
                  "out of memory allocating %zu bytes for output '%s'", cap,
                  info->name);
    free(t->data);
    t->data = data;
    m->owned_capacity[i] = cap;
  }
  t->size_bytes = needed;
  t->dtype = info->dtype;
  t->rank = info->rank;
  t->dims = dims;
  return GCOMP_OK;
}

static gcomp_status run_alloc_unlocked(gcomp_model *model,
                                   const gcomp_tensor *inputs,
                                   size_t num_inputs,
                                   const gcomp_tensor **out_outputs,
                                   size_t *out_num_outputs) {
  if (!out_outputs || !out_num_outputs)
    return fail(model, GCOMP_ERR_INVALID_ARGUMENT,
                "gcomp_model_run_alloc: %s is null",
                out_outputs ? "out_num_outputs" : "out_outputs");
  *out_outputs = NULL;
  *out_num_outputs = 0;

  int64_t variant = -1;
  gcomp_status st = check_list(model, "input", model->infos, model->num_inputs,
                               inputs, num_inputs, -1);
  if (st == GCOMP_OK)
    st = select_variant(model, inputs, &variant);
  for (size_t i = 0; st == GCOMP_OK && i < model->num_outputs; ++i) {
    gcomp_rt_bounded *b = bounded_output(model, i);
    if (!b) {
      st = prepare_owned_output(model, i, variant);
      model->returned[i] = model->owned_outputs[i];
      continue;
    }
    /* The scratch the entry writes, at its bound until the run says. */
    const gcomp_tensor_info *info = &model->infos[model->num_inputs + i];
    model->returned[i] = (gcomp_tensor){b->scratch, b->scratch_bytes,
                                        info->dtype, info->rank, b->bound};
  }
  /* An input that is this instance's output from the previous run would be
   * overwritten while it is read. */
  if (st == GCOMP_OK)
    st = check_overlaps(model, inputs, model->returned);
  if (st == GCOMP_OK)
    st = call_entry(model, variant, inputs, model->returned, 0);
  if (st == GCOMP_OK)
    st = finish_outputs(model, variant, model->returned, 0);
  if (st != GCOMP_OK)
    return st;
  *out_outputs = model->returned;
  *out_num_outputs = model->num_outputs;
  return GCOMP_OK;
}

/* One run at a time per instance: a concurrent call is refused rather than
 * left to corrupt the shared workspace. The message goes to the calling
 * thread's gcomp_last_error(), since the instance's own message belongs to
 * the run in progress. GCOMP_OK when the caller now holds `m`; a null `m`
 * is refused here too, so that the runs below may take it as valid. */
static gcomp_status acquire(gcomp_model *m, const char *fn) {
  if (!m)
    return fail(NULL, GCOMP_ERR_INVALID_ARGUMENT, "%s: model is null", fn);
  if (!atomic_flag_test_and_set_explicit(&m->running, memory_order_acquire))
    return GCOMP_OK;
  return fail(NULL, GCOMP_ERR_BUSY,
              "%s: this instance is already running in another thread "
              "(create one instance per thread)",
              fn);
}

static gcomp_status release(gcomp_model *m, gcomp_status st) {
  atomic_flag_clear_explicit(&m->running, memory_order_release);
  return st;
}

gcomp_status gcomp_model_run(gcomp_model *model, const gcomp_tensor *inputs,
                             size_t num_inputs, gcomp_tensor *outputs,
                             size_t num_outputs) {
  gcomp_status st = acquire(model, "gcomp_model_run");
  if (st != GCOMP_OK)
    return st;
  return release(model, run_unlocked(model, inputs, num_inputs, outputs,
                                     num_outputs));
}

gcomp_status gcomp_model_run_device(gcomp_model *model,
                                    const gcomp_tensor *inputs,
                                    size_t num_inputs, gcomp_tensor *outputs,
                                    size_t num_outputs) {
  gcomp_status st = acquire(model, "gcomp_model_run_device");
  if (st != GCOMP_OK)
    return st;
  return release(model, run_device_unlocked(model, inputs, num_inputs,
                                            outputs, num_outputs));
}

gcomp_status gcomp_model_run_alloc(gcomp_model *model,
                                   const gcomp_tensor *inputs,
                                   size_t num_inputs,
                                   const gcomp_tensor **out_outputs,
                                   size_t *out_num_outputs) {
  gcomp_status st = acquire(model, "gcomp_model_run_alloc");
  if (st != GCOMP_OK)
    return st;
  return release(model, run_alloc_unlocked(model, inputs, num_inputs,
                                           out_outputs, out_num_outputs));
}

/*===----------------------------------------------------------------------===*
 * Profiling
 *===----------------------------------------------------------------------===*/

size_t gcomp_model_profile_num_kernels(const gcomp_model *model) {
  return model && model->profile ? gcomp_rt_profile_num_kernels(model->profile)
                                 : 0;
}

gcomp_status gcomp_model_profile_kernel(const gcomp_model *model, size_t index,
                                        gcomp_kernel_profile *out) {
  const char *fn = "gcomp_model_profile_kernel";
  if (!model)
    return fail(NULL, GCOMP_ERR_INVALID_ARGUMENT, "%s: model is null", fn);
  if (!out)
    return fail(mutable_model(model), GCOMP_ERR_INVALID_ARGUMENT,
                "%s: out is null", fn);
  if (!model->profile)
    return fail(mutable_model(model), GCOMP_ERR_INVALID_ARGUMENT,
                "%s: the model was not compiled with gcomp --profile", fn);
  size_t count = gcomp_rt_profile_num_kernels(model->profile);
  if (index >= count)
    return fail(mutable_model(model), GCOMP_ERR_INVALID_ARGUMENT,
                "%s: index %zu is out of range (the model has %zu kernels)", fn,
                index, count);
  gcomp_rt_profile_kernel(model->profile, index, out);
  return GCOMP_OK;
}

void gcomp_model_profile_reset(gcomp_model *model) {
  if (model && model->profile)
    gcomp_rt_profile_reset(model->profile);
}

gcomp_status gcomp_model_profile_write_trace(const gcomp_model *model,
                                             const char *path) {
  const char *fn = "gcomp_model_profile_write_trace";
  if (!model)
    return fail(NULL, GCOMP_ERR_INVALID_ARGUMENT, "%s: model is null", fn);
  if (!path)
    return fail(mutable_model(model), GCOMP_ERR_INVALID_ARGUMENT,
                "%s: path is null", fn);
  if (!model->profile)
    return fail(mutable_model(model), GCOMP_ERR_INVALID_ARGUMENT,
                "%s: the model was not compiled with gcomp --profile, so "
                "there is no trace to write",
                fn);
  char err[GCOMP_RT_ERROR_CAPACITY];
  gcomp_status st = gcomp_rt_profile_write_trace(
      model->profile, path, __gcomp_producer, err, sizeof err);
  return st == GCOMP_OK ? GCOMP_OK
                        : fail(mutable_model(model), st, "%s: %s", fn, err);
}
