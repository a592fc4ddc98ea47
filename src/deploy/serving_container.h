// The serving container as Kubernetes-family descriptors write it (core/v1 Container fields):
// the same command, args, env, port, probes, user and read-only root for Kubernetes, Knative
// and KServe, so the container a test runs from one descriptor is the container all three run.
//
//   command  [layout.binary, serve]   (the serving image's ENTRYPOINT, written out)
//   args     --model MODELS/NAME --tiers local --policy local --host 0.0.0.0
//            --auth-token-file TOKEN_DIR/token --max-batch N   (ServingArgs; no --port: serve
//            listens on $PORT, which Knative/KServe set to containerPort and Kubernetes gets in env)
//   env      STRAIGHTLINE_STATE_DIR=/tmp/straightline (serve's writable state on the emptyDir),
//            TMPDIR, PORT (Kubernetes only), --env
//   ports    [{containerPort: PORT, name: http1}]   (http1: Knative's name for HTTP/1.1)
//   probes   readiness GET /v2/health/ready, liveness GET /v2/health/live (both open without a
//            token: serve's --auth-health default)
//   user     runAsNonRoot, runAsUser layout.uid, readOnlyRootFilesystem, no privilege
//            escalation, every capability dropped
//   volumes  token: Secret <name>-token (key `token`) at layout.token_dir, read-only;
//            tmp: emptyDir at layout.tmp_dir (the one writable path)
// Thread safety: pure functions. Failure contract: never fails (ServingSpec is resolved).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "deploy/deploy_spec.h"

namespace sl::deploy {

struct ContainerStyle {
  std::string name = "server";    // KServe wants "kserve-container"
  bool set_port_env = true;       // Knative and KServe set $PORT themselves (and reject it)
  bool probe_port = true;         // Knative forbids a probe port other than the serving one
  bool resources_from_profile = false;  // scale-to-zero targets: provider profile, else tier flags
};

std::vector<std::string> ServingArgs(const ServingSpec& s);
nlohmann::json ServingContainer(const ServingSpec& s, const ContainerStyle& style);
// Pod-level volumes matching the container's volumeMounts.
nlohmann::json ServingVolumes(const ServingSpec& s);
// Labels shared by the Deployment, its pods, the Service selector and the HPA.
nlohmann::json ServingLabels(const ServingSpec& s);
// The secret the token volume reads (kubectl create secret generic NAME --from-file=token=...).
std::string TokenSecretName(const ServingSpec& s);

}  // namespace sl::deploy
