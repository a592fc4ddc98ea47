#include "ml/evaluate.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include <fmt/format.h>

#include "common/file_util.h"
#include "ml/internal/batcher.h"
#include "ml/internal/model_impl.h"

namespace sl::ml {

Result<EvalReport> Evaluate(const Model& model, const Dataset& data, int64_t batch_size) {
  const ModelSpec& spec = model.spec();
  SL_RETURN_IF_ERROR(CheckCompatible(spec.input, spec.num_classes, data));
  if (data.size() == 0) return InvalidArgument("dataset '{}' is empty", data.name);
  if (batch_size < 1) return InvalidArgument("batch_size={} must be >= 1", batch_size);
  const int64_t classes = spec.num_classes;
  EvalReport r;
  r.class_names = data.class_names;
  r.class_names.resize(classes);
  for (int64_t c = 0; c < classes; ++c) {
    if (r.class_names[c].empty()) r.class_names[c] = std::to_string(c);
  }
  r.confusion.assign(classes, std::vector<int64_t>(classes, 0));
  r.class_samples.assign(classes, 0);

  torch::NoGradGuard no_grad;
  Batcher batcher(data);
  Net& net = *model.impl().net;
  double loss_sum = 0;
  for (int64_t begin = 0; begin < data.size(); begin += batch_size) {
    const int64_t end = std::min(data.size(), begin + batch_size);
    Batch b = batcher.Range(begin, end);
    torch::Tensor logits = net.Forward(b);
    loss_sum += torch::cross_entropy_loss(logits, b.y, {}, at::Reduction::Sum).item<double>();
    torch::Tensor pred = logits.argmax(1).contiguous();
    const int64_t* p = pred.data_ptr<int64_t>();
    for (int64_t i = 0; i < b.size; ++i) {
      const int64_t y = data.labels[begin + i];
      ++r.confusion[y][p[i]];
      ++r.class_samples[y];
      if (p[i] == y) ++r.correct;
    }
  }
  r.samples = data.size();
  r.accuracy = static_cast<double>(r.correct) / r.samples;
  r.loss = loss_sum / r.samples;
  for (int64_t c = 0; c < classes; ++c) {
    r.per_class_accuracy.push_back(
        r.class_samples[c] ? static_cast<double>(r.confusion[c][c]) / r.class_samples[c] : 0.0);
  }
  return r;
}

Result<EvalReport> EvaluateProbabilities(std::span<const float> probabilities,
                                         const std::vector<int64_t>& labels,
                                         const std::vector<std::string>& class_names) {
  const int64_t classes = static_cast<int64_t>(class_names.size());
  const int64_t n = static_cast<int64_t>(labels.size());
  if (n == 0 || classes < 2) return InvalidArgument("evaluation needs samples and >= 2 classes");
  if (static_cast<int64_t>(probabilities.size()) != n * classes) {
    return InvalidArgument("{} probabilities for {} samples x {} classes", probabilities.size(), n, classes);
  }
  EvalReport r;
  r.class_names = class_names;
  r.confusion.assign(classes, std::vector<int64_t>(classes, 0));
  r.class_samples.assign(classes, 0);
  double loss_sum = 0;
  for (int64_t i = 0; i < n; ++i) {
    const int64_t y = labels[i];
    if (y < 0 || y >= classes) return InvalidArgument("sample {} has label {} outside [0, {})", i, y, classes);
    const float* p = probabilities.data() + i * classes;
    const int64_t pred = std::max_element(p, p + classes) - p;
    ++r.confusion[y][pred];
    ++r.class_samples[y];
    if (pred == y) ++r.correct;
    loss_sum -= std::log(std::max(static_cast<double>(p[y]), 1e-12));
  }
  r.samples = n;
  r.accuracy = static_cast<double>(r.correct) / n;
  r.loss = loss_sum / n;
  for (int64_t c = 0; c < classes; ++c) {
    r.per_class_accuracy.push_back(
        r.class_samples[c] ? static_cast<double>(r.confusion[c][c]) / r.class_samples[c] : 0.0);
  }
  return r;
}

nlohmann::json EvalReport::ToJson() const {
  nlohmann::json per_class = nlohmann::json::array();
  for (size_t c = 0; c < class_names.size(); ++c) {
    per_class.push_back({{"class", class_names[c]},
                         {"samples", class_samples[c]},
                         {"accuracy", per_class_accuracy[c]}});
  }
  return {{"samples", samples},     {"correct", correct},     {"accuracy", accuracy},
          {"loss", loss},           {"per_class", per_class}, {"confusion", confusion},
          {"class_names", class_names}};
}

std::string EvalReport::ToText() const {
  std::string out = fmt::format("accuracy {:.4f} ({}/{}), mean loss {:.4f}\n\nper class:\n",
                                accuracy, correct, samples, loss);
  size_t w = 5;
  for (const auto& n : class_names) w = std::max(w, n.size());
  for (size_t c = 0; c < class_names.size(); ++c) {
    out += fmt::format("  {:<{}}  {:.4f}  ({} samples)\n", class_names[c], w, per_class_accuracy[c],
                       class_samples[c]);
  }
  out += "\nconfusion matrix (rows: true class, columns: predicted class):\n";
  std::vector<std::string> row_labels;
  size_t lw = 0;
  for (size_t t = 0; t < class_names.size(); ++t) {
    row_labels.push_back(fmt::format("{} {}", t, class_names[t]));
    lw = std::max(lw, row_labels.back().size());
  }
  out += fmt::format("  {:<{}}", "", lw);
  for (size_t c = 0; c < class_names.size(); ++c) out += fmt::format(" {:>6}", c);
  out += "\n";
  for (size_t t = 0; t < confusion.size(); ++t) {
    out += fmt::format("  {:<{}}", row_labels[t], lw);
    for (int64_t v : confusion[t]) out += fmt::format(" {:>6}", v);
    out += "\n";
  }
  return out;
}

namespace {

// Wraps the caller's sink so fold progress is labelled "fold i/k" and carries the ETA of every
// fold left: this fold's ETA + the folds after it × the mean fold time (of the finished folds;
// before any has finished, this fold's elapsed + ETA).
class FoldProgress : public ProgressSink {
 public:
  FoldProgress(ProgressSink* inner, int64_t fold, int64_t k, const std::vector<double>* finished_seconds)
      : inner_(inner), phase_(fmt::format("fold {}/{}", fold + 1, k)), folds_after_(k - fold - 1),
        finished_(finished_seconds) {}
  void Update(const ProgressEvent& e) override { inner_->Update(Relabel(e)); }
  void EpochDone(const ProgressEvent& e) override { inner_->EpochDone(Relabel(e)); }
  void Finish() override { inner_->Finish(); }
  double interval_seconds() const override { return inner_->interval_seconds(); }

