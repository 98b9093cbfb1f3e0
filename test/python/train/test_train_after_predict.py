"""learn_after_predict(): predict() then the step for its input, equal to torch.optim over 100 steps
(MSE with the first layer's weight learning, so the step reads the kept input copy; cross-entropy
with Adam on the head; plain SGD on the float head of an int8 backbone), on the host under
ASan/UBSan; and refused (NAN, nothing changed, not counted) after every call that clobbers the kept
activations or the weights. learn() right after predict() of the same input (the same int8 codes,
or the same bytes as the kept input copy) reuses that forward pass: bit for bit the learn() that runs
it, also after another input, reset(), load() or learn() in between."""

import copy
import re
import subprocess

import miniml
import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from test_train_export import LR, torch_optimizer
from train_build import HOST_FLAGS, INCLUDE, REPO

STEPS = 100
OUT = REPO / "build" / "pytest" / "train_after_predict"
# case id -> (loss, export options, torch names that train)
CASES = {
    "mse_first_layer": ("mse", dict(trainable=3, momentum=0.9),
                        ["0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"]),
    "ce_head_adam": ("cross_entropy", dict(optimizer="adam", weight_decay=0.01),
                     ["4.weight", "4.bias"]),
    # int8: the first layer's bias learns, the frozen Linear after it stays int8 (an island whose
    # int8 codes the step reads), the head's bias learns; reference: the same mixed model
    "ce_int8_island": ("cross_entropy", dict(trainable="0.bias,4.bias", momentum=0.9,
                                             quantize="int8"), ["0.bias", "4.bias"]),
    # int8 backbone, float head, plain SGD: learn() recognises the last predict()'s input by its codes
    "ce_int8_head": ("cross_entropy", dict(trainable=1, quantize="int8"), ["4.weight", "4.bias"]),
}
REUSE_STEPS = 60


def _model(seed):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(6, 10), nn.ReLU(), nn.Linear(10, 8), nn.ReLU(),
                         nn.Linear(8, 4)).eval()


def _driver(ns, loss):
    arg = "t" if loss == "mse" else "static_cast<uint16_t>(t[0])"
    return f"""
  {{
    static {ns}::Model model;
    static float x[{ns}::kInputSize], t[{ns}::kOutputSize], y[{ns}::kOutputSize];
    static float w[{ns}::kTrainableCount], w2[{ns}::kTrainableCount];
    static uint8_t bytes[{ns}::kStoreBytes];
    for (int s = 0; s < {STEPS}; ++s) {{
      if (fread(x, sizeof(float), {ns}::kInputSize, in) != {ns}::kInputSize) return 4;
      if (fread(t, sizeof(float), {ns}::kOutputSize, in) != {ns}::kOutputSize) return 4;
      model.predict(x, y);
      fwrite(y, sizeof(float), {ns}::kOutputSize, out);
      for (miniml::index_t i = 0; i < {ns}::kInputSize; ++i) x[i] = 1e6f;  // the caller reuses its buffer
      const float l = model.learn_after_predict({arg});
      fwrite(&l, sizeof(float), 1, out);
    }}
    model.get_trainable(w);
    fwrite(w, sizeof(float), {ns}::kTrainableCount, out);
    // Refused after anything that clobbers the activations or the weights: NAN, nothing changed.
    miniml::RamStore store(bytes, sizeof(bytes));
    store.erase();
    model.save(store);
    int refused = 0, kept = 1;
    for (int k = 0; k < 5; ++k) {{
      for (miniml::index_t i = 0; i < {ns}::kInputSize; ++i) x[i] = 0.25f * static_cast<float>(i);
      model.predict(x, y);
      if (k == 0) model.learn(x, {arg});
      if (k == 1 && !miniml::is_finite_f32(model.learn_after_predict({arg}))) kept = 0;
      if (k == 2) model.reset();
      if (k == 3 && model.load(store) != miniml::kStoreOk) kept = 0;
      if (k == 4) {{  // a refused learn() (NaN input) clears it too
        x[0] = miniml::nan_f32();
        model.learn(x, {arg});
      }}
      model.get_trainable(w);
      const uint32_t counted = model.refused_steps();
      if (!miniml::is_finite_f32(model.learn_after_predict({arg}))) ++refused;
      model.get_trainable(w2);
      if (memcmp(w, w2, sizeof(w)) != 0 || model.refused_steps() != counted) kept = 0;
    }}
    // never predicted since construction
    static {ns}::Model fresh;
    const bool fresh_refused = !miniml::is_finite_f32(fresh.learn_after_predict({arg}));
    printf("{ns} refused %d kept %d fresh %d\\n", refused, kept, fresh_refused);
    // learn(): `a` after a predict() (the forward pass reused when the input is the same), `ref` always
    // running it (its flag is clear after its own learn()); losses and weights equal bit for bit.
    static {ns}::Model a, ref;
    static float x2[{ns}::kInputSize], wa[{ns}::kTrainableCount], wr[{ns}::kTrainableCount];
    store.erase();
    a.save(store);  // the exported weights: load() below changes the learned ones
    int same = 1;
    for (int s = 0; s < {REUSE_STEPS}; ++s) {{
      for (miniml::index_t i = 0; i < {ns}::kInputSize; ++i) {{
        x[i] = 0.37f * static_cast<float>((s * 7 + static_cast<int>(i) * 3) % 23) - 4.0f;
      }}
      for (miniml::index_t i = 0; i < {ns}::kOutputSize; ++i) t[i] = static_cast<float>((s + i) % {ns}::kOutputSize);
      memcpy(x2, x, sizeof(x));
      a.predict(x, y);
      switch (s % 6) {{
        case 1:  // a nudged input: other floats (same int8 codes, mostly)
          x2[s % {ns}::kInputSize] = nextafterf(x2[s % {ns}::kInputSize], 100.0f);
          break;
        case 2:  // another input
          x2[0] += 1.5f;
          break;
        case 3:
          a.reset();
          ref.reset();
          break;
        case 4:
          if (a.load(store) != miniml::kStoreOk || ref.load(store) != miniml::kStoreOk) same = 0;
          break;
        case 5:  // another learn() on this input first: the weights changed since the predict()
          if (memcmp_loss(a.learn(x, {arg}), ref.learn(x, {arg}))) same = 0;
          break;
      }}
      if (memcmp_loss(a.learn(x2, {arg}), ref.learn(x2, {arg}))) same = 0;
      a.get_trainable(wa);
      ref.get_trainable(wr);
      if (memcmp(wa, wr, sizeof(wa)) != 0) same = 0;
    }}
    printf("{ns} reuse same %d\\n", same);
  }}"""


