"""The scikit-learn side of `npm run bench -- train`.

Reads a JSON list of tasks (argv[1]), fits each on its training CSV (`repeat` times), writes the
predictions for its test CSV as raw float64 (`out`) and prints one JSON line per task with the
best fit time in seconds. Only `fit` is timed; reading and encoding the data are not. Run with Debian's
python3-sklearn and python3-pandas (the benchmark starts it that way).

Encodings mirror Flywheel's trainers:
- hgb: categories ranked by training frequency (ties by value) become codes 0..max_bins-2;
  rarer and unseen values, like missing ones, are NaN (scikit-learn sends unknown categories the
  way of missing values).
- logistic: numeric columns standardised (population std), missing -> 0 (the mean); the top_k
  most frequent categories one-hot, others and missing all zeros; C = 1 / (l2 * n).
- ridge: the same encoding as logistic; Ridge(alpha = l2 * n), the intercept unpenalised.
"""
import json
import sys
import time

import numpy as np
import pandas as pd
import scipy.sparse as sparse
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.linear_model import LogisticRegression, Ridge


def ranked_categories(column, keep):
    values = column.dropna().astype(str)
    counts = values[values != ''].value_counts()
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return [value for value, _ in ordered[:keep]]


def codes(column, categories):
    lookup = {value: float(i) for i, value in enumerate(categories)}
    return np.array([np.nan if pd.isna(v) else lookup.get(str(v), np.nan) for v in column], dtype=float)


def hgb_matrices(task, train, test):
    params = task['params']
    max_bins = params.get('max_bins', 255)
    columns_train, columns_test = [], []
    for name in task['numeric']:
        columns_train.append(train[name].astype(float).to_numpy())
        columns_test.append(test[name].astype(float).to_numpy())
    for name in task['categorical']:
        categories = ranked_categories(train[name], max_bins - 1)
        columns_train.append(codes(train[name], categories))
        columns_test.append(codes(test[name], categories))
    categorical = [len(task['numeric']) + i for i in range(len(task['categorical']))]
    return np.column_stack(columns_train), np.column_stack(columns_test), categorical


def logistic_matrices(task, train, test):
    blocks_train, blocks_test = [], []
    for name in task['numeric']:
        values = train[name].astype(float).to_numpy()
        present = values[~np.isnan(values)]
        mean, std = present.mean(), present.std()
        std = std if std > 0 else 1.0
        for frame, blocks in ((train, blocks_train), (test, blocks_test)):
            z = (frame[name].astype(float).to_numpy() - mean) / std
            blocks.append(sparse.csr_matrix(np.nan_to_num(z, nan=0.0).reshape(-1, 1)))
    for name in task['categorical']:
        categories = ranked_categories(train[name], task['params']['top_k'])
        for frame, blocks in ((train, blocks_train), (test, blocks_test)):
            code = codes(frame[name], categories)
            rows = np.nonzero(~np.isnan(code))[0]
            blocks.append(sparse.csr_matrix((np.ones(len(rows)), (rows, code[rows].astype(int))), shape=(len(frame), len(categories))))
    return sparse.hstack(blocks_train).tocsr(), sparse.hstack(blocks_test).tocsr()


def run(task):
    # Only empty fields are missing: an airport or island called "NA" stays a category.
    train = pd.read_csv(task['train'], keep_default_na=False, na_values=[''])
    test = pd.read_csv(task['test'], keep_default_na=False, na_values=[''])
    y = train[task['label']].to_numpy()
    params = task['params']
    if task['kind'] == 'logistic':
        x_train, x_test = logistic_matrices(task, train, test)
        model = LogisticRegression(C=1 / (params['l2'] * len(train)), solver='lbfgs', max_iter=params['max_iter'])
    elif task['kind'] == 'ridge':
        x_train, x_test = logistic_matrices(task, train, test)
        model = Ridge(alpha=params['l2'] * len(train))
    else:
        x_train, x_test, categorical = hgb_matrices(task, train, test)
        common = dict(
            max_iter=params['max_iter'], learning_rate=params['learning_rate'], max_leaf_nodes=params['max_leaf_nodes'],
            min_samples_leaf=params['min_samples_leaf'], l2_regularization=params['l2'], max_bins=params['max_bins'],
            categorical_features=categorical or None, early_stopping=False, random_state=0,
        )
        model = (HistGradientBoostingClassifier if task['kind'] == 'hgb-classifier' else HistGradientBoostingRegressor)(**common)
    seconds = float('inf')
    for _ in range(task.get('repeat', 1)):
        started = time.perf_counter()
        model.fit(x_train, y)
        seconds = min(seconds, time.perf_counter() - started)
    predictions = model.predict(x_test) if task['kind'] in ('hgb-regressor', 'ridge') else model.predict_proba(x_test)[:, 1]
    np.asarray(predictions, dtype=np.float64).tofile(task['out'])
    iterations = int(np.max(model.n_iter_)) if getattr(model, 'n_iter_', None) is not None else 0
    print(json.dumps({'name': task['name'], 'fitSeconds': seconds, 'iterations': iterations}), flush=True)


if __name__ == '__main__':
    with open(sys.argv[1]) as spec:
        for task in json.load(spec):
            run(task)
