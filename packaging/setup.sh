#!/usr/bin/env bash
# QuantScope set-up: installs what is missing (Debian 12 packages only), builds, and
#   run   - opens the explorer on the bundled demo model (or, without a display, runs
#           `quantscope wq` on it and prints the table)
#   test  - runs the whole test suite, then again under AddressSanitizer + UBSan, a libFuzzer
#           smoke test, and the package test (as root; see `package`)
#   build - only builds
#   package - builds build/quantscope_<version>_<arch>.deb (CPack; man pages and icons made
#           at build time), then, as root, installs, exercises and removes it
#           (packaging/test_package.sh)
# Idempotent and non-interactive. Build folders: build/ and build-asan/.
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-run}"
jobs="${QS_JOBS:-$(nproc)}"

packages=(cmake ninja-build g++ pkg-config qt6-base-dev qt6-base-dev-tools libqcustomplot-dev libqcustomplot2.1-qt6
          nlohmann-json3-dev libgl-dev fonts-dejavu-core xvfb xauth)
packaging=(help2man librsvg2-bin dpkg-dev file lintian desktop-file-utils appstream man-db shared-mime-info)
[ "$mode" = package ] && packages+=("${packaging[@]}")
[ "$mode" = test ] && packages+=(clang libclang-rt-14-dev libomp-14-dev "${packaging[@]}"  # fuzz smoke test, package
                                   slurm-wlm munge)  # the single-node Slurm test (tests/cluster)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

build() {  # build DIR [cmake args...]; QS_TARGETS limits what is built
  local dir="$1"; shift
  local launcher=()
  command -v ccache >/dev/null 2>&1 && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release "${launcher[@]}" "$@" > "$dir.configure.log" 2>&1 \
    || { cat "$dir.configure.log"; exit 1; }
  if [ -n "${QS_TARGETS:-}" ]; then
    cmake --build "$dir" -j "$jobs" --target ${QS_TARGETS}
  else
    cmake --build "$dir" -j "$jobs"
  fi
}

package() {  # builds build/quantscope_<version>_<arch>.deb, then installs, exercises, removes it
  QS_TARGETS="quantscope demo_model package_data" build build -DQS_PACKAGE=ON
  rm -f build/quantscope_*.deb
  (cd build && cpack -G DEB > cpack.log 2>&1) || { cat build/cpack.log; exit 1; }
  local deb
  deb=$(ls build/quantscope_*.deb)
  echo "setup: built $deb"
  bash packaging/test_package.sh "$deb"
}

case "$mode" in
  build)
    build build -DQS_BUILD_TESTS=ON -DQS_BUILD_BENCH=ON
    ;;
  run)
    QS_TARGETS="quantscope demo_model" build build
    if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
      exec build/quantscope build/demo-model
    else
      exec build/quantscope wq build/demo-model --no-results
    fi
    ;;
  test)
    build build -DQS_BUILD_TESTS=ON -DQS_BUILD_BENCH=OFF
    ctest --test-dir build -j "$jobs" --output-on-failure
    # The core, the CLI and their tests once more with ASan + UBSan (GUI tests left out).
    # -O1 without -g: quick to compile, quick enough to run, frame pointers give stacks.
    build build-asan -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE=-O1 -DQS_SANITIZE=ON -DQS_BUILD_GUI=OFF \
      -DQS_BUILD_BENCH=OFF -DCMAKE_CXX_FLAGS=-D_GLIBCXX_ASSERTIONS
    ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
      ctest --test-dir build-asan -j "$jobs" --output-on-failure
    # libFuzzer smoke test: each target of tests/fuzz for a fixed number of executions
    # (clang, ASan + UBSan); any crash fails. Long runs: see tests/fuzz/README.md.
    QS_TARGETS=fuzz_all build build-fuzz -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_CXX_FLAGS_RELEASE=-O1 -DQS_FUZZ=ON \
      -DQS_BUILD_GUI=OFF -DQS_BUILD_TESTS=OFF -DQS_BUILD_BENCH=OFF
    ctest --test-dir build-fuzz -j "$jobs" --output-on-failure
    package
    ;;
  package)
    package
    ;;
  *)
    echo "usage: packaging/setup.sh [run|test|build|package]" >&2
    exit 2
    ;;
esac
