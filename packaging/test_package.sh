#!/usr/bin/env bash
# Installs the built .deb, exercises the installed files, removes it and checks that
# nothing is left behind. Needs root (apt-get install / remove). Usage:
#   packaging/test_package.sh build/quantscope_<version>_<arch>.deb
set -euo pipefail
deb="$(realpath "$1")"
[ "$(id -u)" -eq 0 ] || { echo "test_package: needs root (apt-get install); skipped"; exit 0; }
fail() { echo "test_package: FAIL: $*" >&2; exit 1; }
export DEBIAN_FRONTEND=noninteractive

lintian --no-tag-display-limit "$deb" > /tmp/qs-lintian.txt 2>&1 || true
if grep -q '^E: ' /tmp/qs-lintian.txt; then cat /tmp/qs-lintian.txt; fail "lintian reports errors"; fi
echo "test_package: lintian: no errors ($(grep -c '^W: ' /tmp/qs-lintian.txt || true) warnings)"

dpkg-query -W quantscope >/dev/null 2>&1 && apt-get remove -y -qq quantscope >/dev/null
apt-get install -y -qq "$deb" >/dev/null
files=$(dpkg -L quantscope)

out=$(wq --version) || fail "wq --version exited $?"
version=$(dpkg-query -W -f='${Version}' quantscope)
[[ "$out" == *"$version"* ]] || fail "wq --version printed '$out', the package is $version"
QT_QPA_PLATFORM=offscreen quantscope list /usr/share/quantscope/demo-model > /tmp/qs-list.txt \
  || fail "quantscope list on the installed demo model"
grep -q "model.layers.0" /tmp/qs-list.txt || fail "list shows no model.layers.0 tensors"
man -w wq >/dev/null || fail "man -w wq finds no page"
man -w quantscope >/dev/null || fail "man -w quantscope finds no page"
desktop-file-validate /usr/share/applications/io.github.quantscope.QuantScope.desktop || fail "desktop file"
appstreamcli validate --no-net /usr/share/metainfo/io.github.quantscope.QuantScope.metainfo.xml || fail "metainfo"
[ -L /usr/bin/wq ] || fail "/usr/bin/wq is not a symlink"
for s in 48 128 256; do [ -f /usr/share/icons/hicolor/${s}x${s}/apps/quantscope.png ] || fail "no ${s}px icon"; done
[ -f /usr/share/mime/packages/quantscope.xml ] || fail "no shared-mime-info file"
# dpkg's trigger ran update-mime-database: the type is known to the desktop
[ -f /usr/share/mime/application/x-safetensors.xml ] || fail "application/x-safetensors not in the MIME database"
[ -f /usr/share/bash-completion/completions/quantscope ] || fail "no bash completion"
complete_words()  # complete_words WORD... : what bash completion offers for the last word
{
  bash -c 'source /usr/share/bash-completion/completions/quantscope
           COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
           if [ "$1" = wq ]; then _quantscope_wq; else _quantscope; fi
           printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " "' _ "$@"
}
[ "$(complete_words quantscope w)" = "wq " ] || fail "completion of 'quantscope w': $(complete_words quantscope w)"
c=$(complete_words quantscope wq -c bfp)
[[ "$c" == *"bfp4 "* && "$c" == *"bfp8 "* && "$c" != *mxfp4* ]] \
  || fail "completion of 'wq -c bfp': $(complete_words quantscope wq -c bfp)"
[[ "$(complete_words wq --compression-c)" == "--compression-config " ]] \
  || fail "completion of 'wq --compression-c': $(complete_words wq --compression-c)"
[[ "$(complete_words quantscope sweep --compression-config /usr/share/quantscope/compression_configs/compression_config.mixed_tile_g)" \
   == *"compression_config.mixed_tile_greedy.example.json "* ]] || fail "completion of config files"

apt-get remove -y -qq --purge quantscope >/dev/null
left=()
while IFS= read -r f; do
  case "$f" in /|/usr|/usr/bin|/usr/share|/usr/share/*/|/.) continue ;; esac
  # shared folders (owned by other packages too) may stay; our files and folders may not
  if [ -e "$f" ] || [ -L "$f" ]; then
    [ -d "$f" ] && [ ! -L "$f" ] && dpkg -S "$f" >/dev/null 2>&1 && continue
    left+=("$f")
  fi
done <<< "$files"
[ ${#left[@]} -eq 0 ] || fail "left behind after removal: ${left[*]}"
[ ! -e /usr/share/quantscope ] || fail "/usr/share/quantscope left behind"
[ ! -e /usr/share/mime/application/x-safetensors.xml ] || fail "application/x-safetensors left in the MIME database"
echo "test_package: installed, exercised and removed $(basename "$deb"): OK"
