#!/usr/bin/env bash
# A local Synapse for Quorum's end-to-end tests and for trying Quorum by hand.
#
# Usage: scripts/synapse.sh start|stop|restart|status|env|env-file
#
#   start    provision (first time only), configure and start Synapse in the background, wait
#            until /_matrix/client/versions answers, then print the env lines (see `env`).
#            If it is already running, only prints the env lines.
#   stop     stop it (SIGTERM, SIGKILL after a deadline). The data dir keeps all state, so
#            `stop` then `start` brings back the same users and rooms.
#   restart  stop, then start.
#   status   exit 0 and print the URL when running, exit 3 when stopped.
#   env      print the env file of the last start:
#              MATRIX_HOMESERVER=http://127.0.0.1:<port>
#              MATRIX_SERVER_NAME=localhost
#              MATRIX_REGISTRATION_SHARED_SECRET=<hex>
#            Load it with: set -a; . "$(scripts/synapse.sh env-file)"; set +a
#   env-file print the path of that env file.
#
# Where a Docker engine answers (`docker info`), Synapse runs from the matrixdotorg/synapse
# image. Otherwise it runs from a Debian sid root built once with mmdebstrap (needs root)
# and cached outside the repo, so later starts take seconds.
#
# Environment:
#   QUORUM_SYNAPSE_DIR      data dir (default <repo>/.synapse): config, SQLite, logs, pid, env
#   QUORUM_SYNAPSE_PORT     port on 127.0.0.1 (default: the data dir's last port if free, else the first free from 18008)
#   QUORUM_CACHE_DIR        cache for the Debian root (default $HOME/.cache/quorum)
#   QUORUM_SYNAPSE_BACKEND  auto (default), docker or chroot; remembered per data dir
#   QUORUM_SYNAPSE_IMAGE    image for the docker backend (default matrixdotorg/synapse:v1.160.0)
#   QUORUM_SYNAPSE_START_TIMEOUT  seconds to wait for the client API (default 60)
set -euo pipefail

REPO_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE_DIR=${QUORUM_CACHE_DIR:-$HOME/.cache/quorum}
ROOT_DIR=$CACHE_DIR/synapse-root
DATA_DIR=${QUORUM_SYNAPSE_DIR:-$REPO_DIR/.synapse}
SERVER_NAME=localhost
FIRST_PORT=18008
LAST_PORT=18107
START_TIMEOUT_S=${QUORUM_SYNAPSE_START_TIMEOUT:-60}
STOP_TIMEOUT_S=20
IMAGE=${QUORUM_SYNAPSE_IMAGE:-matrixdotorg/synapse:v1.160.0}
COMMON_CONFIG=$REPO_DIR/docker/synapse/quorum-homeserver.yaml

say() { printf 'synapse.sh: %s\n' "$*" >&2; }
die() {
  say "error: $*"
  exit 1
}
now_ms() { date +%s%3N; }
elapsed_s() { awk -v a="$1" -v b="$(now_ms)" 'BEGIN { printf "%.1f", (b - a) / 1000 }'; }

# --- data dir -------------------------------------------------------------------------------

init_data_dir() {
  mkdir -p "$DATA_DIR"
  DATA_DIR=$(cd "$DATA_DIR" && pwd)
  PID_FILE=$DATA_DIR/synapse.pid
  LOG_FILE=$DATA_DIR/synapse.log
  ENV_FILE=$DATA_DIR/env
  # One start/stop at a time per data dir (parallel test runs, a test restarting Synapse).
  exec 9>"$DATA_DIR/.lock"
  flock 9
}

backend() {
  if [[ -f $DATA_DIR/backend ]]; then
    cat "$DATA_DIR/backend"
    return
  fi
  local chosen=${QUORUM_SYNAPSE_BACKEND:-auto}
  if [[ $chosen == auto ]]; then
    if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
      chosen=docker
    else
      chosen=chroot
    fi
  fi
  [[ $chosen == docker || $chosen == chroot ]] || die "QUORUM_SYNAPSE_BACKEND must be auto, docker or chroot"
  echo "$chosen"
}

container_name() { echo "quorum-synapse-$(printf '%s' "$DATA_DIR" | cksum | cut -d' ' -f1)"; }

# --- ports and HTTP, with bash only (a fresh machine may lack curl) ---------------------------

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

