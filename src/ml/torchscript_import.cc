#include "ml/torchscript_import.h"

#include <sstream>

#include <torch/script.h>

#include "common/file_util.h"
#include "ml/artifact.h"

namespace sl::ml {

Status ImportTorchScript(const TorchScriptImportOptions& o, const std::string& out_dir) {
  if (o.input_shape.empty()) return InvalidArgument("--input-shape: empty");
  for (int64_t d : o.input_shape) {
    if (d < 1) return InvalidArgument("--input-shape: dimension {} must be >= 1", d);
  }
  if (o.class_names.size() < 2) {
    return InvalidArgument("--classes: {} class names given, need at least 2", o.class_names.size());
  }
  if (o.output != "logits" && o.output != "probabilities") {
    return InvalidArgument("--output: '{}' is not 'logits' or 'probabilities'", o.output);
  }
  if (!PathExists(o.module_path)) return NotFound("{}: no such file", o.module_path);
  SL_ASSIGN_OR_RETURN(std::string bytes, ReadFileToString(o.module_path));

  torch::jit::Module module;
  try {
    std::istringstream in(bytes);
    module = torch::jit::load(in);
    module.eval();
  } catch (const c10::Error& e) {
    return DataLoss("{}: not a loadable TorchScript file: {}", o.module_path, e.what_without_backtrace());
  }
  std::vector<int64_t> shape = {1};
  shape.insert(shape.end(), o.input_shape.begin(), o.input_shape.end());
  try {
    torch::NoGradGuard no_grad;
    torch::IValue out = module.forward({torch::zeros(shape)});
    if (!out.isTensor()) return InvalidArgument("{}: forward() does not return a tensor", o.module_path);
    torch::Tensor t = out.toTensor();
    if (t.dim() != 2 || t.size(0) != 1 || t.size(1) != static_cast<int64_t>(o.class_names.size())) {
      return InvalidArgument("{}: forward() on one sample of shape {} returns {}, expected [1, {}] "
                             "(one column per class)",
                             o.module_path, c10::str(c10::IntArrayRef(o.input_shape)),
                             c10::str(t.sizes()), o.class_names.size());
    }
  } catch (const std::exception& e) {
    return InvalidArgument("{}: forward() on one sample of shape {} failed: {}", o.module_path,
                           c10::str(c10::IntArrayRef(o.input_shape)), e.what());
  }

  Manifest m;
  m.format = ArtifactFormat::kTorchScript;
  m.model.name = "torchscript";
  m.model.hparams = nlohmann::json::object();
  m.model.input.kind = SampleKind::kDense;
  m.model.input.shape = o.input_shape;
  m.model.num_classes = static_cast<int64_t>(o.class_names.size());
  m.class_names = o.class_names;
  m.output = o.output;
  m.preprocessing = o.preprocessing;
  m.dataset = o.dataset;
  m.training = {{"imported_from", o.module_path}};
  return WriteArtifact(out_dir, std::move(m), bytes);
}

}  // namespace sl::ml
