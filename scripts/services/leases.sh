# shellcheck shell=bash
# Leases let several test runs share one set of services: each run that starts them
# through `SERVICES_LEASE=<pid> services.sh start` holds a lease, and `services.sh release
# <pid>` stops the services only when the last live lease goes and a leased start (not a
# person) launched them. Without this, the first run to finish would stop the broker under
# a second run still using it. All of it runs under services.sh's lock.
# Sourced by scripts/services.sh after common.sh.

LEASE_DIR="$SERVICES_DIR/leases"
LEASE_LAUNCHED="$LEASE_DIR/launched"

# Records a lease for the process `$1` and which services (`$2...`) this start launched.
lease_take() {
  local holder=$1
  shift
  [[ "$holder" =~ ^[0-9]+$ ]] || die "SERVICES_LEASE must be the pid of the process holding the lease, got '$holder'"
  mkdir -p "$LEASE_DIR"
  printf '%s\n' "$holder" >"$LEASE_DIR/$holder.lease"
  (($# > 0)) && printf '%s\n' "$@" >>"$LEASE_LAUNCHED"
  return 0
}

# A start by hand adopts whatever runs: no test run's release may stop it any more.
lease_adopt() {
  rm -f "$LEASE_LAUNCHED"
}

# Live leases other than the ones whose holder process has exited.
lease_live_count() {
  local f pid n=0
  for f in "$LEASE_DIR"/*.lease; do
    [[ -e "$f" ]] || continue
    pid=$(cat "$f" 2>/dev/null || true)
    if [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null; then
      n=$((n + 1))
    else
      rm -f "$f"
    fi
  done
  printf '%s' "$n"
}

# Drops the lease of `$1`; prints the services to stop now (none while leases remain).
lease_release() {
  local holder=$1
  rm -f "$LEASE_DIR/$holder.lease"
  if (($(lease_live_count) > 0)); then
    log "other test runs still use the services; leaving them running"
    return 0
  fi
  [[ -f "$LEASE_LAUNCHED" ]] || return 0
  sort -u "$LEASE_LAUNCHED"
  rm -f "$LEASE_LAUNCHED"
}

lease_clear() {
  rm -rf "$LEASE_DIR"
}