@pytest.fixture(scope="module")
def built():
    OUT.mkdir(parents=True, exist_ok=True)
    includes, blocks, data, results = [], [], [], {}
    for i, (case_id, (loss, opts, names)) in enumerate(CASES.items()):
        model = _model(i)
        if opts.get("quantize"):
            opts = dict(opts, calibration=torch.from_numpy(
                np.random.default_rng(9).normal(0, 1, (64, 6)).astype(np.float32)))
        miniml.export(model, torch.zeros(1, 6), case_id, str(OUT), on_device_learning=True,
                      loss=loss, learning_rate=LR, **opts)
        if opts.get("quantize"):
            from miniml.api import int8_graph
            from miniml.train.int8_reference import reference_module

            gq = int8_graph(model, torch.zeros(1, 6), on_device_learning=True, loss=loss, **opts)
            model = reference_module(model, gq, torch.zeros(1, 6))
        rng = np.random.default_rng(i)
        xs = rng.normal(0, 1, (STEPS, 6)).astype(np.float32)
        ts = rng.normal(0, 1, (STEPS, 4)).astype(np.float32)
        labels = rng.integers(0, 4, STEPS)
        if loss != "mse":
            ts = np.repeat(labels[:, None], 4, axis=1).astype(np.float32)
        data += [np.concatenate([x, t]) for x, t in zip(xs, ts)]
        includes.append(f'#include "{case_id}.h"')
        blocks.append(_driver(case_id, loss))
        results[case_id] = _torch_steps(model, names, loss, opts, xs, ts, labels)
    src = "\n".join(["#include <math.h>", "#include <stdio.h>", "#include <string.h>",
                     '#include "miniml/store_ram.h"',
                     "static bool memcmp_loss(float a, float b) { return memcmp(&a, &b, sizeof(a)) != 0; }",
                     *includes, "int main(int argc, char** argv) {", "  if (argc != 3) return 2;",
                     '  FILE* in = fopen(argv[1], "rb");', '  FILE* out = fopen(argv[2], "wb");',
                     "  if (!in || !out) return 3;", *blocks, "  fclose(out);", "  return 0;", "}",
                     ""])
    (OUT / "driver.cpp").write_text(src)
    exe = OUT / "driver"
    cc = subprocess.run(["g++", *HOST_FLAGS, f"-I{INCLUDE}", f"-I{OUT}", str(OUT / "driver.cpp"),
                         "-o", str(exe), "-lm"], capture_output=True, text=True)
    assert cc.returncode == 0, cc.stderr[-4000:]
    np.stack(data).astype(np.float32).tofile(OUT / "in.bin")
    run = subprocess.run([str(exe), str(OUT / "in.bin"), str(OUT / "out.bin")],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr[-4000:]
    raw = np.fromfile(OUT / "out.bin", np.float32)
    pos = 0
    for case_id, r in results.items():
        steps = raw[pos: pos + STEPS * 5].reshape(STEPS, 5)
        pos += STEPS * 5
        r["got_outputs"], r["got_losses"] = steps[:, :4], steps[:, 4]
        r["got"] = raw[pos: pos + r["want"].size]
        pos += r["want"].size
        r["flags"] = dict(re.findall(r"(\w+) (\d+)", re.search(
            rf"^{case_id} refused.*$", run.stdout, re.M).group(0).split(" ", 1)[1]))
        r["reuse"] = re.search(rf"^{case_id} reuse same (\d)$", run.stdout, re.M).group(1)
    assert pos == raw.size
    return results


def _torch_steps(model, names, loss, opts, xs, ts, labels):
    m = copy.deepcopy(model)
    params = dict(m.named_parameters())
    opt = torch_optimizer([params[n] for n in names], opts.get("momentum", 0.0), opts)
    outputs, losses = [], []
    for x, t, label in zip(xs, ts, labels):
        y = m(torch.from_numpy(x)[None])
        outputs.append(y.detach().numpy()[0])
        lv = (F.mse_loss(y, torch.from_numpy(t)[None]) if loss == "mse"
              else F.cross_entropy(y, torch.tensor([int(label)])))
        opt.zero_grad()
        lv.backward()
        opt.step()
        losses.append(lv.item())
    want = np.concatenate([params[n].detach().numpy().ravel() for n in names])
    return dict(want=want, outputs=np.array(outputs, np.float32), losses=np.array(losses, np.float32))


@pytest.mark.parametrize("case_id", CASES)
def test_parity_learn_after_predict(built, case_id):
    r = built[case_id]
    np.testing.assert_allclose(r["got_outputs"], r["outputs"], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(r["got_losses"], r["losses"], rtol=1e-5, atol=2e-5)
    np.testing.assert_allclose(r["got"], r["want"], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("case_id", CASES)
def test_learn_after_predict_refused_after_clobbering(built, case_id):
    """After learn(), a second learn_after_predict(), reset(), load(), a refused learn(), and on a
    fresh Model."""
    assert built[case_id]["flags"] == {"refused": "5", "kept": "1", "fresh": "1"}


def test_int8_island_case_runs_int8(built):
    """The int8 case's frozen Linear really is int8: its step passes through the int8 codes."""
    header = (OUT / "ce_int8_island.h").read_text()
    assert "miniml::linear_s8<" in header and "miniml::int8_output_grad_f32<" in header


@pytest.mark.parametrize("case_id", CASES)
def test_learn_reuses_the_last_predict_exactly(built, case_id):
    """learn() after predict() (same input, nudged, another input, reset(), load(), learn() between)
    equals learn() that runs the forward pass, losses and weights bit for bit."""
    assert built[case_id]["reuse"] == "1"


@pytest.mark.parametrize("case_id, test", [
    ("ce_int8_head", "quantize_s8_matches(input, 6, "),  # by the int8 codes
    ("mse_first_layer", "memcmp(input, train_input_, sizeof(train_input_)) == 0"),  # by the copy
])
def test_learn_recognises_the_last_predict_input(built, case_id, test):
    """learn() skips predict() when its flag is set and the input is the last predict()'s; a float
    first layer without an input copy always runs it."""
    header = (OUT / f"{case_id}.h").read_text()
    learn = header[header.index("  float learn(const float* input"):header.index("  float learn_after")]
    assert f"if (train_ready_[0] == 0 || !miniml::{test}" in learn.replace("!memcmp", "!miniml::memcmp") \
        or f"if (train_ready_[0] == 0 || !{test}" in learn, learn
    assert "quantize_s8_matches" not in (OUT / "ce_head_adam.h").read_text()
