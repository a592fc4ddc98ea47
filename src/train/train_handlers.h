// The serverless trainer's functions, as built-in handlers of straightline-worker (worker side:
// they use the store and the ML core, never the function platform).
//
//   train-preprocess  {"store": URI, "shard": i}
//       Reads job.json, loads the dataset (ml/data/registry.h: split, normalised/featurised like
//       single-process training), takes its slice i of the train split and writes it to
//       shards/shard-i. Returns {"samples", "bytes", "load_ms", "upload_ms"}.
//   train-shard       {"store": URI, "round": r, "shard": i, "attempt": a}
//       Reads global model version r and shard i, trains on this round's chunk of the shard
//       (job_spec.h), and writes its update with put-if-absent: when an earlier attempt already
//       wrote it, this one reports "late": true and changes nothing. Returns {"samples", "steps",
//       "loss", "download_model_ms", "download_shard_ms", "compute_ms", "upload_ms", "late"}.
//
// A warm instance keeps decoded shards and the job spec in memory (shards are immutable), as a
// real function keeps /tmp between invocations; download_shard_ms is 0 on such a hit. A warm
// preprocessing instance likewise keeps the loaded train split of its last dataset, so W shards
// on C concurrent instances parse the dataset C times, not W times.
// Errors are returned as handled errors (errorType "TrainError") with the store error's message;
// injected faults (job_spec.h FaultInjection) crash, hang, fail, exhaust memory or corrupt.
// Thread safety: handlers may run concurrently (the caches are locked); training itself holds
// a process-wide lock (ml/trainer.h: one Train() per process).
#pragma once
#include "common/status.h"
#include "runtime/handler_registry.h"

namespace sl::train {

inline constexpr const char* kPreprocessHandler = "train-preprocess";
inline constexpr const char* kShardHandler = "train-shard";

Status RegisterTrainHandlers(runtime::HandlerRegistry* registry);

runtime::InvocationResponse HandlePreprocess(const runtime::InvocationRequest& request);
runtime::InvocationResponse HandleTrainShard(const runtime::InvocationRequest& request);

}  // namespace sl::train
