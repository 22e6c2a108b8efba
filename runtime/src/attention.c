/*===- attention.c - scaled dot-product attention, one kernel -------------===*
 *
 * __gcomp_attention (model_abi.h). softmax(scale * Q Kt) V for every head,
 * a block of query rows at a time: the block's scores (rows x t floats) are
 * computed with the GEMM's micro-kernel into a per-thread buffer, turned
 * into probabilities in place while they are in cache, and multiplied into
 * the output rows, so the score matrix of a head is never written out. A
 * causal block stops at its last visible key: the masked half of the
 * products is never computed. Heads and query blocks are spread over the
 * thread pool; every output element is computed by one thread in a fixed
 * order, so results do not depend on the number of threads.
 *===----------------------------------------------------------------------===*/

#include "gcomp/model_abi.h"
#include "internal.h"

#include <stdlib.h>
#include <string.h>

/* Query rows per task. Each block packs the head's Kt and V again, so
 * blocks are as tall as the score buffer allows (128 rows) unless causal:
 * then 32-row blocks let each stop at its last visible key, which saves
 * more than the extra packing costs (GPT-2 at 128 tokens, one thread: 20
 * ms of attention per run with 32 rows, 22.6 with 128, 33 as separate
 * GEMMs, softmax and mask; BERT: 32.6 with 128 rows, 34.3 with 32, 31.8
 * separate). */
enum { QB_CAUSAL = 32, QB_FULL = 128 };

typedef struct attention_job {
  int64_t b0, b1, s, t, d, dv;
  const float *q, *kt, *v, *mask;
  float *out;
  int64_t q_st[4], k_st[4], v_st[4], o_st[4], m_st[4];
  float scale;
  int causal;
  int64_t qb;     /* query rows per block */
  int64_t blocks; /* query blocks per head */
} attention_job;

/* The scores of one block, grown when a larger one is needed (the first
 * run at a size; later runs allocate nothing). */
static float *scores_space(size_t floats) {
  return gcomp_rt_thread_scratch(GCOMP_RT_SCRATCH_ATTENTION,
                                 floats * sizeof(float));
}

static void attention_block(const attention_job *j, int64_t task) {
  int64_t head = task / j->blocks, block = task % j->blocks;
  int64_t i0 = head / j->b1, i1 = head % j->b1;
  int64_t r0 = block * j->qb;
  int64_t rows = j->s - r0 < j->qb ? j->s - r0 : j->qb;
  /* Keys the block's last row sees. */
  int64_t shift = j->t - j->s;
  int64_t t_eff = j->t;
  if (j->causal && r0 + rows + shift < t_eff)
    t_eff = r0 + rows + shift;
  const float *q = j->q + i0 * j->q_st[0] + i1 * j->q_st[1] + r0 * j->q_st[2];
  const float *kt = j->kt + i0 * j->k_st[0] + i1 * j->k_st[1];
  const float *v = j->v + i0 * j->v_st[0] + i1 * j->v_st[1];
  float *o = j->out + i0 * j->o_st[0] + i1 * j->o_st[1] + r0 * j->o_st[2];

  /* O rows start at zero: the products accumulate into them. */
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < j->dv; ++c)
      o[r * j->o_st[2] + c * j->o_st[3]] = 0.0f;
  if (t_eff <= 0) /* no visible key: the softmax of nothing, taken as 0 */
    return;
  float *sc = scores_space((size_t)rows * (size_t)t_eff);
  if (!sc) {
    /* No memory for the block's scores: leave NaN, so that the failure
     * shows in the outputs rather than as plausible numbers. */
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < j->dv; ++c)
        o[r * j->o_st[2] + c * j->o_st[3]] = __builtin_nanf("");
    return;
  }
  memset(sc, 0, sizeof(float) * (size_t)rows * (size_t)t_eff);
  gcomp_rt_sgemm_serial(rows, t_eff, j->d, q, j->q_st[2], j->q_st[3], kt,
                        j->k_st[2], j->k_st[3], sc, t_eff, 1);
  for (int64_t r = 0; r < rows; ++r) {
    float *row = sc + r * t_eff;
    int64_t visible = t_eff;
    if (j->causal && r0 + r + shift + 1 < visible)
      visible = r0 + r + shift + 1;
    if (visible <= 0) {
      memset(row, 0, sizeof(float) * (size_t)t_eff);
      continue;
    }
    float scale = j->scale;
    if (j->mask) {
      /* softmax(sc * s + m): the scale goes in first. */
      const float *m = j->mask + i0 * j->m_st[0] + i1 * j->m_st[1] +
                       (r0 + r) * j->m_st[2];
      for (int64_t c = 0; c < visible; ++c)
        row[c] = row[c] * scale + m[c * j->m_st[3]];
      scale = 1.0f;
    }
    gcomp_rt_softmax_row(row, row, visible, scale);
    memset(row + visible, 0, sizeof(float) * (size_t)(t_eff - visible));
  }
  gcomp_rt_sgemm_serial(rows, j->dv, t_eff, sc, t_eff, 1, v, j->v_st[2],
                        j->v_st[3], o, j->o_st[2], j->o_st[3]);
}

