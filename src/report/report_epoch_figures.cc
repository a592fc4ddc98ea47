// A model folder's per-epoch series as figures (figure_builders.h).
#include <fmt/format.h>

#include "report/figure_builders.h"
#include "report/svg_chart.h"

namespace sl::report {

void EpochFigures(const std::vector<ReportInput>& inputs, std::vector<Figure>* out) {
  int models = 0;
  for (const auto& in : inputs) models += in.kind == InputKind::kModelArtifact && !in.model.epochs.empty();
  if (models == 0) return;
  const bool several = models > 1;
  LineChartSpec loss, acc;
  loss.title = "Training and validation loss per epoch";
  loss.x_label = "epoch";
  loss.y_label = "loss (cross-entropy)";
  acc.title = "Validation accuracy per epoch";
  acc.x_label = "epoch";
  acc.y_label = "validation accuracy (fraction)";
  acc.y_min = 0, acc.y_max = 1;
  loss.x_integer = acc.x_integer = true;
  std::string tests;
  bool any_acc = false;
  for (const auto& in : inputs) {
    if (in.kind != InputKind::kModelArtifact || in.model.epochs.empty()) continue;
    const std::string name = fmt::format("{} ({} on {})", in.label, in.model.model, in.model.dataset);
    auto named = [&](const char* what) { return several ? fmt::format("{}: {}", name, what) : std::string(what); };
    LineSeries train{named("training loss"), {}}, val{named("validation loss"), {}}, a{several ? name : "validation", {}};
    for (const auto& e : in.model.epochs) {
      const double x = static_cast<double>(e.epoch);
      train.points.emplace_back(x, e.train_loss);
      if (e.validation_loss >= 0) val.points.emplace_back(x, e.validation_loss);
      if (e.validation_accuracy >= 0) a.points.emplace_back(x, e.validation_accuracy), any_acc = true;
    }
    loss.series.push_back(std::move(train));
    if (!val.points.empty()) loss.series.push_back(std::move(val));
    acc.series.push_back(std::move(a));
    if (in.model.test_accuracy >= 0) {
      tests += fmt::format("{}{} {:.4f}", tests.empty() ? "" : ", ", several ? name : in.label, in.model.test_accuracy);
    }
  }
  constexpr const char* kMeasured =
      "Measured by `straightline train` in one process on this machine and recorded in the model's manifest "
      "(training.epochs); nothing in it is emulated.";
  out->push_back({"epoch-loss", "Training", "Loss per epoch (StraightLine Fig. 3)",
                  fmt::format("The mean training loss over each epoch's mini-batches (the model changing as it "
                              "goes), and the loss of the model at the epoch's end on the validation split. {}",
                              kMeasured),
                  LineChartSvg(loss)});
  if (any_acc) {
    if (!tests.empty()) acc.subtitle = "test accuracy of the final model: " + tests;
    out->push_back({"epoch-accuracy", "Training", "Validation accuracy per epoch (StraightLine Fig. 3)",
                    fmt::format("Accuracy of the model at each epoch's end on the validation split. {}", kMeasured),
                    LineChartSvg(acc)});
  }
}

}  // namespace sl::report
