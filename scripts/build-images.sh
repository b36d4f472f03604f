#!/usr/bin/env bash
# Builds the container images of this checkout, without a registry or a download:
#   tygerkit/conformance:dev   the conformance programs (tyger-conformance)
#   tygerkit/primecount:dev    the PrimeCount example (prime-worker, prime-job)
# Each is a minimal root file system (busybox-static, one symlink per applet) with the Swift
# programs built with the static standard library and the C libraries they still load.
# The images are imported into every engine given (unix sockets), else into the engine
# DOCKER_HOST names, else /var/run/docker.sock:
#   scripts/build-images.sh [unix:///run/podman/podman.sock ...]
# The tarballs stay in .build/images/ for `docker import` or `podman import` elsewhere.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

engines=("$@")
if [ ${#engines[@]} -eq 0 ]; then engines=("${DOCKER_HOST:-unix:///var/run/docker.sock}"); fi
for engine in "${engines[@]}"; do
    case "$engine" in
        unix://*) ;;
        *) echo "build-images: '$engine' is not unix://PATH; engines are reached over their unix socket" >&2; exit 2 ;;
    esac
done
[ -x /bin/busybox ] || { echo "build-images: /bin/busybox is missing: apt-get install busybox-static" >&2; exit 1; }
command -v curl >/dev/null || { echo "build-images: curl is missing: apt-get install curl" >&2; exit 1; }

products=(tyger-conformance prime-worker prime-job)
for product in "${products[@]}"; do
    swift build -c release --static-swift-stdlib --product "$product"
done
bin=$(swift build -c release --static-swift-stdlib --show-bin-path)
out=.build/images
rm -rf "$out" && mkdir -p "$out"

# A root file system holding busybox and the given programs in /usr/local/bin.
make_rootfs() {
    local root=$1; shift
    mkdir -p "$root"/{bin,etc,tmp,usr/local/bin,lib64,proc,sys,dev}
    chmod 1777 "$root/tmp"
    cp /bin/busybox "$root/bin/busybox"
    for applet in $(/bin/busybox --list); do
        [ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
    done
    echo 'root:x:0:0:root:/root:/bin/sh' > "$root/etc/passwd"
    echo 'root:x:0:' > "$root/etc/group"
    for program in "$@"; do
        cp "$bin/$program" "$root/usr/local/bin/$program"
        # The C libraries the program loads, at the paths the dynamic loader looks them up.
        for library in $(ldd "$bin/$program" | grep -o '/[^ ]*'); do
            mkdir -p "$root$(dirname "$library")"
            cp -L "$library" "$root$library"
        done
    done
}

import_image() {
    local tarball=$1 repository=$2 engine socket answer
    for engine in "${engines[@]}"; do
        socket=${engine#unix://}
        answer=$(curl -fsS --unix-socket "$socket" -X POST -H 'Content-Type: application/x-tar' \
            --data-binary "@$tarball" \
            "http://engine/v1.41/images/create?fromSrc=-&repo=$repository&changes=ENV%20PATH%3D%2Fusr%2Flocal%2Fbin%3A%2Fbin")
        if [[ "$answer" == *'"error"'* ]]; then
            echo "build-images: $engine could not import $repository: $answer" >&2
            exit 1
        fi
        echo "imported $repository into $engine"
    done
}

build_image() {
    local name=$1; shift
    local root="$out/$name-root"
    make_rootfs "$root" "$@"
    tar -C "$root" -cf "$out/$name.tar" .
    import_image "$out/$name.tar" "tygerkit/$name:dev"
}

build_image conformance tyger-conformance
build_image primecount prime-worker prime-job
