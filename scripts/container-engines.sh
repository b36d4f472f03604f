#!/usr/bin/env bash
# Installs Podman and Docker Engine from Debian's packages, sets what they need on a
# machine like CI's, and starts both API services on sockets of their own:
#   scripts/container-engines.sh start [DIR]   # sockets DIR/podman.sock and DIR/docker.sock
#   scripts/container-engines.sh stop [DIR]
# Facts behind the settings: runc, because crun refuses a cgroup hybrid mode; resource
# limits pinned to what root may set here (podman's defaults fail with EPERM).
set -euo pipefail
action=${1:-start}
dir=${2:-/run/tyger-engines}

install_packages() {
    local missing=()
    command -v podman >/dev/null || missing+=(podman)
    command -v runc >/dev/null || missing+=(runc)
    command -v dockerd >/dev/null || missing+=(docker.io)
    [ -x /bin/busybox ] || missing+=(busybox-static)
    command -v curl >/dev/null || missing+=(curl)
    if [ ${#missing[@]} -gt 0 ]; then
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
}

configure_podman() {
    local nofile nproc pidmax
    nofile=$(ulimit -Hn)
    nproc=$(ulimit -Hu)
    pidmax=$(cat /proc/sys/kernel/pid_max)
    if [ "$nproc" = unlimited ] || [ "$nproc" -gt "$pidmax" ]; then nproc=$pidmax; fi
    [ "$nproc" -gt 32768 ] && nproc=32768
    mkdir -p /etc/containers
    cat > /etc/containers/containers.conf <<CONF
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]

[engine]
runtime = "runc"
CONF
}

wait_for_socket() {
    local socket=$1 name=$2
    for _ in $(seq 1 100); do
        if curl -fsS --unix-socket "$socket" http://engine/_ping >/dev/null 2>&1; then return 0; fi
        sleep 0.1
    done
    echo "$name did not answer on $socket; its log:" >&2
    cat "$dir/$name.log" >&2 || true
    return 1
}

start() {
    install_packages
    configure_podman
    mkdir -p "$dir"
    if ! curl -fsS --unix-socket "$dir/podman.sock" http://engine/_ping >/dev/null 2>&1; then
        rm -f "$dir/podman.sock"
        setsid podman system service --time=0 "unix://$dir/podman.sock" >"$dir/podman.log" 2>&1 < /dev/null &
        echo $! > "$dir/podman.pid"
    fi
    if ! curl -fsS --unix-socket "$dir/docker.sock" http://engine/_ping >/dev/null 2>&1; then
        rm -f "$dir/docker.sock"
        setsid dockerd --host "unix://$dir/docker.sock" --data-root "$dir/docker-data" \
            --exec-root "$dir/docker-exec" --pidfile "$dir/dockerd.pid" >"$dir/docker.log" 2>&1 < /dev/null &
    fi
    wait_for_socket "$dir/podman.sock" podman
    wait_for_socket "$dir/docker.sock" docker
    echo "podman: unix://$dir/podman.sock"
    echo "docker: unix://$dir/docker.sock"
}

stop() {
    for name in podman dockerd; do
        if [ -f "$dir/$name.pid" ]; then kill "$(cat "$dir/$name.pid")" 2>/dev/null || true; fi
    done
}

case "$action" in
    start) start ;;
    stop) stop ;;
    *) echo "usage: $0 start|stop [DIR]" >&2; exit 2 ;;
esac
