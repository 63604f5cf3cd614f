#!/usr/bin/env bash
# Images per second of every attribution method on this machine: each method's step on the eight
# shared photos (SqueezeNet 1.1, CPU, default parameters unless noted), timed by the step itself
# (attribute() only, after the model and its gradient graphs are loaded). A measurement, not a test.
# Usage: bench/attributions.sh [OUT_DIR]
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$HERE"
SHARED="$(cd "$HERE/../shared" && pwd)"
export NETVIS_MODEL_PATH="${NETVIS_MODEL_PATH:-$SHARED/models}"
OUT="${1:-$(mktemp -d)/attribution-speed}"
EXPERIMENT="$(mktemp --suffix=.yaml)"
LAYER="/features/features.12/Concat_output_0"
FIRE7="/features/features.7/Concat_output_0"
FIRE6="/features/features.6/Concat_output_0"
cat > "$EXPERIMENT" <<YAML
name: attribution-speed
model: squeezenet1_1
inputs: [$SHARED/reference/squeezenet1_1/inputs.npy]
labels: [958, 85, 244, 182, 294, 285, 967, 657]
steps:
  - {technique: input-x-gradient}       # warms the gradient graph up
  - {technique: input-x-gradient}
  - {technique: integrated-gradients}
  - {technique: gradient-shap, params: {n_samples: 50}}
  - {technique: deeplift}
  - {technique: deeplift-shap}
  - {technique: lrp}
  - {technique: lrp, params: {rule: epsilon 0.25, layers: {'features\\.0/': zb, 'features\\.[1-4]/': gamma 0.25}, zero_bias: true}}
  - {technique: noise-tunnel}
  - {technique: occlusion}
  - {technique: feature-ablation}
  - {technique: shapley-value-sampling, params: {grid_size: 32}}
  - {technique: kernel-shap}
  - {technique: lime}
  - {technique: grad-cam, params: {layer: $LAYER}}
  - {technique: grad-cam-plus-plus, params: {layer: $LAYER}}
  - {technique: guided-backprop}
  - {technique: deconvnet}
  - {technique: guided-grad-cam, params: {layer: $LAYER}}
  - {technique: layer-gradient-x-activation, params: {layer: $FIRE7}}
  - {technique: layer-conductance, params: {layer: $FIRE7}}
  - {technique: internal-influence, params: {layer: $FIRE7}}
  - {technique: layer-integrated-gradients, params: {layer: $FIRE7}}
  - {technique: layer-deeplift, params: {layer: $FIRE7}}
  - {technique: layer-deeplift-shap, params: {layer: $FIRE7}}
  - {technique: layer-lrp, params: {layer: $FIRE7, rule: epsilon 0.25}}
  - {technique: layer-gradient-shap, params: {layer: $FIRE7, n_samples: 20}}
  - {technique: layer-feature-ablation, params: {layer: $FIRE7}}
  - {technique: layer-feature-ablation, params: {layer: $LAYER, features: positions}}
  - {technique: neuron-integrated-gradients, params: {layer: $FIRE7, neuron: [51, 13, 13]}}
  - {technique: neuron-deeplift, params: {layer: $FIRE7, neuron: [51, 13, 13]}}
  - {technique: neuron-gradient-shap, params: {layer: $FIRE7, neuron: [51, 13, 13], n_samples: 20}}
  - {technique: neuron-feature-ablation, params: {layer: $FIRE7, neuron: [51, 13, 13]}}
  - {technique: neuron-conductance, params: {layer: $FIRE6, neuron: [51, 13, 13]}}
YAML
./netvis run "$EXPERIMENT" --out "$OUT" >&2
/usr/bin/python3 - "$OUT" <<'PY'
import json, pathlib, sys
out = pathlib.Path(sys.argv[1])
print("| method | images/s | s for 8 images | notes |")
print("|---|---:|---:|---|")
notes = {"integrated-gradients": "50 Gauss-Legendre points", "gradient-shap": "50 draws, uniform baselines",
         "deeplift": "zero baseline", "deeplift-shap": "4 baselines",
         "lrp": ["epsilon 1e-9 (Captum's default)", "z^B at features.0, gamma 0.25 (no biases) for features.1-4, epsilon 0.25 above"],
         "noise-tunnel": "50 samples of saliency",
         "occlusion": "window 3x15x15, stride 8: 784 forward passes per image",
         "feature-ablation": "196 cells of 16 px: 197 forward passes per image",
         "shapley-value-sampling": "49 cells of 32 px, 25 orders: 1250 forward passes per image",
         "kernel-shap": "196 cells of 16 px, 25 coalitions", "lime": "196 cells of 16 px, 25 coalitions",
         "layer-gradient-x-activation": "at features.7", "layer-conductance": "features.7, 51 Gauss-Legendre points",
         "internal-influence": "features.7, 50 points",
         "layer-integrated-gradients": "features.7, 50 points, the layer's output set by a shifted graph",
         "layer-deeplift": "features.7, zero baseline", "neuron-conductance": "unit (51, 13, 13) of features.6, 50 points",
         "layer-deeplift-shap": "features.7, 4 baselines", "layer-lrp": "features.7, epsilon 0.25",
         "layer-gradient-shap": "features.7, 20 draws, uniform baselines",
         "layer-feature-ablation": ["features.7, each of 256 channels: 257 passes of the layers above it per image",
                                    "features.12, each of 169 positions: 170 passes of the classifier per image"],
         "neuron-integrated-gradients": "unit (51, 13, 13) of features.7, 50 points",
         "neuron-deeplift": "unit (51, 13, 13) of features.7, zero baseline",
         "neuron-gradient-shap": "unit (51, 13, 13) of features.7, 20 draws",
         "neuron-feature-ablation": "unit (51, 13, 13) of features.7, 196 cells of 16 px: 197 forward passes per image"}
for step in sorted(out.glob("[0-9]*-*"), key=lambda p: int(p.name.split("-")[0]))[1:]:
    r = json.loads((step / "results.json").read_text())
    if "images_per_second" in r:
        name = step.name.split("-", 1)[1]
        note = notes.get(name, "")
        if isinstance(note, list):  # a method run twice, with other parameters: its notes in order
            note = note.pop(0)
        print(f"| `{name}` | {r['images_per_second']:.2f} | {r['seconds']:.2f} | {note} |")
PY