 private:
  ProgressEvent Relabel(ProgressEvent e) const {
    e.phase = phase_;
    double per_fold = e.elapsed_seconds + std::max(0.0, e.eta_seconds);
    if (!finished_->empty()) {
      per_fold = std::accumulate(finished_->begin(), finished_->end(), 0.0) / static_cast<double>(finished_->size());
    }
    e.overall_eta_seconds = std::max(0.0, e.eta_seconds) + static_cast<double>(folds_after_) * per_fold;
    return e;
  }
  ProgressSink* inner_;
  std::string phase_;
  int64_t folds_after_;
  const std::vector<double>* finished_;
};

}  // namespace

Result<KFoldReport> CrossValidate(const ModelSpec& spec, const TrainConfig& config,
                                  const Dataset& data, int64_t k, ProgressSink* progress) {
  if (k < 2 || k > data.size()) {
    return InvalidArgument("kfold: k={} must be in [2, {}] (the number of samples)", k, data.size());
  }
  SL_RETURN_IF_ERROR(config.Validate());
  SL_RETURN_IF_ERROR(CheckCompatible(spec.input, spec.num_classes, data));
  std::vector<int64_t> order(data.size());
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 gen(config.seed ^ 0x6b666f6c64ULL);  // "kfold"
  for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[gen() % i]);

  KFoldReport report;
  report.k = k;
  const TimePoint start = Clock::Real()->Now();
  const int64_t n = data.size();
  std::vector<double> fold_seconds;  // training time of each finished fold (the overall ETA)
  for (int64_t fold = 0; fold < k; ++fold) {
    const int64_t lo = fold * n / k, hi = (fold + 1) * n / k;
    std::vector<int64_t> train_idx, test_idx;
    train_idx.reserve(n - (hi - lo));
    for (int64_t i = 0; i < n; ++i) (i >= lo && i < hi ? test_idx : train_idx).push_back(order[i]);
    Dataset train = data.Subset(train_idx);
    Dataset test = data.Subset(test_idx);
    TrainConfig fold_config = config;
    fold_config.seed = config.seed + static_cast<uint64_t>(fold);
    SL_ASSIGN_OR_RETURN(Model model, Model::Create(spec, fold_config.seed));
    std::unique_ptr<FoldProgress> fold_progress;
    if (progress) fold_progress = std::make_unique<FoldProgress>(progress, fold, k, &fold_seconds);
    const TimePoint fold_start = Clock::Real()->Now();
    SL_ASSIGN_OR_RETURN(TrainStats stats, Train(model, train, fold_config, fold_progress.get()));
    (void)stats;
    fold_seconds.push_back(SecondsBetween(fold_start, Clock::Real()->Now()));
    SL_ASSIGN_OR_RETURN(EvalReport eval, Evaluate(model, test));
    report.fold_accuracy.push_back(eval.accuracy);
    report.fold_samples.push_back(eval.samples);
  }
  report.seconds = SecondsBetween(start, Clock::Real()->Now());
  report.mean_accuracy =
      std::accumulate(report.fold_accuracy.begin(), report.fold_accuracy.end(), 0.0) / k;
  double var = 0;
  for (double a : report.fold_accuracy) var += (a - report.mean_accuracy) * (a - report.mean_accuracy);
  report.std_accuracy = std::sqrt(var / k);
  return report;
}

nlohmann::json KFoldReport::ToJson() const {
  return {{"k", k},
          {"fold_accuracy", fold_accuracy},
          {"fold_samples", fold_samples},
          {"mean_accuracy", mean_accuracy},
          {"std_accuracy", std_accuracy},
          {"seconds", seconds}};
}

std::string KFoldReport::ToText() const {
  std::string out = fmt::format("{}-fold cross-validation: mean accuracy {:.4f}, std {:.4f} ({})\n",
                                k, mean_accuracy, std_accuracy, HumanSeconds(seconds));
  for (size_t i = 0; i < fold_accuracy.size(); ++i) {
    out += fmt::format("  fold {:>2}: {:.4f} ({} samples)\n", i + 1, fold_accuracy[i], fold_samples[i]);
  }
  return out;
}

}  // namespace sl::ml
