#!/usr/bin/env bash
# Installs the Debian packages that scripts/install-deps.sh lists (its DEBIAN_PACKAGES array, read
# from the script itself so the list lives in one place), plus nodejs and npm when absent, as the
# script does. Used by containers/dev/Containerfile; the npm packages are not installed here:
# they go into the checkout's .deps/ (`make deps` / `make test`, on the host or in the
# container), which the development container mounts.
#   install-debian-packages.sh [INSTALL_DEPS_SH] [--simulate | --print]
#     --simulate  resolve the whole set against the archive (apt-get install -s) without
#                 downloading or installing it: what the dev_image_test builds in CI time
#     --print     print the list, one per line, and exit
set -euo pipefail
script=/opt/straightline-dev/scripts/install-deps.sh
action=install
for a in "$@"; do
  case $a in
    --simulate) action=simulate ;;
    --print) action=print ;;
    *) script=$a ;;
  esac
done
eval "$(sed -n '/^DEBIAN_PACKAGES=(/,/^)/p' "$script")"
if ((${#DEBIAN_PACKAGES[@]} < 10)); then
  echo "install-debian-packages: found only ${#DEBIAN_PACKAGES[@]} packages in $script" >&2
  exit 1
fi
if ! command -v npm >/dev/null 2>&1; then DEBIAN_PACKAGES+=(nodejs npm); fi
if [[ $action == print ]]; then printf '%s\n' "${DEBIAN_PACKAGES[@]}"; exit 0; fi
echo "install-debian-packages: ${DEBIAN_PACKAGES[*]}"
apt-get update -qq
if [[ $action == simulate ]]; then
  out=$(DEBIAN_FRONTEND=noninteractive apt-get install -s --no-install-recommends "${DEBIAN_PACKAGES[@]}")
  n=$(grep -c '^Inst ' <<<"$out" || true)
  echo "install-debian-packages: simulated: ${#DEBIAN_PACKAGES[@]} packages resolve to $n to install"
  grep '^Inst ' <<<"$out" | awk '{print $2}' > /opt/straightline-dev/simulated-packages.txt
  exit 0
fi
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${DEBIAN_PACKAGES[@]}"
