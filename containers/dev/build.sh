#!/usr/bin/env bash
# Builds the development image from containers/dev/Containerfile (`make dev-image`).
#
#   containers/dev/build.sh [--tag NAME] [--base IMAGE] [--engine buildah|podman|docker]
#                           [--mmdebstrap] [--simulate]
#
# The engine is buildah (`buildah bud`) when installed, else podman (`podman build`, buildah
# inside; neither needs a daemon), else docker. BASE (--base, else $DEV_BASE) is the Debian
# bookworm image to start from. Without one: the official debian:bookworm when the engine already
# has it, else a minimal bookworm root made here with mmdebstrap from the Debian archive
# ($DEV_BASE_TAG, default localhost/straightline-dev-base:bookworm, made once and kept;
# --mmdebstrap makes it even when debian:bookworm is there): this project's machines reach the
# Debian archive and the npm registry but no container registry.
# --simulate resolves the package set instead of installing it (the CI test, dev_image_test.sh).
# The build context is a temporary folder holding only what the Containerfile copies
# (scripts/install-deps.sh, containers/dev/install-debian-packages.sh), so build/ and .deps/ are
# never sent.
set -euo pipefail
cd "$(dirname "$0")/../.."

tag=${DEV_IMAGE:-localhost/straightline-dev:latest}
base=${DEV_BASE:-}
base_tag=${DEV_BASE_TAG:-localhost/straightline-dev-base:bookworm}
engine=${DEV_ENGINE:-}
force_mmdebstrap=0
simulate=0
while (($#)); do
  case $1 in
    --tag) tag=$2; shift 2 ;;
    --base) base=$2; shift 2 ;;
    --engine) engine=$2; shift 2 ;;
    --mmdebstrap) force_mmdebstrap=1; shift ;;
    --simulate) simulate=1; shift ;;
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
    *) echo "dev-image: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
if [[ -z $engine ]]; then
  if command -v buildah >/dev/null; then engine=buildah
  elif command -v podman >/dev/null; then engine=podman
  elif command -v docker >/dev/null; then engine=docker
  else echo "dev-image: no buildah, podman or docker (apt-get install podman)" >&2; exit 2; fi
fi
exists() {
  case $engine in
    buildah) buildah inspect --type image "$1" >/dev/null 2>&1 ;;
    *) "$engine" image inspect "$1" >/dev/null 2>&1 ;;
  esac
}

start=$(date +%s)
if [[ -z $base ]]; then
  if ((!force_mmdebstrap)) && exists docker.io/library/debian:bookworm; then
    base=docker.io/library/debian:bookworm
  else
    base=$base_tag
    if ((force_mmdebstrap)) || ! exists "$base"; then
      command -v mmdebstrap >/dev/null || {
        echo "dev-image: no debian:bookworm image and no mmdebstrap to make one: pull debian:bookworm," \
             "give --base IMAGE, or apt-get install mmdebstrap" >&2; exit 2; }
      tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
      echo "dev-image: making the base $base with mmdebstrap (Debian archive only)"
      mmdebstrap --quiet --variant=minbase --include=ca-certificates bookworm "$tmp/base.tar" \
        "deb http://deb.debian.org/debian bookworm main" \
        "deb http://deb.debian.org/debian bookworm-updates main" \
        "deb http://deb.debian.org/debian-security bookworm-security main"
      case $engine in
        buildah)
          ctr=$(buildah from scratch); buildah add "$ctr" "$tmp/base.tar" / >/dev/null
          buildah config --cmd /bin/bash "$ctr"; buildah commit "$ctr" "$base" >/dev/null; buildah rm "$ctr" >/dev/null ;;
        *) "$engine" import --change 'CMD ["/bin/bash"]' "$tmp/base.tar" "$base" >/dev/null ;;
      esac
      echo "dev-image: base made in $(( $(date +%s) - start )) s"
    fi
  fi
fi

ctx=$(mktemp -d); trap 'rm -rf "$ctx" "${tmp:-}"' EXIT
mkdir -p "$ctx/scripts" "$ctx/containers/dev"
cp containers/dev/Containerfile "$ctx/Containerfile"
cp scripts/install-deps.sh "$ctx/scripts/install-deps.sh"
cp containers/dev/install-debian-packages.sh "$ctx/containers/dev/"
echo "dev-image: $engine building $tag from $base"
b0=$(date +%s)
args=(-f "$ctx/Containerfile" --build-arg "BASE=$base" -t "$tag")
((simulate)) && args+=(--build-arg DEV_SIMULATE=1)
case $engine in
  buildah) buildah bud --layers "${args[@]}" "$ctx" ;;
  podman) podman build --layers "${args[@]}" "$ctx" ;;
  *) "$engine" build "${args[@]}" "$ctx" ;;
esac
case $engine in
  buildah) size=$(buildah images --format '{{.Size}}' "$tag") ;;
  *) size=$("$engine" image inspect --format '{{.Size}}' "$tag") ;;
esac
echo "dev-image: built $tag in $(( $(date +%s) - b0 )) s (total $(( $(date +%s) - start )) s), size $size"
((simulate)) || echo "dev-image: run it:  podman run --rm -it --privileged --ulimit nofile=20000:20000 --ulimit nproc=32768:32768" \
  "-v \"\$PWD/..:/work\" -w /work/$(basename "$PWD") $tag make test"
