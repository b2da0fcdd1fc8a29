"""A custom trainer in Python: ridge regression with numpy, written as one ONNX graph with onnx.helper.

Flywheel runs it as a command component. It reads the training rows (CSV), the parameters from the
FLYWHEEL_STEP spec, logs to the step's tracked run through FLYWHEEL_TRACKING_FILE, and writes an ONNX model
whose inputs are the raw feature columns (so it is evaluated, registered and served like a built-in model).

Needs numpy and onnx (Debian: apt-get install python3-numpy python3-onnx).
"""
import csv
import json
import math
import os
import sys

import numpy as np
from onnx import TensorProto, helper, save_model

train_path, model_path = sys.argv[1], sys.argv[2]
with open(os.environ["FLYWHEEL_STEP"], encoding="utf-8") as f:
    spec = json.load(f)
params = spec["params"]
label, numeric, categorical, l2 = params["label"], params["numeric"], params["categorical"], float(params["l2"])


def log(**entry):
    """Appends one line to the step's tracking file: a metric, a param or a tag."""
    with open(os.environ["FLYWHEEL_TRACKING_FILE"], "a", encoding="utf-8") as f:
        f.write(json.dumps(entry) + "\n")


with open(train_path, newline="", encoding="utf-8") as f:
    rows = list(csv.DictReader(f))
if not rows:
    sys.exit(f"{train_path} has no rows")
y = np.array([float(r[label]) for r in rows])

# Preprocessing learned from the training rows: standardised numbers, one-hot categories.
x_numeric = np.array([[float(r[c]) for c in numeric] for r in rows])
mean, std = x_numeric.mean(axis=0), x_numeric.std(axis=0)
std[std == 0] = 1.0
categories = {c: sorted({r[c] for r in rows}) for c in categorical}
blocks = [(x_numeric - mean) / std]
for c in categorical:
    blocks.append(np.array([[1.0 if r[c] == v else 0.0 for v in categories[c]] for r in rows]))
x = np.hstack(blocks)

# Ridge with an unpenalised intercept: centre, solve (XᵀX + λI) w = Xᵀy.
x_mean, y_mean = x.mean(axis=0), y.mean()
xc = x - x_mean
weights = np.linalg.solve(xc.T @ xc + l2 * np.eye(x.shape[1]), xc.T @ (y - y_mean))
intercept = y_mean - x_mean @ weights
rmse = math.sqrt(float(np.mean((x @ weights + intercept - y) ** 2)))

log(param="solver", value="numpy.linalg.solve")
log(metric="train_rmse", value=rmse)
print(f"ridge on {len(rows)} rows, {x.shape[1]} columns: train RMSE {rmse:.4f}")

# The graph: numeric inputs → Concat → Scaler; each categorical input → OneHotEncoder → Flatten;
# all → Concat → LinearRegressor → variable [N,1], the output name Flywheel's regressors use.
nodes, inputs, blocks = [], [], []
for c in numeric:
    inputs.append(helper.make_tensor_value_info(c, TensorProto.FLOAT, ["N", 1]))
nodes.append(helper.make_node("Concat", numeric, ["numeric"], axis=1))
nodes.append(helper.make_node("Scaler", ["numeric"], ["scaled"], domain="ai.onnx.ml", offset=mean.tolist(), scale=(1 / std).tolist()))
blocks.append("scaled")
for c in categorical:
    inputs.append(helper.make_tensor_value_info(c, TensorProto.STRING, ["N", 1]))
    nodes.append(helper.make_node("OneHotEncoder", [c], [f"{c}:onehot3d"], domain="ai.onnx.ml", cats_strings=categories[c], zeros=1))
    nodes.append(helper.make_node("Flatten", [f"{c}:onehot3d"], [f"{c}:onehot"], axis=1))
    blocks.append(f"{c}:onehot")
nodes.append(helper.make_node("Concat", blocks, ["features"], axis=1))
nodes.append(helper.make_node("LinearRegressor", ["features"], ["variable"], domain="ai.onnx.ml",
                              coefficients=weights.tolist(), intercepts=[float(intercept)]))
graph = helper.make_graph(nodes, "ridge_numpy", inputs, [helper.make_tensor_value_info("variable", TensorProto.FLOAT, ["N", 1])])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("ai.onnx.ml", 3)],
                          producer_name="train_ridge.py", doc_string=f"Ridge regression of {label} (numpy)")
feature_spec = {
    "version": 1, "trainer": "custom:ridge-numpy", "label": label, "trainingRows": len(rows),
    "features": [{"name": c, "kind": "numeric"} for c in numeric] + [{"name": c, "kind": "categorical"} for c in categorical],
}
helper.set_model_props(model, {"flywheel.feature_spec": json.dumps(feature_spec)})
save_model(model, model_path)

with open(spec["outputs"]["model"]["propertiesPath"], "w", encoding="utf-8") as f:
    json.dump({"featureSpec": feature_spec, "trainingRows": len(rows), "trainRmse": rmse}, f)
