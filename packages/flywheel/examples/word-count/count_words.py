"""Counts words: reads the input path, writes JSON counts, and records a property via FLYWHEEL_STEP."""
import collections
import json
import os
import sys

text_path, counts_path = sys.argv[1], sys.argv[2]
with open(text_path, encoding="utf-8") as f:
    words = f.read().split()
counts = collections.Counter(words)
with open(counts_path, "w", encoding="utf-8") as f:
    json.dump(dict(counts.most_common()), f)

# The spec file lists every input, output and parameter; a JSON object written to an output's
# propertiesPath is recorded on that artifact in the metadata store.
with open(os.environ["FLYWHEEL_STEP"], encoding="utf-8") as f:
    spec = json.load(f)
with open(spec["outputs"]["counts"]["propertiesPath"], "w", encoding="utf-8") as f:
    json.dump({"words": len(words), "distinct": len(counts)}, f)
print(f"{len(words)} words, {len(counts)} distinct")
