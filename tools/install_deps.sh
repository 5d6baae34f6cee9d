#!/usr/bin/env bash
# Installs the Debian packages KV Workbench needs to build, test and demo (idempotent).
# Usage: tools/install_deps.sh [--no-gui]   (--no-gui: a headless GPU node without Qt)
set -euo pipefail
gui=1
[ "${1:-}" = "--no-gui" ] && gui=0
pkgs=(build-essential cmake ninja-build ccache pkg-config
      libtorch-dev libhdf5-dev libeigen3-dev nlohmann-json3-dev libcli11-dev libfmt-dev libzip-dev zlib1g-dev libgtest-dev
      python3-numpy python3-h5py python3-torch
      # tools/fuzz.sh: clang with the libFuzzer and sanitizer runtimes (Debian 12: clang 14).
      clang libclang-rt-14-dev
      # LibTorch (and NumPy) link libblas.so.3; without this Debian resolves it to the reference
      # BLAS, ~30x slower matmuls (6 vs 200 GFLOP/s on 2 cores). OpenMP build: torch's threads.
      libopenblas0-openmp)
[ "$gui" = 1 ] && pkgs+=(qt6-base-dev qt6-svg-dev libqcustomplot-dev libgl-dev xvfb xauth)
# A real single-node Slurm for tests/cluster (the test starts its own daemons in a temporary folder;
# the packages' services stay off without /etc/slurm/slurm.conf). Never on a cluster node
# (--no-gui): its Slurm is the site's.
[ "$gui" = 1 ] && pkgs+=(slurmctld slurmd slurm-client munge)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  echo "kvwb: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
