#!/usr/bin/env python3
"""Reads patchscan's fleet Parquet tables back with pyarrow and DuckDB (both from PyPI).

    parquet_check.py OUT_DIR

OUT_DIR holds summaries.parquet/patches.parquet, or hive-partitioned summaries/ and
patches/ directories. Prints one JSON object: each reader's view of the schema, and counts
computed by each reader independently, for tests/report.rs to compare with the JSON Lines
twin of the same run.
"""
import json
import os
import sys

import duckdb
import pyarrow.dataset as ds

out = sys.argv[1]
con = duckdb.connect()


def one(sql):
    return con.execute(sql).fetchone()[0]


result = {"pyarrow": {}, "duckdb": {}, "counts": {}}
for table in ("summaries", "patches"):
    single = os.path.join(out, f"{table}.parquet")
    if os.path.exists(single):
        dataset = ds.dataset(single, format="parquet")
        source = f"read_parquet('{single}')"
    else:
        directory = os.path.join(out, table)
        dataset = ds.dataset(directory, format="parquet", partitioning="hive")
        source = f"read_parquet('{directory}/**/*.parquet', hive_partitioning = true)"
    arrow = dataset.to_table()
    result["pyarrow"][table] = [[f.name, str(f.type)] for f in arrow.schema]
    described = con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()
    result["duckdb"][table] = [[row[0], row[1]] for row in described]
    counts = result["counts"].setdefault(table, {})
    counts["pyarrow_rows"] = arrow.num_rows
    counts["duckdb_rows"] = one(f"SELECT count(*) FROM {source}")
    if table == "summaries":
        counts["missing_sum"] = one(f"SELECT sum(MissingCount) FROM {source}")
        counts["failed"] = one(
            f"SELECT count(*) FROM {source} WHERE ComplianceStatus = 'SCAN_FAILED' AND Error IS NOT NULL"
        )
        counts["by_group"] = dict(
            con.execute(f"SELECT coalesce(PatchGroup, ''), count(*) FROM {source} GROUP BY 1").fetchall()
        )
        ids = arrow.column("InstanceId").to_pylist()
        counts["instance_ids"] = sorted(ids)
    else:
        counts["missing_rows"] = one(f"SELECT count(*) FROM {source} WHERE State = 'Missing'")
        counts["cve_items"] = one(f"SELECT sum(len(CVEIds)) FROM {source}")
        counts["advisory_items"] = sum(len(x or []) for x in arrow.column("AdvisoryIds").to_pylist())
json.dump(result, sys.stdout, indent=1, default=str)