static void attention_task(void *ctx, int i, int parts) {
  const attention_job *j = ctx;
  int64_t tasks = j->b0 * j->b1 * j->blocks;
  int64_t lo = tasks * i / parts, hi = tasks * (i + 1) / parts;
  for (int64_t task = lo; task < hi; ++task)
    attention_block(j, task);
}

void __gcomp_attention(
    int64_t b0, int64_t b1, int64_t s, int64_t t, int64_t d, int64_t dv,
    const float *q, int64_t q_s0, int64_t q_s1, int64_t q_rs, int64_t q_cs,
    const float *kt, int64_t k_s0, int64_t k_s1, int64_t k_rs, int64_t k_cs,
    const float *v, int64_t v_s0, int64_t v_s1, int64_t v_rs, int64_t v_cs,
    float *out, int64_t o_s0, int64_t o_s1, int64_t o_rs, int64_t o_cs,
    const float *mask, int64_t m_s0, int64_t m_s1, int64_t m_rs, int64_t m_cs,
    int64_t scale_bits, int64_t flags) {
  if (b0 <= 0 || b1 <= 0 || s <= 0 || dv <= 0)
    return;
  attention_job job = {
      .b0 = b0, .b1 = b1, .s = s, .t = t, .d = d, .dv = dv,
      .q = q, .kt = kt, .v = v, .mask = mask, .out = out,
      .m_st = {m_s0, m_s1, m_rs, m_cs},
      .q_st = {q_s0, q_s1, q_rs, q_cs}, .k_st = {k_s0, k_s1, k_rs, k_cs},
      .v_st = {v_s0, v_s1, v_rs, v_cs}, .o_st = {o_s0, o_s1, o_rs, o_cs},
      .causal = (flags & GCOMP_ATTENTION_CAUSAL) != 0};
  job.qb = job.causal ? QB_CAUSAL : QB_FULL;
  job.blocks = (s + job.qb - 1) / job.qb;
  uint32_t bits = (uint32_t)scale_bits;
  memcpy(&job.scale, &bits, sizeof bits);
  int64_t tasks = b0 * b1 * job.blocks;
  /* A small problem is not worth waking the pool. */
  double flops = 4.0 * (double)(b0 * b1) * (double)s * (double)t *
                 (double)(d > dv ? d : dv);
  int threads = flops < 1e6 ? 1 : gcomp_rt_threads();
  int parts = tasks < (int64_t)threads * 4 ? (int)tasks : threads * 4;
  if (threads <= 1 || parts <= 1) {
    attention_task(&job, 0, 1);
    return;
  }
  gcomp_rt_parallel(attention_task, &job, parts);
}
