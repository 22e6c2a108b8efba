/*===- RuntimeFuzzer.c - libFuzzer target for the runtime's input checks ---===*
 *
 * Calls the public API of runtime.h with tensors decoded from the fuzzer's
 * bytes (any count, dtype, rank, dims, capacity, null pointers) against the
 * fake a + b model of the runtime's unit tests. The runtime must refuse
 * every call that does not match the model and run the rest within the
 * buffers it was given: AddressSanitizer reports any read or write past a
 * caller's buffer, UBSan any overflow in the size arithmetic.
 *===----------------------------------------------------------------------===*/

#include "gcomp/runtime.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  const uint8_t *data;
  size_t size, pos;
} reader;

static uint8_t byte(reader *r) { return r->pos < r->size ? r->data[r->pos++] : 0; }

static int64_t dim(reader *r) {
  static const int64_t interesting[] = {-1, 0, 1, 2, 3, 6, INT64_MAX,
                                        INT64_MIN, (int64_t)1 << 62,
                                        (int64_t)1 << 32};
  uint8_t b = byte(r);
  if (b < 200)
    return b % 8;
  return interesting[b % (sizeof interesting / sizeof interesting[0])];
}

/* Everything one decoded tensor owns. */
typedef struct {
  gcomp_tensor t;
  int64_t dims[8];
} owned_tensor;

static void decode(reader *r, owned_tensor *o) {
  memset(o, 0, sizeof *o);
  uint8_t b = byte(r);
  o->t.dtype = b < 128 ? 1 /* float32 */ : (int32_t)(b % 20) - 1;
  uint8_t rank = byte(r);
  o->t.rank = rank < 240 ? rank % 4 : (int32_t)(rank - 250); /* -6..5 */
  for (int i = 0; i < 8; ++i)
    o->dims[i] = dim(r);
  if (byte(r) % 8 == 0)
    o->t.dims = NULL;
  else
    o->t.dims = o->dims;
  if (o->t.rank > 8)
    o->t.rank = 8;
  size_t cap = (size_t)byte(r) | (size_t)(byte(r) & 1) << 8; /* 0..511 */
  o->t.size_bytes = cap;
  /* Exactly `cap` bytes: a read past it is the runtime's fault. */
  o->t.data = byte(r) % 16 == 0 ? NULL : malloc(cap ? cap : 1);
  if (o->t.data)
    memset(o->t.data, byte(r), cap);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static gcomp_model *model;
  if (!model && gcomp_model_create(&model) != GCOMP_OK)
    abort();
  reader r = {data, size, 0};
  owned_tensor ins[4], outs[4];
  size_t nin = byte(&r) % 4, nout = byte(&r) % 4;
  for (size_t i = 0; i < nin; ++i)
    decode(&r, &ins[i]);
  for (size_t i = 0; i < nout; ++i)
    decode(&r, &outs[i]);
  gcomp_tensor in[4], out[4];
  for (size_t i = 0; i < 4; ++i) {
    in[i] = i < nin ? ins[i].t : (gcomp_tensor){0};
    out[i] = i < nout ? outs[i].t : (gcomp_tensor){0};
  }
  switch (byte(&r) % 4) {
  case 0:
    gcomp_model_run(model, byte(&r) % 8 ? in : NULL, nin,
                    byte(&r) % 8 ? out : NULL, nout);
    break;
  case 1: {
    const gcomp_tensor *results = NULL;
    size_t count = 0;
    if (gcomp_model_run_alloc(model, in, nin, &results, &count) == GCOMP_OK)
      for (size_t i = 0; i < count; ++i) /* the outputs must be readable */
        if (results[i].size_bytes && ((volatile const uint8_t *)
                                          results[i].data)[results[i].size_bytes - 1] == 0x5a)
          break;
    break;
  }
  case 2: {
    char name[8] = {0};
    for (int i = 0; i < 7; ++i)
      name[i] = (char)byte(&r);
    gcomp_model_input_index(model, name);
    gcomp_model_output_index(model, name);
    gcomp_tensor_info info;
    gcomp_model_input_info(model, byte(&r), &info);
    gcomp_model_output_info(model, byte(&r), byte(&r) % 2 ? &info : NULL);
    break;
  }
  default:
    gcomp_model_run_device(model, in, nin, out, nout);
    break;
  }
  (void)gcomp_model_last_error(model);
  for (size_t i = 0; i < nin; ++i)
    free(ins[i].t.data);
  for (size_t i = 0; i < nout; ++i)
    free(outs[i].t.data);
  return 0;
}