versions_answer() {
  local status
  status=$(timeout 5 bash -c '
    exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
    printf "GET /_matrix/client/versions HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n" >&3
    IFS= read -r line <&3 && printf "%s" "$line"' _ "$1" 2>/dev/null) || return 1
  [[ $status == "HTTP/1."?" 200"* ]]
}

choose_port() {
  if [[ -n ${QUORUM_SYNAPSE_PORT:-} ]]; then
    echo "$QUORUM_SYNAPSE_PORT"
  elif [[ -f $DATA_DIR/port ]] && ! port_in_use "$(cat "$DATA_DIR/port")"; then
    cat "$DATA_DIR/port"
  else
    # Other checkouts on this machine may run their own Synapse: take the first free port.
    local port
    for ((port = FIRST_PORT; port <= LAST_PORT; port++)); do
      if ! port_in_use "$port"; then
        echo "$port"
        return
      fi
    done
    die "no free port in $FIRST_PORT-$LAST_PORT; set QUORUM_SYNAPSE_PORT"
  fi
}

# --- the Debian root ------------------------------------------------------------------------

root_is_complete() { [[ -x $ROOT_DIR/usr/bin/python3 && -d $ROOT_DIR/usr/lib/python3/dist-packages/synapse ]]; }

ensure_root() {
  mkdir -p "$CACHE_DIR"
  if ! root_is_complete; then
    exec 8>"$CACHE_DIR/synapse-root.lock"
    flock 8
    # Another process may have finished the build while we waited for the lock.
    root_is_complete || build_root
    exec 8>&-
  fi
  # The data dir is bind-mounted here at run time.
  mkdir -p "$ROOT_DIR/data"
}

build_root() {
  if ! command -v mmdebstrap >/dev/null 2>&1; then
    say "installing mmdebstrap"
    apt-get install -y mmdebstrap >&2 || { apt-get update >&2 && apt-get install -y mmdebstrap >&2; }
  fi
  # Leftovers of builds that were interrupted long ago; a fresh one may belong to a live build.
  find "$CACHE_DIR" -maxdepth 1 -name 'synapse-root.tmp.*' -mmin +180 \
    -exec rm -rf --one-file-system {} + 2>/dev/null || true
  local started tmp
  started=$(now_ms)
  tmp=$(mktemp -d "$CACHE_DIR/synapse-root.tmp.XXXXXX")
  # Build beside the final path and rename, so an interrupted build is never mistaken for a root.
  trap 'rm -rf --one-file-system "$tmp"' EXIT
  say "building the Synapse root in $ROOT_DIR (Debian sid, matrix-synapse); this takes a few minutes once"
  mmdebstrap --variant=apt --aptopt='Acquire::Check-Valid-Until "false"' \
    --include=matrix-synapse --customize-hook='mkdir -p "$1/data"' sid "$tmp" >&2
  mv -T "$tmp" "$ROOT_DIR"
  trap - EXIT
  say "built the Synapse root in $(elapsed_s "$started")s"
}

# Runs a command inside the root with the data dir at /data. The bind mount lives in a private
# mount namespace, so it disappears with the process and never leaks onto the host. Every step
# execs, so the pid written to the pid file (when one is given) is Synapse's own.
# shellcheck disable=SC2016 # expanded by the inner shell
IN_ROOT='
  data=$1 root=$2 pid_file=$3
  shift 3
  mount --bind "$data" "$root/data" || exit 1
  mount -t proc proc "$root/proc" 2>/dev/null || true
  if [ -n "$pid_file" ]; then echo $$ >"$pid_file"; fi
  exec chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 HOME=/data "$@"
'

run_in_root() {
  local pid_file=$1
  shift
  unshare --mount --propagation private -- /bin/sh -c "$IN_ROOT" sh "$DATA_DIR" "$ROOT_DIR" "$pid_file" "$@"
}

# --- configuration --------------------------------------------------------------------------

generate_config() {
  [[ -f $DATA_DIR/homeserver.yaml ]] && return
  say "generating the Synapse config in $DATA_DIR"
  if [[ $1 == docker ]]; then
    docker run --rm -v "$DATA_DIR:/data" -e "SYNAPSE_SERVER_NAME=$SERVER_NAME" \
      -e SYNAPSE_REPORT_STATS=no -e "UID=$(id -u)" -e "GID=$(id -g)" "$IMAGE" generate >&2
  else
    run_in_root "" python3 -m synapse.app.homeserver --generate-config \
      --server-name "$SERVER_NAME" --config-path /data/homeserver.yaml \
      --data-directory /data --report-stats=no >&2
  fi
}

ensure_secret() {
  if [[ ! -s $DATA_DIR/registration_shared_secret ]]; then
    (umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$DATA_DIR/registration_shared_secret")
  fi
  cat "$DATA_DIR/registration_shared_secret"
}

# Writes the per-run config files. They are rewritten on every start, so editing the repo's
# quorum-homeserver.yaml takes effect on the next start of an existing data dir.
write_run_config() {
  local backend=$1 port=$2 bind=127.0.0.1 listen_port=$2
  if [[ $backend == docker ]]; then
    # Inside the container Synapse listens on 8008; the host side is published on 127.0.0.1 only.
    bind=0.0.0.0 listen_port=8008
  fi
  cp "$COMMON_CONFIG" "$DATA_DIR/quorum-homeserver.yaml"
  cat >"$DATA_DIR/quorum-run.yaml" <<EOF
# Written by scripts/synapse.sh on every start; edits are lost.
public_baseurl: http://127.0.0.1:$port/
listeners:
  - port: $listen_port
    bind_addresses: ['$bind']
    type: http
    tls: false
    x_forwarded: false
    resources:
      - names: [client]
        compress: false
database:
  name: sqlite3
  args:
    database: /data/homeserver.db
registration_shared_secret_path: /data/registration_shared_secret
# The generated config holds its own secret, and Synapse refuses both at once.
registration_shared_secret: null
log_config: /data/quorum-log.yaml
EOF
  cat >"$DATA_DIR/quorum-log.yaml" <<'EOF'
# Written by scripts/synapse.sh on every start: log to stderr, which goes to synapse.log.
version: 1
formatters:
  precise:
    format: '%(asctime)s - %(name)s - %(lineno)d - %(levelname)s - %(request)s - %(message)s'
handlers:
  console:
    class: logging.StreamHandler
    formatter: precise
loggers:
  synapse.storage.SQL:
    level: WARNING
root:
  level: INFO
  handlers: [console]
disable_existing_loggers: false
EOF
}

write_env() {
  local port=$1 secret=$2
  cat >"$ENV_FILE.tmp" <<EOF
MATRIX_HOMESERVER=http://127.0.0.1:$port
MATRIX_SERVER_NAME=$SERVER_NAME
MATRIX_REGISTRATION_SHARED_SECRET=$secret
EOF
  mv "$ENV_FILE.tmp" "$ENV_FILE"
}

# --- process control ------------------------------------------------------------------------

synapse_pid() {
  [[ -f $PID_FILE ]] || return 1
  local pid
  pid=$(cat "$PID_FILE")
  # Check the command line too: after a reboot the pid may belong to something else.
  [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null &&
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'synapse.app.homeserver' &&
    echo "$pid"
}

is_running() {
  if [[ $1 == docker ]]; then
    [[ $(docker inspect -f '{{.State.Running}}' "$(container_name)" 2>/dev/null) == true ]]
  else
    synapse_pid >/dev/null
  fi
}

# True while the process exists and is not a zombie (our own exited child stays one until reaped).
process_alive() { [[ -r /proc/$1/status ]] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null; }

show_log_tail() {
  say "last lines of the Synapse log:"
  if [[ $1 == docker ]]; then
    docker logs --tail 40 "$(container_name)" >&2 2>&1 || true
  else
    tail -n 40 "$LOG_FILE" >&2 || true
  fi
}

launch() {
  local backend=$1 port=$2
  local configs=(-c /data/homeserver.yaml -c /data/quorum-homeserver.yaml -c /data/quorum-run.yaml)
  if [[ $backend == docker ]]; then
    docker rm -f "$(container_name)" >/dev/null 2>&1 || true
    docker run -d --name "$(container_name)" -v "$DATA_DIR:/data" -p "127.0.0.1:$port:8008" \
      -e "UID=$(id -u)" -e "GID=$(id -g)" "$IMAGE" run "${configs[@]}" >/dev/null 9>&-
  else
    rm -f "$PID_FILE"
    printf '\n=== synapse.sh start %s ===\n' "$(date -Is)" >>"$LOG_FILE"
    (
      # Synapse must hold none of our descriptors: not the data dir lock on fd 9 (`status` and
      # `stop` would block on it), nor a caller's pipes (the caller would wait for EOF forever).
      for fd in /proc/"$BASHPID"/fd/*; do
        fd=${fd##*/}
        if ((fd > 2 && fd != 255)); then eval "exec $fd>&-"; fi
      done
      # setsid: Synapse outlives this script and is not hit by the caller's Ctrl-C; `stop` ends it.
      exec setsid unshare --mount --propagation private -- /bin/sh -c "$IN_ROOT" sh \
        "$DATA_DIR" "$ROOT_DIR" "$PID_FILE" python3 -m synapse.app.homeserver "${configs[@]}"
    ) </dev/null >>"$LOG_FILE" 2>&1 &
    LAUNCHED_PID=$!
  fi
}

wait_until_ready() {
  local backend=$1 port=$2 deadline=$((SECONDS + START_TIMEOUT_S))
  while ((SECONDS < deadline)); do
    if versions_answer "$port"; then return 0; fi
    if [[ $backend == chroot ]] && ! process_alive "$LAUNCHED_PID"; then
      show_log_tail "$backend"
      die "Synapse exited during startup"
    fi
    sleep 0.2
  done
  show_log_tail "$backend"
  die "Synapse did not answer http://127.0.0.1:$port/_matrix/client/versions within ${START_TIMEOUT_S}s"
}

# --- commands -------------------------------------------------------------------------------

cmd_start() {
  local started backend port secret
  started=$(now_ms)
  backend=$(backend)
  if is_running "$backend"; then
    say "already running (data dir $DATA_DIR)"
    cat "$ENV_FILE"
    return
  fi
  if [[ $backend == chroot ]]; then
    [[ $(id -u) == 0 ]] || die "without Docker, Synapse runs in a chroot, which needs root; run as root, \
start Docker, or point the tests at an existing homeserver with MATRIX_HOMESERVER and MATRIX_REGISTRATION_SHARED_SECRET"
    command -v unshare >/dev/null && command -v chroot >/dev/null || die "needs unshare and chroot (util-linux, coreutils)"
    ensure_root
  fi
  echo "$backend" >"$DATA_DIR/backend"
  port=$(choose_port)
  if port_in_use "$port"; then
    die "port $port is in use by another process; set QUORUM_SYNAPSE_PORT to a free port"
  fi
  echo "$port" >"$DATA_DIR/port"
  generate_config "$backend"
  secret=$(ensure_secret)
  write_run_config "$backend" "$port"
  launch "$backend" "$port"
  wait_until_ready "$backend" "$port"
  write_env "$port" "$secret"
  say "Synapse is up at http://127.0.0.1:$port ($backend, data dir $DATA_DIR) in $(elapsed_s "$started")s"
  cat "$ENV_FILE"
}

cmd_stop() {
  local backend
  backend=$(backend)
  if [[ $backend == docker ]]; then
    if docker inspect "$(container_name)" >/dev/null 2>&1; then
      docker stop -t "$STOP_TIMEOUT_S" "$(container_name)" >/dev/null
      docker rm "$(container_name)" >/dev/null
      say "stopped"
    else
      say "not running"
    fi
    return
  fi
  local pid deadline
  if ! pid=$(synapse_pid); then
    rm -f "$PID_FILE"
    say "not running"
    return
  fi
  kill -TERM "$pid"
  deadline=$((SECONDS + STOP_TIMEOUT_S))
  while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then
    say "Synapse ignored SIGTERM for ${STOP_TIMEOUT_S}s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  fi
  rm -f "$PID_FILE"
  say "stopped"
}

cmd_status() {
  local backend
  backend=$(backend)
  if is_running "$backend"; then
    echo "running at http://127.0.0.1:$(cat "$DATA_DIR/port") ($backend, data dir $DATA_DIR)"
  else
    echo "stopped (data dir $DATA_DIR)"
    exit 3
  fi
}

cmd_env() {
  [[ -f $ENV_FILE ]] || die "no env file in $DATA_DIR: run '$0 start' first"
  cat "$ENV_FILE"
}

main() {
  local command=${1:-}
  case $command in
    start | stop | restart | status | env | env-file) ;;
    *)
      sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2
      exit 2
      ;;
  esac
  init_data_dir
  case $command in
    start) cmd_start ;;
    stop) cmd_stop ;;
    restart)
      cmd_stop
      cmd_start
      ;;
    status) cmd_status ;;
    env) cmd_env ;;
    env-file) echo "$ENV_FILE" ;;
  esac
}

main "$@"
