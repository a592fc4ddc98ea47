// Shard updates: what one train-shard invocation leaves in the store — the weights it trained
// from global model version N on its shard, with how many samples it saw (the FedAvg weight),
// its mean loss and the phase timings it measured. Format: a frame (framed_blob.h) with magic
// "SLUPDT01"; the payload is the model's flat state blob (ml/model.h SerializeState; a torch
// archive from SerializeWeights, as written before 2026-12-04, loads too).
//
// The coordinator decodes every update before averaging; DecodeUpdate checks the frame and that
// the update is for the round and shard it was stored under, so a stale, foreign or corrupted
// update is rejected (DATA_LOSS / INVALID_ARGUMENT naming `where`) and recomputed.
// Thread safety: plain values and stateless functions.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace sl::train {

struct ShardUpdate {
  int64_t round = 0;
  int64_t shard = 0;
  int64_t attempt = 0;
  int64_t samples = 0;  // > 0
  int64_t steps = 0;
  double loss = 0;
  double download_model_ms = 0;
  double download_shard_ms = 0;
  double compute_ms = 0;
  std::string weights;  // decoded: a copy of the payload
};

std::string EncodeUpdate(const ShardUpdate& update);
// Expects the update of (round, shard).
Result<ShardUpdate> DecodeUpdate(std::string_view bytes, int64_t round, int64_t shard,
                                 std::string_view where);

}  // namespace sl::train
