// Model: a trainable classifier built from a ModelSpec, as a torch-free handle. This is the
// unit the serverless trainer moves around: create it from a spec, load weights from bytes,
// train it (ml/trainer.h), serialize the weights back to bytes, average several of them.
//
//   SL_ASSIGN_OR_RETURN(Model m, Model::Create(spec, /*seed=*/1));
//   SL_RETURN_IF_ERROR(m.LoadWeights(bytes, "s3://bkt/round-3/global.weights"));
//   SL_ASSIGN_OR_RETURN(TrainStats st, Train(m, shard, config));
//   SL_ASSIGN_OR_RETURN(std::string update, m.SerializeWeights());
//
// Weights bytes come in two formats, and LoadWeights reads both (it tells them by their first
// bytes):
//   - SerializeWeights: a torch archive (zip) holding every parameter and buffer by name — the
//     artifact format (weights.pt), readable by PyTorch;
//   - SerializeState: a flat state blob — magic "SLSTATE1", header length (u64 little-endian), a
//     JSON header {"model", "tensors": [{"name", "dtype", "shape"}...]}, then every tensor's raw
//     little-endian bytes in that order. The serverless trainer moves weights twice per function
//     per round; the torch archive's pickling and zip cost more than copying the bytes
//     (bench/weights_codec_bench, docs/benchmarks.md).
// Either loads only into a model with the same spec (a mismatch is INVALID_ARGUMENT naming the
// tensor; unreadable bytes are DATA_LOSS naming the byte offset; both name `source`).
// Ownership: a Model owns its parameters; moving is cheap, Clone() deep-copies.
// Thread safety: const methods may run concurrently with each other; Create/Train/LoadWeights/
// SetFlatParameters need exclusive access. Create and Train seed libtorch's process-global
// generator, so do not create or train two models concurrently in one process.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "ml/data/dataset.h"
#include "ml/model_spec.h"

namespace sl::ml {

class Model {
 public:
  // Builds the architecture of `spec` (which must name a registered model) with weights
  // initialised from `seed` (same spec + seed → identical weights).
  static Result<Model> Create(const ModelSpec& spec, uint64_t seed);

  Model(Model&&) noexcept;
  Model& operator=(Model&&) noexcept;
  ~Model();

  Model Clone() const;
  const ModelSpec& spec() const;
  int64_t NumParameters() const;  // number of trainable scalars

  Result<std::string> SerializeWeights() const;
  std::string SerializeState() const;
  // Replaces every parameter and buffer from SerializeWeights or SerializeState bytes; on error
  // the model is unchanged.
  Status LoadWeights(std::string_view bytes, std::string_view source);

  // All trainable parameters concatenated in registration order (NumParameters() floats);
  // for averaging and comparing without torch.
  std::vector<float> FlatParameters() const;
  Status SetFlatParameters(std::span<const float> values);

  // Class probabilities (softmax), row-major [data.size(), num_classes], in eval mode.
  // The data must match spec().input (INVALID_ARGUMENT otherwise).
  Result<std::vector<float>> PredictProba(const Dataset& data, int64_t batch_size = 64) const;  // see kEvaluateBatch

  struct Impl;  // internal/model_impl.h
  Impl& impl() const { return *impl_; }

 private:
  explicit Model(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Weighted average of the parameters and floating-point buffers of models with equal specs:
// sum_i w_i * m_i / sum_i w_i (weights >= 0, not all zero; e.g. shard sizes for FedAvg).
// INVALID_ARGUMENT on empty input, mismatched specs or bad weights.
Result<Model> AverageModels(std::span<const Model* const> models, std::span<const double> weights);
// The same average written into `out` (a model of the same spec; may also be one of `models`:
// each tensor is summed in full before it is written), so a caller averaging every round reuses
// one model instead of building a new one: building a model runs its random initialisation,
// which costs more than the average itself. `out` is unchanged on error.
Status AverageModelsInto(std::span<const Model* const> models, std::span<const double> weights, Model* out);

// Checks that `data` can be fed to a model with input `input` and `num_classes` classes; errors
// name the dataset and the mismatch.
Status CheckCompatible(const InputSpec& input, int64_t num_classes, const Dataset& data);

}  // namespace sl::ml
