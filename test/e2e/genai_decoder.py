# RUN: %python %s | FileCheck %s
# A small decoder written as onnxruntime-genai's model builder writes one
# (test/zoo/genai_decoder_model.py: MatMulNBits of 4 and 8 bits, GroupQueryAttention
# with rotary embeddings over a shared cache buffer, the simplified layer
# norms, a SiLU-gated MLP), compiled twice, for the prompt (8 tokens) and for
# one token. A greedy loop of 32 steps feeds each step's presents back as the
# next past, in gcomp and in onnxruntime alike: every step must choose the
# same token, with the logits within the fp32 tolerances.
# CHECK: PASS prompt logits
# CHECK: PASS 32 greedy steps: same tokens as onnxruntime
# CHECK-NOT: FAIL
# CHECK: [[N:[0-9]+]] of [[N]] checks passed
import numpy as np
from gcomp_testing import *

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "python"))
sys.path.insert(0, os.path.join(HERE, "..", "zoo"))
import gcomp  # noqa: E402
import genai_decoder_model as genai_decoder  # noqa: E402

PROMPT, STEPS = 8, 32
models = {"prompt": genai_decoder.build(PROMPT), "step": genai_decoder.build(1)}
work = tempfile.mkdtemp()
gcomp_models, ort_sessions = {}, {}
for name, model in models.items():
    _, path = compile_model(model, work, name=name)
    gcomp_models[name] = gcomp.load(path)
    ort_sessions[name] = ort.InferenceSession(
        model.SerializeToString(), providers=["CPUExecutionProvider"])


def run_ort(which, feeds):
    sess = ort_sessions[which]
    return dict(zip([o.name for o in sess.get_outputs()], sess.run(None, feeds)))


def run_gcomp(which, feeds):
    return gcomp_models[which].run(feeds)


prompt_ids = np.random.default_rng(9).integers(
    0, genai_decoder.Config().vocab, (1, PROMPT)).astype(np.int64)
expected_tokens, expected_logits = genai_decoder.greedy(run_ort, prompt_ids, STEPS)
tokens, logits = genai_decoder.greedy(run_gcomp, prompt_ids, STEPS)


def check_prompt():
    np.testing.assert_allclose(logits[0], expected_logits[0], rtol=RTOL,
                               atol=ATOL)
    print("PASS prompt logits")


def check_steps():
    for step, (got, want) in enumerate(zip(logits, expected_logits)):
        np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL,
                                   err_msg=f"step {step}")
    assert tokens == expected_tokens, (tokens, expected_tokens)
    # Random weights can make a model that says one token forever, which
    # would not show that the caches carry the context.
    assert len(set(tokens)) > 4, f"a degenerate loop: {tokens}"
    print(f"PASS {STEPS} greedy steps: same tokens as onnxruntime "
          f"({tokens[:8]}...)")


res = Results()
res.check("prompt logits", check_prompt)
res.check("greedy steps", check_steps)
res.finish()
