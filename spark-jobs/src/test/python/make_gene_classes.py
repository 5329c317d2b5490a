#!/usr/bin/env python3
"""Gene class files for GeneFinetuneJobTest, written the way upstream's examples ship them:

    /usr/bin/python3 spark-jobs/src/test/python/make_gene_classes.py

-> fixtures/genes/gene_classes.pickle: a pickled dict of class name to a list of genes (upstream's
gene_class_dict, as examples/gene_classification.ipynb loads dosage_sensitivity_TFs.pickle), over
the small V2 test vocabulary (ENSG00000000001..30, symbols SYM01..SYM30): "sensitive" genes 1-9 by
Ensembl ID and gene 10 by symbol, "insensitive" genes 11-20 and one gene no vocabulary has.
-> fixtures/genes/gene_classes.json: the same dict as JSON.
"""
import json
import os
import pickle

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "resources", "fixtures", "genes")

CLASSES = {
    "sensitive": ["ENSG%011d" % g for g in range(1, 10)] + ["SYM10"],
    "insensitive": ["ENSG%011d" % g for g in range(11, 21)] + ["ENSG99999999999"],
}

os.makedirs(OUT, exist_ok=True)
with open(os.path.join(OUT, "gene_classes.pickle"), "wb") as f:
    pickle.dump(CLASSES, f)
with open(os.path.join(OUT, "gene_classes.json"), "w") as f:
    json.dump(CLASSES, f, indent=1)
print("wrote", sorted(os.listdir(OUT)))
